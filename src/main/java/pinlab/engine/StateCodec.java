package pinlab.engine;

/**
 * The packed form of a state: each word in one byte when it is below 254 (most are: counters, small folio numbers,
 * cell values), else a marker byte and two bytes (below 65,536: flag words) or four. Decoding takes one compare per
 * small word. The encoding is injective (each word is self-delimiting), so the fingerprint is taken over the packed
 * bytes, and the frontier stores them.
 */
final class StateCodec {
    private static final int TWO = 254;
    private static final int FOUR = 255;

    private StateCodec() {}

    /** Returns the most bytes {@code words} words can take. */
    static int maxBytes(int words) {
        return words * 5;
    }

    /** Packs {@code s[0..len)} into {@code out} from {@code at}; returns the end offset. */
    static int encode(int[] s, int len, byte[] out, int at) {
        int p = at;
        for (int i = 0; i < len; i++) {
            int v = s[i];
            if (Integer.compareUnsigned(v, TWO) < 0) {
                out[p++] = (byte) v;
            } else if (Integer.compareUnsigned(v, 1 << 16) < 0) {
                out[p] = (byte) TWO;
                out[p + 1] = (byte) v;
                out[p + 2] = (byte) (v >>> 8);
                p += 3;
            } else {
                out[p] = (byte) FOUR;
                out[p + 1] = (byte) v;
                out[p + 2] = (byte) (v >>> 8);
                out[p + 3] = (byte) (v >>> 16);
                out[p + 4] = (byte) (v >>> 24);
                p += 5;
            }
        }
        return p;
    }

    /** Unpacks {@code in[from..to)} into {@code out}, which must be large enough; returns the word count. */
    static int decode(byte[] in, int from, int to, int[] out) {
        int n = 0;
        int p = from;
        while (p < to) {
            int b = in[p] & 0xFF;
            if (b < TWO) {
                out[n++] = b;
                p++;
            } else if (b == TWO) {
                out[n++] = (in[p + 1] & 0xFF) | (in[p + 2] & 0xFF) << 8;
                p += 3;
            } else {
                out[n++] = (in[p + 1] & 0xFF) | (in[p + 2] & 0xFF) << 8 | (in[p + 3] & 0xFF) << 16
                        | (in[p + 4] & 0xFF) << 24;
                p += 5;
            }
        }
        return n;
    }
}
