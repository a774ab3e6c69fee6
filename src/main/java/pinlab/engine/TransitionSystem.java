package pinlab.engine;

/**
 * What the engine explores: states as canonical {@code int[]} encodings, and numbered threads that each take
 * one deterministic step at a time. The engine knows nothing about kernels.
 */
public interface TransitionSystem {
    /** Returns the initial state. */
    int[] initial();

    /** Returns the number of threads. */
    int threads();

    /** Returns the successor of {@code state} when thread {@code t} steps, or null if it cannot step now. */
    int[] step(int[] state, int t);

    /**
     * Returns a new stepper for one engine worker. The default steps through {@link #step} on copies; a model
     * that can step into reused buffers overrides it. Both must give the same successors.
     */
    default Stepper stepper() {
        return Stepper.of(this);
    }

    /**
     * Returns a new partial-order reduction for one engine worker, or null if the model has none for this system.
     * The engine then re-runs a search that found a violation or a stuck state without it, so that violations
     * keep the traces of the full space.
     */
    default Reduction reduction() {
        return null;
    }

    /** Returns whether every thread has finished in {@code state}. */
    boolean finished(int[] state);

    /**
     * Returns the violation name of a state where no thread can step but {@link #finished} is false. The
     * default calls every such state a deadlock; a model may tell kinds apart.
     */
    default String stuck(int[] state) {
        return "deadlock";
    }

    /**
     * Returns a bitmask of the violations that hold in {@code state}; 0 if none. The engine may pass a stepper's
     * buffer, whose words past the state's own length are garbage.
     */
    int violations(int[] state);

    /** Returns the name of violation bit {@code bit}. */
    String violationName(int bit);

    /** Returns the outcome of a final state: its key (the values of the observed terms) and the condition. */
    Outcome outcome(int[] state);


    /**
     * The outcome of one final state.
     *
     * @param key the observed values, e.g. {@code P:buf[0]=7; P:buf[1]=2}
     * @param satisfied whether the final condition's expression holds
     * @param marked a mark the model gives some final states (the kernel model: an operation was refused)
     * @param tags a bitmask the model attaches to the final state (the kernel model: the kernel events a user
     *     must hear about, such as a crash or a warning); OR-ed over the final states of one key
     */
    record Outcome(String key, boolean satisfied, boolean marked, int tags) {}
}
