package pinlab.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The packed form round-trips every word, and small words take one byte. */
class StateCodecTest {
    private static int[] roundTrip(int[] s) {
        byte[] b = new byte[StateCodec.maxBytes(s.length)];
        int len = StateCodec.encode(s, s.length, b, 0);
        int[] out = new int[s.length + 1];
        int n = StateCodec.decode(b, 0, len, out);
        return Arrays.copyOf(out, n);
    }

    @Test
    void boundaries_roundTrip() {
        int[] s = {0, 1, 253, 254, 255, 256, 65535, 65536, -1, -254, Integer.MIN_VALUE, Integer.MAX_VALUE, 7};
        assertArrayEquals(s, roundTrip(s));
    }

    @Test
    void sizes_followTheWordRanges() {
        byte[] b = new byte[64];
        assertEquals(3, StateCodec.encode(new int[] {0, 100, 253}, 3, b, 0));
        assertEquals(3, StateCodec.encode(new int[] {254}, 1, b, 0));
        assertEquals(3, StateCodec.encode(new int[] {65535}, 1, b, 0));
        assertEquals(5, StateCodec.encode(new int[] {65536}, 1, b, 0));
        assertEquals(5, StateCodec.encode(new int[] {-1}, 1, b, 0));
    }

    @Test
    void randomStates_roundTrip() {
        SplittableRandom r = new SplittableRandom(42);
        for (int i = 0; i < 20_000; i++) {
            int[] s = new int[r.nextInt(0, 60)];
            for (int k = 0; k < s.length; k++) {
                int kind = r.nextInt(4);
                s[k] = kind == 0 ? r.nextInt(0, 300) : kind == 1 ? r.nextInt(0, 70_000) : r.nextInt();
            }
            assertArrayEquals(s, roundTrip(s), () -> Arrays.toString(s));
        }
    }
}
