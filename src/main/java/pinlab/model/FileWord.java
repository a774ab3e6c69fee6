package pinlab.model;

/**
 * The word of a file: whether it exists, its size in pages, and its writeback error state. The error state is
 * the mapping's errseq_t (how many errors were recorded, modulo 4) and the f_wb_err sample of the one open file
 * description the scenario's processes share (what the last fsync reported).
 */
public final class FileWord {
    /** The file exists (a shmem object exists while something maps it; named files always). */
    public static final int EXISTS = 1;
    static final int SIZE_SHIFT = 1;
    static final int SIZE_MASK = 15;
    static final int ERR_SHIFT = 5;
    static final int SEEN_SHIFT = 7;
    static final int PROBE_SHIFT = 16;

    /** Returns whether a uprobe is registered at cell {@code cell} of the file. */
    public static boolean probed(int word, int cell) {
        return (word >>> (PROBE_SHIFT + cell) & 1) != 0;
    }

    /** Returns the word with the uprobe at cell {@code cell} registered or not. */
    public static int withProbe(int word, int cell, boolean on) {
        int bit = 1 << (PROBE_SHIFT + cell);
        return on ? word | bit : word & ~bit;
    }

    private FileWord() {}

    /** Returns the word of an existing file of {@code pages} pages, with no error recorded. */
    public static int of(int pages) {
        return EXISTS | (pages << SIZE_SHIFT);
    }

    /** Returns the size in pages (i_size rounded up to pages). */
    public static int size(int word) {
        return (word >>> SIZE_SHIFT) & SIZE_MASK;
    }

    /** Returns the word with size {@code pages}. */
    public static int withSize(int word, int pages) {
        return (word & ~(SIZE_MASK << SIZE_SHIFT)) | (pages << SIZE_SHIFT);
    }

    /** Returns the mapping's error sequence (0: no error was ever recorded). */
    public static int errseq(int word) {
        return (word >>> ERR_SHIFT) & 3;
    }

    /** Returns the sequence the open file last reported. */
    public static int seen(int word) {
        return (word >>> SEEN_SHIFT) & 3;
    }

    /** Returns the word after errseq_set(): a new error is recorded. */
    public static int withError(int word) {
        int next = errseq(word) % 3 + 1;
        return (word & ~(3 << ERR_SHIFT)) | (next << ERR_SHIFT);
    }

    /** Returns the word after the open file has reported every recorded error. */
    public static int seenAll(int word) {
        return (word & ~(3 << SEEN_SHIFT)) | (errseq(word) << SEEN_SHIFT);
    }
}
