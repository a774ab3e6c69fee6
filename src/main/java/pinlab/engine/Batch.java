package pinlab.engine;

import java.util.Arrays;

/**
 * A run of states in packed form, in discovery order: first the successors one worker found while expanding part
 * of a level (with their fingerprints, the state and thread they were reached from, and their context-switch
 * count), then, after the level's merge, only those that start the next level (their numbers and context-switch
 * counts). Batches are the unit of parallel work. Their packed bytes may live on disk ({@link Spill}).
 */
final class Batch {
    /** Entries per batch before a worker starts a new one (positions fit in 12 bits). */
    static final int TARGET = 4096;

    private byte[] data;
    private int dataLen;
    /** Where the bytes are on disk when {@link #data} is null: the generation and the position. */
    private int spillGen = -1;
    private long spillAt;
    /** Whether {@link #data} counts against the heap's share (it settled on the heap). */
    private boolean counted;
    /** Arrays start small (most searches are a few dozen states) and grow to {@link #TARGET}. */
    int[] start = new int[33];
    int n;
    long[] fp = new long[32];
    int[] parent = new int[32];
    byte[] via = new byte[32];
    short[] sw = new short[32];
    /** The entries with violations (rare): their positions and violation bits. */
    int[] violAt = new int[0];
    int[] violBits = new int[0];
    int violN;
    /**
     * After {@link #index}: the entries by visited-set segment (stable), where each segment starts in that order,
     * and in that order the fingerprints, context-switch counts and (after the merge) first-in-level marks.
     */
    short[] bySeg;
    int[] segStart;
    long[] fpSeg;
    short[] swSeg;
    boolean[] firstSeg;
    /** After the merge: the state number, or -1 for a repeat (or one past the state limit). */
    int[] id;
    /** Deadlocks and stalls met while this batch was filled: the entry count when met, and the state number. */
    int[] stuckAt = new int[0];
    int[] stuckId = new int[0];
    String[] stuckName = new String[0];
    int stuckN;

    /** Creates an empty batch with room for {@code bytes} packed bytes. */
    Batch(int bytes) {
        data = new byte[bytes];
    }

    /** Returns the end of the packed bytes: where the next entry's go. */
    int end() {
        return dataLen;
    }

    /** Makes room for {@code bytes} more packed bytes and returns the array to write them into at {@link #end}. */
    byte[] reserve(int bytes) {
        if (dataLen + bytes > data.length) {
            data = Arrays.copyOf(data, Math.max(dataLen + bytes, 2 * data.length));
        }
        return data;
    }

    /**
     * Appends an entry whose {@code len} packed bytes were written at {@link #end} (after {@link #reserve}).
     */
    void commit(int len, long fprint, int from, int thread, int switches, int violations) {
        dataLen += len;
        append(fprint, from, thread, switches, violations);
    }

    /** Appends an entry; the packed bytes are {@code bytes[0..len)}. */
    void add(byte[] bytes, int len, long fprint, int from, int thread, int switches, int violations) {
        System.arraycopy(bytes, 0, reserve(len), dataLen, len);
        commit(len, fprint, from, thread, switches, violations);
    }

    private void append(long fprint, int from, int thread, int switches, int violations) {
        if (n == fp.length) {
            int c = Math.min(TARGET, 4 * n);
            fp = Arrays.copyOf(fp, c);
            parent = Arrays.copyOf(parent, c);
            via = Arrays.copyOf(via, c);
            sw = Arrays.copyOf(sw, c);
            start = Arrays.copyOf(start, c + 1);
        }
        if (switches > Short.MAX_VALUE) {
            throw new IllegalStateException("more than " + Short.MAX_VALUE + " context switches on a shortest run");
        }
        fp[n] = fprint;
        parent[n] = from;
        via[n] = (byte) thread;
        sw[n] = (short) switches;
        if (violations != 0) {
            if (violN == violAt.length) {
                violAt = Arrays.copyOf(violAt, Math.max(4, 2 * violN));
                violBits = Arrays.copyOf(violBits, Math.max(4, 2 * violN));
            }
            violAt[violN] = n;
            violBits[violN++] = violations;
        }
        n++;
        start[n] = dataLen;
    }

