package pinlab.engine;

/**
 * Bounds on an exploration.
 *
 * @param maxStates stop after this many distinct states (0: no limit)
 * @param maxSeconds stop after this many seconds (0: no limit)
 * @param simulate instead of exploring every interleaving, run this many random schedules (0: exhaustive)
 * @param seed the seed of the random schedules
 */
public record Limits(long maxStates, double maxSeconds, long simulate, long seed) {
    /** No limit: exhaustive exploration. */
    public static final Limits NONE = new Limits(0, 0);

    /** Creates exhaustive-exploration limits. */
    public Limits(long maxStates, double maxSeconds) {
        this(maxStates, maxSeconds, 0, 0);
    }
}
