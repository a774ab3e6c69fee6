package pinlab.model;

import java.util.Arrays;

/**
 * Where each field of a state lives in its {@code int[]} encoding.
 *
 * <p>The shape is fixed by the scenario: the threads and their registers, the kernel daemons, the processes
 * (every process a scenario can create has a slot, created or not), the VMA names and their sizes in pages, the
 * files (named files, memfds and the shmem objects behind shared anonymous mappings) with their page caches and,
 * for files on a disk, their blocks, and the reference holders. Only the folio table at the end grows and
 * shrinks. Because processes, VMAs, files and holders are named statically, only folios need renumbering to make
 * the encoding canonical. A scenario without daemons or disk-backed files has no words for them, so the
 * encoding of anonymous-memory scenarios is what it always was.
 *
 * <pre>
 * [0]                events bitset
 * [1]                signals bitset
 * per thread:        pc (operation index, and the step within a multi-step operation), registers...
 * per daemon:        daemon word
 * per process:       process word, then per VMA name: VMA word, then one PTE per page
 * per file:          file word, then one page-cache slot (page ref) per page, then for a file on a disk two
 *                    words per block: its data (cells and checksum) and its state
 * per holder:        holder word, then one page ref per slot
 * folio table:       count, then FOLIO_WORDS per folio
 * </pre>
 */
public final class Layout {
    /** Words per folio: refcount, mapcount, pincount, flags, content, mapping. */
    public static final int FOLIO_WORDS = 6;

    static final int F_REF = 0;
    static final int F_MAP = 1;
    static final int F_PIN = 2;
    static final int F_FLAGS = 3;
    static final int F_CONTENT = 4;
    static final int F_MAPPING = 5;

    final int[] threadBase;
    final int[] regCount;
    final int[] daemonAt;
    final int[] procBase;
    final int[] vmaPages;
    final int[] vmaOffset;
    final int procStride;
    final int[] spaceBase;
    final int[] spacePages;
    final int[] blockBase;
    final int[] forkBase;
    final int[] holderBase;
    final int[] holderSlots;
    final int folioBase;

    /**
     * Creates a layout without daemons and without disk-backed files.
     *
     * @param regsPerThread number of registers of each thread
     * @param processes number of process slots
     * @param vmaPagesPerName size in pages of each VMA name
     * @param filePages size in pages of each file (shared-memory objects included)
     * @param slotsPerHolder number of page slots of each holder
     */
    public Layout(int[] regsPerThread, int processes, int[] vmaPagesPerName, int[] filePages, int[] slotsPerHolder) {
        this(regsPerThread, 0, processes, vmaPagesPerName, filePages, new boolean[filePages.length], slotsPerHolder);
    }

    /**
     * Creates a layout.
     *
     * @param regsPerThread number of registers of each thread
     * @param daemons number of kernel daemons
     * @param processes number of process slots
     * @param vmaPagesPerName size in pages of each VMA name
     * @param filePages size in pages of each file (shared-memory objects included)
     * @param onDisk whether each file has blocks on a disk
     * @param slotsPerHolder number of page slots of each holder
     */
    public Layout(int[] regsPerThread, int daemons, int processes, int[] vmaPagesPerName, int[] filePages,
            boolean[] onDisk, int[] slotsPerHolder) {
        this(regsPerThread, daemons, processes, vmaPagesPerName, filePages, onDisk, new boolean[filePages.length],
                slotsPerHolder);
    }

