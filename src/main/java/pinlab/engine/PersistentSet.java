package pinlab.engine;

/**
 * Chooses a persistent set of threads from footprints: what each thread's next step reads and writes, and what
 * every step it may still take reads and writes, as bitmasks of abstract resources. Two footprints clash when one
 * writes a resource the other reads or writes.
 *
 * <p>The closure is the stubborn-set construction for threads with program order (Godefroid, LNCS 1032,
 * section 4.4): starting from one thread that can step, a thread joins when any step it may still take clashes
 * with the next step of a thread in the set that can step; for a thread in the set that cannot step now, a thread
 * joins when any step it may still take writes what that thread's guard reads (a necessary enabling set: only such
 * a step can let it run). A thread outside the set therefore only ever takes steps that commute with the set's
 * enabled next steps and cannot enable its blocked ones, so the enabled ones stay enabled and lead to the same
 * states in either order.
 */
public final class PersistentSet {
    private PersistentSet() {}

    /**
     * Returns the smallest closed set over the seeds, as the threads to expand: a subset of {@code enabled}, the
     * first seed's on a tie, or {@link Reduction#ALL} when no set is smaller than {@code enabled}.
     *
     * @param n the number of threads (at most 63)
     * @param active the threads that have steps left (now or later)
     * @param enabled the threads that can step now, a subset of {@code active}
     * @param nowR what each enabled thread's next step reads; for an active thread that cannot step, what its
     *     guard reads
     * @param nowW what each enabled thread's next step writes
     * @param laterR what any step each active thread may still take reads (its next step included)
     * @param laterW what any step each active thread may still take writes
     */
    public static long choose(int n, long active, long enabled, long[] nowR, long[] nowW, long[] laterR,
            long[] laterW) {
        int best = Long.bitCount(enabled);
        if (best <= 1) {
            return Reduction.ALL;
        }
        long bestSet = Reduction.ALL;
        for (long seeds = enabled; seeds != 0; seeds &= seeds - 1) {
            int seed = Long.numberOfTrailingZeros(seeds);
            long set = closure(seed, active, enabled, nowR, nowW, laterR, laterW);
            int size = Long.bitCount(set & enabled);
            if (size < best) {
                best = size;
                bestSet = set & enabled;
                if (size == 1) {
                    break;
                }
            }
        }
        return bestSet;
    }

    private static long closure(int seed, long active, long enabled, long[] nowR, long[] nowW, long[] laterR,
            long[] laterW) {
        long set = 1L << seed;
        long todo = set;
        while (todo != 0) {
            int k = Long.numberOfTrailingZeros(todo);
            todo &= todo - 1;
            boolean blocked = (enabled & (1L << k)) == 0;
            for (long rest = active & ~set; rest != 0; rest &= rest - 1) {
                int j = Long.numberOfTrailingZeros(rest);
                boolean joins = blocked ? (nowR[k] & laterW[j]) != 0
                        : (nowW[k] & (laterR[j] | laterW[j])) != 0 || (nowR[k] & laterW[j]) != 0;
                if (joins) {
                    set |= 1L << j;
                    todo |= 1L << j;
                }
            }
        }
        return set;
    }
}
