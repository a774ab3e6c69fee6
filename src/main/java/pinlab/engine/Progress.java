package pinlab.engine;

/** Listens to a running search; the engine itself prints nothing. */
@FunctionalInterface
public interface Progress {
    /** A listener that ignores everything. */
    Progress NONE = (states, transitions, depth, queue, expanded, seconds) -> { };

    /**
     * Reports how far the search has come; called about every {@link #intervalSeconds} seconds.
     *
     * @param states distinct states so far
     * @param transitions transitions so far
     * @param depth the BFS level being expanded
     * @param queue states of that level, all to be expanded before the next level starts
     * @param expanded how many of them have been expanded (at least; batches still running count when done)
     * @param seconds time since the search started
     */
    void update(long states, long transitions, int depth, long queue, long expanded, double seconds);

    /** Returns how often {@link #update} is wanted, in seconds: 10 unless the listener says otherwise. */
    default double intervalSeconds() {
        return 10;
    }
}
