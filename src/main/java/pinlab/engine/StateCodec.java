package pinlab.engine;

/**
 * The packed form of a state: each word as a zigzag LEB128 varint, so the small values that make up most of a
 * state take one byte. The encoding is injective (each word is self-delimiting), so the fingerprint is taken
 * over the packed bytes, and the frontier stores them.
 */
final class StateCodec {
    private StateCodec() {}

    /** Returns the most bytes {@code words} words can take. */
    static int maxBytes(int words) {
        return words * 5;
    }

    /** Packs {@code s[0..len)} into {@code out} from {@code at}; returns the end offset. */
    static int encode(int[] s, int len, byte[] out, int at) {
        int p = at;
        for (int i = 0; i < len; i++) {
            int v = (s[i] << 1) ^ (s[i] >> 31);
            while ((v & ~0x7F) != 0) {
                out[p++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            out[p++] = (byte) v;
        }
        return p;
    }

    /** Unpacks {@code in[from..to)} into {@code out}, which must be large enough; returns the word count. */
    static int decode(byte[] in, int from, int to, int[] out) {
        int n = 0;
        int p = from;
        while (p < to) {
            int v = 0;
            int shift = 0;
            int b;
            do {
                b = in[p++];
                v |= (b & 0x7F) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            out[n++] = (v >>> 1) ^ -(v & 1);
        }
        return n;
    }

    /** Returns how many words {@code in[from..to)} holds. */
    static int words(byte[] in, int from, int to) {
        int n = 0;
        for (int p = from; p < to; p++) {
            if ((in[p] & 0x80) == 0) {
                n++;
            }
        }
        return n;
    }
}
