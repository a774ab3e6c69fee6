package pinlab.engine;

import java.util.Arrays;

/**
 * Per state number, the state it was first reached from and the thread that stepped (fewer than 255 threads): 5
 * bytes a state, in chunks of 65,536, so that growing copies nothing but the first chunk while it is small. The
 * explorer makes room for a level's states ({@link #ensure}) and fills them in any order ({@link #set}). Runs are
 * rebuilt from it by following parents back to state 0.
 */
final class ParentLog {
    private static final int SHIFT = 16;
    private static final int CHUNK = 1 << SHIFT;
    private static final int MASK = CHUNK - 1;

    private int[][] parents = new int[4][];
    private byte[][] vias = new byte[4][];
    private int size;

    /** Makes room for states up to {@code newSize} (exclusive), which {@link #set} then fills, in any order. */
    void ensure(int newSize) {
        while (size < newSize) {
            int c = size >>> SHIFT;
            if (c >= parents.length) {
                parents = Arrays.copyOf(parents, Math.max(c + 1, parents.length * 2));
                vias = Arrays.copyOf(vias, parents.length);
            }
            int need = Math.min(CHUNK, newSize - (c << SHIFT));
            if (parents[c] == null) {
                int first = c == 0 ? Math.max(64, need) : CHUNK; // the first chunk grows: most searches are small
                parents[c] = new int[first];
                vias[c] = new byte[first];
            } else if (parents[c].length < need) {
                int len = Math.min(CHUNK, Math.max(need, 4 * parents[c].length));
                parents[c] = Arrays.copyOf(parents[c], len);
                vias[c] = Arrays.copyOf(vias[c], len);
            }
            size = Math.min(newSize, (c + 1) << SHIFT);
        }
    }

    /** Sets state {@code id} (below the size {@link #ensure} made): reached from {@code parent} by thread {@code via}. */
    void set(int id, int parent, int via) {
        parents[id >>> SHIFT][id & MASK] = parent;
        vias[id >>> SHIFT][id & MASK] = (byte) via;
    }

    /** Returns the number of states logged. */
    int size() {
        return size;
    }

    /** Returns the parent of state {@code id} (-1 for state 0). */
    int parent(int id) {
        return parents[id >>> SHIFT][id & MASK];
    }

    /** Returns the thread that reached state {@code id} (-1 for state 0). */
    int via(int id) {
        int v = vias[id >>> SHIFT][id & MASK] & 0xFF;
        return v == 0xFF ? -1 : v;
    }

    /** Returns the thread schedule from state 0 to state {@code id}. */
    java.util.List<Integer> schedule(int id) {
        java.util.ArrayList<Integer> out = new java.util.ArrayList<>();
        for (int s = id; s > 0; s = parent(s)) {
            out.add(via(s));
        }
        java.util.Collections.reverse(out);
        return java.util.List.copyOf(out);
    }

    /** Returns the bytes its chunks take. */
    long bytes() {
        long n = 0;
        for (int[] p : parents) {
            n += p == null ? 0 : 5L * p.length;
        }
        return n;
    }
}
