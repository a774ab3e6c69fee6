package pinlab.engine;

import java.util.Arrays;

/**
 * One engine worker's way of stepping a {@link TransitionSystem}: successors are written into a buffer the
 * stepper reuses, so that exploring allocates nothing per transition. A stepper is used by one thread only.
 */
public interface Stepper {
    /**
     * Steps thread {@code t} from the state in {@code state[0..length)}; returns the successor's length, its
     * words in {@link #buffer()}, or -1 if {@code t} cannot step now. {@code state} is not changed.
     */
    int step(int[] state, int length, int t);

    /** Returns the buffer the last successful {@link #step} wrote; the next call overwrites it. */
    int[] buffer();

    /** Returns a stepper that calls {@link TransitionSystem#step} on exact-length copies (allocating). */
    static Stepper of(TransitionSystem ts) {
        return new Stepper() {
            private int[] last = new int[0];

            @Override
            public int step(int[] state, int length, int t) {
                int[] s = state.length == length ? state : Arrays.copyOf(state, length);
                int[] succ = ts.step(s, t);
                if (succ == null) {
                    return -1;
                }
                last = succ;
                return succ.length;
            }

            @Override
            public int[] buffer() {
                return last;
            }
        };
    }
}
