package pinlab.engine;

/**
 * Bounds on an exploration, and how many threads it may use.
 *
 * @param maxStates stop after this many distinct states (0: no limit)
 * @param maxSeconds stop after this many seconds (0: no limit)
 * @param simulate instead of exploring every interleaving, run this many random schedules (0: exhaustive)
 * @param seed the seed of the random schedules
 * @param workers worker threads of one exploration or simulation (0: one per core). Results do not depend on it.
 * @param swarm with {@code simulate}: split the runs over diversified configurations (see {@link Simulator})
 * @param por whether exhaustive search may use the model's partial-order reduction (see {@link Reduction})
 * @param symmetry whether the model may merge states that differ only by a permutation of interchangeable
 *     threads (a model reads it when it is built)
 */
public record Limits(long maxStates, double maxSeconds, long simulate, long seed, int workers, boolean swarm,
        boolean por, boolean symmetry) {
    /** No limit: exhaustive exploration on every core. */
    public static final Limits NONE = new Limits(0, 0);

    /** Creates exhaustive-exploration limits, on every core. */
    public Limits(long maxStates, double maxSeconds) {
        this(maxStates, maxSeconds, 0, 0, 0, false);
    }

    /** Creates limits on every core. */
    public Limits(long maxStates, double maxSeconds, long simulate, long seed) {
        this(maxStates, maxSeconds, simulate, seed, 0, false);
    }

    /**
     * Creates limits with partial-order reduction, unless the system property {@code pinlab.por} is {@code false}
     * (set through {@code PINLAB_JAVA_OPTS=-Dpinlab.por=false}, for tools that compare full state spaces, such as
     * the SPIN twin's compare script).
     */
    public Limits(long maxStates, double maxSeconds, long simulate, long seed, int workers, boolean swarm) {
        this(maxStates, maxSeconds, simulate, seed, workers, swarm,
                !"false".equalsIgnoreCase(System.getProperty("pinlab.por", "true").trim()), true);
    }

    /** Creates limits without a swarm. */
    public Limits(long maxStates, double maxSeconds, long simulate, long seed, int workers) {
        this(maxStates, maxSeconds, simulate, seed, workers, false);
    }

    /** Returns these limits with {@code n} workers (0: one per core). */
    public Limits withWorkers(int n) {
        return new Limits(maxStates, maxSeconds, simulate, seed, n, swarm, por, symmetry);
    }

    /** Returns these limits with partial-order reduction on or off. */
    public Limits withPor(boolean on) {
        return new Limits(maxStates, maxSeconds, simulate, seed, workers, swarm, on, symmetry);
    }

    /** Returns these limits with symmetry reduction on or off. */
    public Limits withSymmetry(boolean on) {
        return new Limits(maxStates, maxSeconds, simulate, seed, workers, swarm, por, on);
    }

    /**
     * Returns how many bytes of packed frontier may stay on the heap before the rest goes to disk: a sixteenth of
     * the heap (the successors' fingerprints and parents, which stay, need the rest), or the system property {@code pinlab.spill.bytes} (a number with an optional k, m or g; 0: never spill).
     */
    public long spillBudget() {
        String v = System.getProperty("pinlab.spill.bytes");
        if (v == null || v.isBlank()) {
            return Runtime.getRuntime().maxMemory() / 16;
        }
        String t = v.trim().toLowerCase(java.util.Locale.ROOT);
        long unit = t.endsWith("k") ? 1L << 10 : t.endsWith("m") ? 1L << 20 : t.endsWith("g") ? 1L << 30 : 1;
        String num = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            return Math.max(0, Long.parseLong(num) * unit);
        } catch (NumberFormatException e) {
            return Runtime.getRuntime().maxMemory() / 16; // a bad setting is ignored, never fatal
        }
    }

    /** Returns the worker count to use: {@link #workers}, or the number of cores when that is 0. */
    public int resolvedWorkers() {
        return workers > 0 ? workers : Runtime.getRuntime().availableProcessors();
    }
}
