package pinlab.engine;

import java.util.Arrays;

/**
 * One visited-set segment's share of one level: per new fingerprint, its first entry in the level and the fewest
 * context switches met so far. Open addressing with a key and its value side by side (16 bytes a slot), sized
 * before use so that it never grows; reused by one worker from segment to segment. Entry references are
 * {@code batch << 12 | position in the batch's segment order}, at most 32 bits.
 */
final class LevelMap {
    private long[] slots = new long[2 * 64];
    private int mask;
    private int cap;
    private int last;

    /** Empties the map and makes room for {@code n} keys. */
    void reset(int n) {
        cap = Integer.highestOneBit(Math.max(8, n) * 2 - 1) << 1; // at most half full
        if (slots.length < 2 * cap) {
            slots = new long[2 * cap];
        } else {
            Arrays.fill(slots, 0, 2 * cap, 0L);
        }
        mask = cap - 1;
    }

    /** The reference that marks a fingerprint visited in an earlier level (no batch reaches it: see Explorer). */
    static final long OLD = 0xFFFF_FFFFL;

    /** Returned by {@link #meet} for a fingerprint met for the first time in this level. */
    static final long NEW = -1;

    /**
     * Meets entry {@code ref} of normal fingerprint {@code fp} with {@code switches} context switches, in sequential
     * order. Returns {@link #NEW} if it is the fingerprint's first entry in the level (the caller then says, with
     * {@link #markOld}, if an earlier level had it); {@link #OLD} if an earlier level had it; else the first entry's
     * reference, with bit 62 set when this entry has fewer switches than any before it (it becomes the best).
     */
    long meet(long fp, int ref, int switches) {
        int i = (int) (fp ^ (fp >>> 29)) & mask;
        while (true) {
            int at = 2 * i;
            long k = slots[at];
            if (k == fp) {
                long v = slots[at + 1];
                long first = v & 0xFFFF_FFFFL;
                if (first == OLD) {
                    return OLD;
                }
                if (switches < (int) (v >>> 32)) {
                    slots[at + 1] = ((long) switches << 32) | first;
                    return first | (1L << 62);
                }
                return first;
            }
            if (k == 0) {
                slots[at] = fp;
                slots[at + 1] = ((long) switches << 32) | (ref & 0xFFFF_FFFFL);
                last = at;
                return NEW;
            }
            i = (i + 1) & mask;
        }
    }

    /** Marks the fingerprint the last {@link #meet} returned {@link #NEW} for as visited in an earlier level. */
    void markOld() {
        slots[last + 1] = OLD;
    }
}
