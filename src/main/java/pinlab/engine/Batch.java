package pinlab.engine;

import java.util.Arrays;

/**
 * A run of states in packed form, in discovery order: first the successors one worker found while expanding part
 * of a level (with their fingerprints, the state and thread they were reached from, and their context-switch
 * count), then, after the level's merge, only those that start the next level (their numbers and context-switch
 * counts). Batches are the unit of parallel work.
 */
final class Batch {
    /** Entries per batch before a worker starts a new one. */
    static final int TARGET = 4096;

    byte[] data = new byte[16 * TARGET];
    int dataLen;
    int[] start = new int[TARGET + 1];
    int n;
    long[] fp = new long[TARGET];
    int[] parent = new int[TARGET];
    byte[] via = new byte[TARGET];
    int[] sw = new int[TARGET];
    int[] viol = new int[TARGET];
    /**
     * After {@link #index}: the entries by visited-set segment (stable), where each segment starts in that order,
     * and in that order the fingerprints, context-switch counts and (after the merge) first-in-level marks.
     */
    int[] bySeg;
    int[] segStart;
    long[] fpSeg;
    int[] swSeg;
    boolean[] firstSeg;
    /** After the merge: the state number, or -1 for a repeat (or one past the state limit). */
    int[] id;
    /** Deadlocks and stalls met while this batch was filled: the entry count when met, and the state number. */
    int[] stuckAt = new int[0];
    int[] stuckId = new int[0];
    String[] stuckName = new String[0];
    int stuckN;

    /** Appends an entry; the packed bytes are {@code bytes[0..len)}. */
    void add(byte[] bytes, int len, long fprint, int from, int thread, int switches, int violations) {
        if (n == fp.length) {
            int c = n * 2;
            fp = Arrays.copyOf(fp, c);
            parent = Arrays.copyOf(parent, c);
            via = Arrays.copyOf(via, c);
            sw = Arrays.copyOf(sw, c);
            viol = Arrays.copyOf(viol, c);
            start = Arrays.copyOf(start, c + 1);
        }
        if (dataLen + len > data.length) {
            data = Arrays.copyOf(data, Math.max(dataLen + len, data.length * 2));
        }
        System.arraycopy(bytes, 0, data, dataLen, len);
        fp[n] = fprint;
        parent[n] = from;
        via[n] = (byte) thread;
        sw[n] = switches;
        viol[n] = violations;
        start[n] = dataLen;
        dataLen += len;
        n++;
        start[n] = dataLen;
    }

    /** Sorts the entries by segment, keeping their order within one, and makes room for the merge's numbers. */
    void index() {
        int[] count = new int[FingerprintSet.SEGMENTS + 1];
        for (int e = 0; e < n; e++) {
            count[FingerprintSet.segment(fp[e]) + 1]++;
        }
        for (int s = 0; s < FingerprintSet.SEGMENTS; s++) {
            count[s + 1] += count[s];
        }
        segStart = count.clone();
        bySeg = new int[n];
        fpSeg = new long[n];
        swSeg = new int[n];
        for (int e = 0; e < n; e++) {
            int k = count[FingerprintSet.segment(fp[e])]++;
            bySeg[k] = e;
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

    /**
     * Keeps only the entries that start the next level (numbered, and no violation), packed to the front, and drops
     * what the merge needed; returns how many are kept.
     */
    int compact() {
        int k = 0;
        int bytes = 0;
        for (int e = 0; e < n; e++) {
            if (id[e] < 0 || viol[e] != 0) {
                continue;
            }
            int len = start[e + 1] - start[e];
            System.arraycopy(data, start[e], data, bytes, len);
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
        data = Arrays.copyOf(data, bytes);
        start = Arrays.copyOf(start, k + 1);
        id = Arrays.copyOf(id, k);
        sw = Arrays.copyOf(sw, k);
        via = Arrays.copyOf(via, k);
        parent = null;
        viol = null;
        stuckAt = null;
        stuckId = null;
        stuckName = null;
        return k;
    }

    /** Returns the bytes this batch takes (arrays only). */
    long bytes() {
        long b = data.length + 4L * start.length + via.length;
        b += fp == null ? 0 : 8L * fp.length;
        b += parent == null ? 0 : 8L * parent.length;
        b += bySeg == null ? 0 : 17L * bySeg.length;
        b += 4L * sw.length + (id == null ? 0 : 4L * id.length);
        return b;
    }
}
