package pinlab.engine;

/** Listens to a running search; the engine itself prints nothing. */
@FunctionalInterface
public interface Progress {
    /** A listener that ignores everything. */
    Progress NONE = (states, transitions, depth, queue, seconds) -> { };

    /**
     * Reports how far the search has come; called about every ten seconds.
     *
     * @param states distinct states so far
     * @param transitions transitions so far
     * @param depth the BFS level being expanded
     * @param queue states waiting in the next level
     * @param seconds time since the search started
     */
    void update(long states, long transitions, int depth, long queue, double seconds);
}
