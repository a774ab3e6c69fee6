package pinlab.engine;

/**
 * The visited set: 64-bit fingerprints in 1,024 open-addressing tables of longs (linear probing), selected by the
 * fingerprint's top ten bits; the next bits give the home slot. Only the fingerprint is stored, 8 bytes a slot. Segments let {@link Explorer}'s workers
 * insert in parallel without locks, each owning a fixed set of segments, and let a table grow a segment at a time
 * instead of copying the whole set. Zero marks an empty slot, so fingerprint 0 is stored as 1 (see
 * {@link #normal}); the collision estimate counts that as one more chance of a collision.
 */
final class FingerprintSet {
    static final int SEGMENTS = 1024;
    private static final int SEGMENT_SHIFT = 64 - 10;
    private static final int MIN_CAPACITY = 16;
    /** High, because a merge probes one segment at a time, which stays in the cache. */
    private static final double MAX_LOAD = 0.9;

    private final long[][] tables = new long[SEGMENTS][];
    private final int[] sizes = new int[SEGMENTS];
    private final int[] limits = new int[SEGMENTS];

    FingerprintSet() {
        // segments are allocated on their first insert: most searches are small
    }

    /** Returns {@code fp} as stored: never 0. */
    static long normal(long fp) {
        return fp == 0 ? 1 : fp;
    }

    /** Returns the segment of normal fingerprint {@code fp}. */
    static int segment(long fp) {
        return (int) (fp >>> SEGMENT_SHIFT);
    }

    /** Returns the home slot of {@code fp} in a table of {@code cap} slots: the bits below the segment's. */
    static int home(long fp, int cap) {
        return (int) Math.unsignedMultiplyHigh(fp << (64 - SEGMENT_SHIFT), cap);
    }

    /** Returns whether normal fingerprint {@code fp} is in the set. Safe with concurrent readers. */
    boolean contains(long fp) {
        long[] t = tables[segment(fp)];
        if (t == null) {
            return false;
        }
        int cap = t.length;
        int i = home(fp, cap);
        while (true) {
            long v = t[i];
            if (v == fp) {
                return true;
            }
            if (v == 0) {
                return false;
            }
            if (++i == cap) {
                i = 0;
            }
        }
    }

    /**
     * Adds normal fingerprint {@code fp}; returns whether it was new. Only the one thread that owns the segment may
     * call this at a time, and never while another thread calls {@link #contains}.
     */
    boolean add(long fp) {
        int s = segment(fp);
        long[] t = table(s);
        int cap = t.length;
        int i = home(fp, cap);
        while (true) {
            long v = t[i];
            if (v == fp) {
                return false;
            }
            if (v == 0) {
                t[i] = fp;
                if (++sizes[s] > limits[s]) {
                    grow(s);
                }
                return true;
            }
            if (++i == cap) {
                i = 0;
            }
        }
    }

    /** Makes segment {@code s} big enough for {@code extra} more fingerprints without growing. */
    void reserve(int s, int extra) {
        table(s);
        while (sizes[s] + extra > limits[s]) {
            grow(s);
        }
    }

    /** Returns segment {@code s}'s table, made on first use. */
    private long[] table(int s) {
        if (tables[s] == null) {
            tables[s] = new long[MIN_CAPACITY];
            limits[s] = (int) (MIN_CAPACITY * MAX_LOAD);
        }
        return tables[s];
    }

    /** Returns the slots of segment {@code s}'s table (after {@link #reserve}). */
    int capacity(int s) {
        return tables[s].length;
    }

    /** Grows segment {@code s} by half: its load stays between 0.6 and 0.9, 8.9 to 13.3 bytes a fingerprint. */
    private void grow(int s) {
        long[] old = tables[s];
        long[] t = new long[old.length + old.length / 2];
        int cap = t.length;
        for (long v : old) {
            if (v != 0) {
                int i = home(v, cap);
                while (t[i] != 0) {
                    if (++i == cap) {
                        i = 0;
                    }
                }
                t[i] = v;
            }
        }
        tables[s] = t;
        limits[s] = (int) (t.length * MAX_LOAD);
    }

    /** Returns how many fingerprints the set holds. */
    long size() {
        long n = 0;
        for (int v : sizes) {
            n += v;
        }
        return n;
    }

    /** Returns the bytes its tables take. */
    long bytes() {
        long n = 0;
        for (long[] t : tables) {
            n += t == null ? 0 : 8L * t.length;
        }
        return n;
    }
}
