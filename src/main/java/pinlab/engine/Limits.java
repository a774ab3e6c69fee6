package pinlab.engine;

/**
 * Bounds on one exploration. A run stopped by one is incomplete, never safe.
 *
 * @param maxStates stop after this many distinct states (0 = no bound)
 * @param maxSeconds stop after this many seconds (0 = no bound)
 */
public record Limits(long maxStates, double maxSeconds) {
    /** No bound. */
    public static final Limits NONE = new Limits(0, 0);
}
