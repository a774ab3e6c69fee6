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
    private long[] newFps = new long[64];
    private int[] newRefs = new int[64];
    private int[] order = new int[64];
    private int[] keys = new int[64];
    private final int[] buckets = new int[257];

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

    /** Returned by {@link #meet} for a fingerprint met for the first time in this level. */
    static final long NEW = -1;

    /**
     * Meets entry {@code ref} of normal fingerprint {@code fp} with {@code switches} context switches, in sequential
     * order. Returns {@link #NEW} if it is the fingerprint's first entry in the level; else the first entry's
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
                if (switches < (int) (v >>> 32)) {
                    slots[at + 1] = ((long) switches << 32) | first;
                    return first | (1L << 62);
                }
                return first;
            }
            if (k == 0) {
                slots[at] = fp;
                slots[at + 1] = ((long) switches << 32) | (ref & 0xFFFF_FFFFL);
                return NEW;
            }
            i = (i + 1) & mask;
        }
    }

    /** Records the {@code i}-th new fingerprint of the segment and its first entry. */
    void news(int i, long fp, int ref) {
        if (i == newFps.length) {
            newFps = Arrays.copyOf(newFps, 2 * i);
            newRefs = Arrays.copyOf(newRefs, 2 * i);
        }
        newFps[i] = fp;
        newRefs[i] = ref;
    }

    /** Returns the {@code i}-th new fingerprint. */
    long newFp(int i) {
        return newFps[i];
    }

    /** Returns the first entry of the {@code i}-th new fingerprint. */
    int newRef(int i) {
        return newRefs[i];
    }

    /**
     * Returns the indices of the first {@code n} new fingerprints ordered by the top byte of their home slot in a
     * visited-set table of {@code cap} slots (a counting sort: stable, linear).
     */
    int[] byHome(int n, int cap) {
        if (order.length < n) {
            order = new int[Math.max(n, 2 * order.length)];
            keys = new int[order.length];
        }
        int[] count = buckets;
        Arrays.fill(count, 0);
        for (int i = 0; i < n; i++) {
            int key = (int) ((FingerprintSet.home(newFps[i], cap) * 256L) / cap);
            keys[i] = key;
            count[key + 1]++;
        }
        for (int b = 0; b < 256; b++) {
            count[b + 1] += count[b];
        }
        for (int i = 0; i < n; i++) {
            order[count[keys[i]]++] = i;
        }
        return order;
    }
}