    /** Returns the packed bytes of all entries, reading them back from disk if they were spilled. */
    byte[] data(Spill spill) {
        if (data == null) {
            data = spill.read(spillGen, spillAt, dataLen);
            spillGen = -1;
        }
        return data;
    }

    /** Trims the packed bytes and, if the heap's share is used up, moves them to generation {@code gen} on disk. */
    void settle(Spill spill, int gen) {
        if (data.length > dataLen + dataLen / 4) {
            data = Arrays.copyOf(data, dataLen); // trimmed when more than a fifth is slack
        }
        if (spill.shouldSpill(dataLen)) {
            spillAt = spill.write(gen, data, dataLen);
            spillGen = gen;
            data = null;
        } else {
            counted = true;
        }
    }

    /** Drops the packed bytes (the batch is done), freeing their share of the heap. */
    void drop(Spill spill) {
        if (counted) {
            spill.released(dataLen);
            counted = false;
        }
        data = null;
    }

    /** Records that the state numbered {@code state} is stuck ({@code name}), met before entry {@link #n}. */
    void stuck(String name, int state) {
        if (stuckN == stuckAt.length) {
            int c = Math.max(4, stuckN * 2);
            stuckAt = Arrays.copyOf(stuckAt, c);
            stuckId = Arrays.copyOf(stuckId, c);
            stuckName = Arrays.copyOf(stuckName, c);
        }
        stuckAt[stuckN] = n;
        stuckId[stuckN] = state;
        stuckName[stuckN] = name;
        stuckN++;
    }

    /** Sorts the entries by segment, keeping their order within one. */
    void index() {
        int[] count = new int[FingerprintSet.SEGMENTS + 1];
        for (int e = 0; e < n; e++) {
            count[FingerprintSet.segment(fp[e]) + 1]++;
        }
        for (int s = 0; s < FingerprintSet.SEGMENTS; s++) {
            count[s + 1] += count[s];
        }
        segStart = count.clone();
        bySeg = new short[n];
        fpSeg = new long[n];
        swSeg = new short[n];
        for (int e = 0; e < n; e++) {
            int k = count[FingerprintSet.segment(fp[e])]++;
            bySeg[k] = (short) e;
            fpSeg[k] = fp[e];
            swSeg[k] = sw[e];
        }
        firstSeg = new boolean[n];
        fp = null;
    }

    /** After the merge: numbers the first entries 0 for now and the repeats -1, in entry order. */
    void marks() {
        id = new int[n];
        for (int k = 0; k < n; k++) {
            id[bySeg[k]] = firstSeg[k] ? 0 : -1;
        }
        bySeg = null;
        segStart = null;
        fpSeg = null;
        swSeg = null;
        firstSeg = null;
    }

    /**
     * Keeps only the entries that start the next level (numbered, and no violation), packed to the front, and drops
     * what the merge needed; returns how many are kept. The bytes then settle in generation {@code gen}.
     */
    int compact(Spill spill, int gen) {
        byte[] d = data(spill);
        int old = dataLen;
        int k = 0;
        int bytes = 0;
        int v = 0;
        for (int e = 0; e < n; e++) {
            boolean bad = v < violN && violAt[v] == e;
            if (bad) {
                v++;
            }
            if (id[e] < 0 || bad) {
                continue;
            }
            int len = start[e + 1] - start[e];
            System.arraycopy(d, start[e], d, bytes, len);
            start[k] = bytes;
            bytes += len;
            id[k] = id[e];
            sw[k] = sw[e];
            via[k] = via[e];
            k++;
        }
        start[k] = bytes;
        n = k;
        dataLen = bytes;
        start = Arrays.copyOf(start, k + 1);
        id = Arrays.copyOf(id, k);
        sw = Arrays.copyOf(sw, k);
        via = Arrays.copyOf(via, k);
        parent = null;
        violAt = null;
        violBits = null;
        stuckAt = null;
        stuckId = null;
        stuckName = null;
        if (counted) {
            spill.released(old);
            counted = false;
        }
        if (k > 0) {
            settle(spill, gen);
        } else {
            data = null;
        }
        return k;
    }
}
