package pinlab.engine;

/**
 * Chooses a persistent set of threads from footprints: what each thread's next step reads and writes, and what
 * every step it may still take reads and writes, as bitmasks of abstract resources. Two footprints clash when one
 * writes a resource the other reads or writes.
 *
 * <p>The closure is the stubborn-set construction for threads with program order (Godefroid, LNCS 1032,
 * algorithm 4.5's conflict rule): starting from one thread that can step, a thread joins when any step it may
 * still take clashes with the next step of a thread in the set; if a thread in the set cannot step now, the set
 * is every thread (no enabling set is computed). A thread outside the set therefore only ever takes steps that
 * commute with the set's next steps, so those stay enabled and lead to the same states in either order.
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
     * @param nowR what each enabled thread's next step reads
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
            if ((enabled & (1L << k)) == 0) {
                return active;
            }
            for (long rest = active & ~set; rest != 0; rest &= rest - 1) {
                int j = Long.numberOfTrailingZeros(rest);
                if ((nowW[k] & (laterR[j] | laterW[j])) != 0 || (nowR[k] & laterW[j]) != 0) {
                    set |= 1L << j;
                    todo |= 1L << j;
                }
            }
        }
        return set;
    }
}
