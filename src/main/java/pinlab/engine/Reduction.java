package pinlab.engine;

/**
 * One engine worker's partial-order reduction of a {@link TransitionSystem}: which threads to expand in a state.
 * Used by one thread only.
 *
 * <p>The set returned must be persistent in the sense of stubborn sets (Valmari; Godefroid, "Partial-Order
 * Methods for the Verification of Concurrent Systems", LNCS 1032, ch. 4): it contains a thread that can step when
 * any can, and no run of steps of the other threads can clash with, enable or disable a step of the set. Then
 * every final and every stuck state of the full space is reached, by a permutation of a full run of the same
 * length. {@link PersistentSet#choose} builds such a set from footprints.
 */
public interface Reduction {
    /** Expand every thread. */
    long ALL = -1L;

    /** Returns the threads to expand in the state {@code state[0..length)}, as a bitmask, or {@link #ALL}. */
    long ample(int[] state, int length);
}