    /**
     * Creates a layout.
     *
     * @param regsPerThread number of registers of each thread
     * @param daemons number of kernel daemons
     * @param processes number of process slots
     * @param vmaPagesPerName size in pages of each VMA name
     * @param filePages size in pages of each file (shared-memory objects included)
     * @param onDisk whether each file has blocks on a disk
     * @param forks whether each file forks pages under writeback (Tux3): one more page reference per block, the
     *     folio its in-flight write reads when it is no longer the cached one
     * @param slotsPerHolder number of page slots of each holder
     */
    public Layout(int[] regsPerThread, int daemons, int processes, int[] vmaPagesPerName, int[] filePages,
            boolean[] onDisk, boolean[] forks, int[] slotsPerHolder) {
        int at = 2;
        regCount = regsPerThread.clone();
        threadBase = new int[regCount.length];
        for (int t = 0; t < regCount.length; t++) {
            threadBase[t] = at;
            at += 1 + regCount[t];
        }
        daemonAt = new int[daemons];
        for (int d = 0; d < daemons; d++) {
            daemonAt[d] = at++;
        }
        vmaPages = vmaPagesPerName.clone();
        vmaOffset = new int[vmaPages.length];
        int stride = 1;
        for (int v = 0; v < vmaPages.length; v++) {
            vmaOffset[v] = stride;
            stride += 1 + vmaPages[v];
        }
        procStride = stride;
        procBase = new int[processes];
        for (int p = 0; p < processes; p++) {
            procBase[p] = at;
            at += procStride;
        }
        spacePages = filePages.clone();
        spaceBase = new int[spacePages.length];
        blockBase = new int[spacePages.length];
        forkBase = new int[spacePages.length];
        for (int s = 0; s < spacePages.length; s++) {
            spaceBase[s] = at;
            at += 1 + spacePages[s];
            blockBase[s] = onDisk[s] ? at : -1;
            if (onDisk[s]) {
                at += 2 * spacePages[s];
            }
            // fork slots are laid out like page-cache slots: a word before them, then one reference per page
            forkBase[s] = forks[s] ? at : -1;
            if (forks[s]) {
                at += 1 + spacePages[s];
            }
        }
        holderSlots = slotsPerHolder.clone();
        holderBase = new int[holderSlots.length];
        for (int h = 0; h < holderSlots.length; h++) {
            holderBase[h] = at;
            at += 1 + holderSlots[h];
        }
        folioBase = at;
    }

    /** Returns the number of threads. */
    public int threads() {
        return threadBase.length;
    }

    /** Returns the number of kernel daemons. */
    public int daemons() {
        return daemonAt.length;
    }

    /** Returns the number of process slots. */
    public int processes() {
        return procBase.length;
    }

    /** Returns the number of VMA names. */
    public int vmas() {
        return vmaPages.length;
    }

    /** Returns the size in pages of VMA name {@code v}. */
    public int vmaPages(int v) {
        return vmaPages[v];
    }

    /** Returns the number of files (named files, memfds and shmem objects). */
    public int files() {
        return spacePages.length;
    }

    /** Returns the size in pages of file {@code f}. */
    public int filePages(int f) {
        return spacePages[f];
    }

    /** Returns whether file {@code f} has blocks on a disk. */
    public boolean onDisk(int f) {
        return blockBase[f] >= 0;
    }

    /** Returns whether file {@code f} forks pages under writeback (it has fork slots). */
    public boolean forks(int f) {
        return forkBase[f] >= 0;
    }

    /** Returns the number of holders. */
    public int holders() {
        return holderSlots.length;
    }

    /** Returns the number of page slots of holder {@code h}. */
    public int holderSlots(int h) {
        return holderSlots[h];
    }

    /** Returns where thread {@code t}'s words (its program counter, then its registers) start in a state. */
    public int threadBase(int t) {
        return threadBase[t];
    }

    /** Returns the number of registers of thread {@code t}. */
    public int registers(int t) {
        return regCount[t];
    }

    /** Returns the size of a state with no folios. */
    int fixedWords() {
        return folioBase + 1;
    }

    @Override
    public String toString() {
        return "Layout[threads=" + Arrays.toString(regCount) + ", daemons=" + daemonAt.length + ", processes="
                + procBase.length + ", vmas=" + Arrays.toString(vmaPages) + ", files=" + Arrays.toString(spacePages)
                + ", holders=" + Arrays.toString(holderSlots) + "]";
    }
}
