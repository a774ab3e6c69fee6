package pinlab.model;

/** Bits of a VMA word: whether the VMA exists, its protection and its kind. */
public final class Vma {
    /** The VMA exists in this process. */
    public static final int MAPPED = 1;
    /** VM_READ. */
    public static final int READ = 2;
    /** VM_WRITE. */
    public static final int WRITE = 4;
    /** VM_SHARED (otherwise a private, copy-on-write mapping). */
    public static final int SHARED = 8;
    /** VM_DONTCOPY, set by MADV_DONTFORK. */
    public static final int DONTCOPY = 16;
    /** The mapping is anonymous (a shared anonymous mapping is backed by a shmem object). */
    public static final int ANON = 32;
    /** The mapping maps a file (a named file or a memfd): its file and page offset are in the word. */
    public static final int FILE = 64;
    /**
     * VM_MAYWRITE is clear: a MAP_SHARED mapping of a file opened read-only, which can never become writable (and
     * is not a COW mapping). Every other mapping here may write.
     */
    public static final int NOMAYWRITE = 128;
    static final int SPACE_SHIFT = 8;
    static final int SPACE_MASK = 0xFF;
    static final int PGOFF_SHIFT = 16;
    static final int PGOFF_MASK = (1 << 14) - 1;
    /**
     * The VMA's anonymous pages come from ZONE_MOVABLE (movablecore=, or a movable node the memory policy binds
     * to): pages a long-term pin must not stay in (5.13).
     */
    public static final int MOVABLE = 1 << 29;
    /** VM_MERGEABLE: MADV_MERGEABLE marked the VMA for KSM. */
    public static final int MERGEABLE = 1 << 30;

    private Vma() {}

    /** Returns the file a VMA maps: its shmem object, or the mapped file; -1 for private anonymous memory. */
    public static int space(int word) {
        return ((word >>> SPACE_SHIFT) & SPACE_MASK) - 1;
    }

    /** Returns a VMA word with file {@code space} (or -1 for none). */
    public static int withSpace(int word, int space) {
        return (word & ~(SPACE_MASK << SPACE_SHIFT)) | ((space + 1) << SPACE_SHIFT);
    }

    /** Returns the file page that page 0 of the VMA maps. */
    public static int pgoff(int word) {
        return (word >>> PGOFF_SHIFT) & PGOFF_MASK;
    }

    /** Returns a VMA word mapping from file page {@code pgoff}. */
    public static int withPgoff(int word, int pgoff) {
        return (word & ~(PGOFF_MASK << PGOFF_SHIFT)) | (pgoff << PGOFF_SHIFT);
    }

    /** Returns whether the VMA has a backing object with a page cache (shmem or a file). */
    public static boolean hasFile(int word) {
        return (word & FILE) != 0 || (word & (SHARED | ANON)) == (SHARED | ANON);
    }

    /** Returns whether the word has all of {@code bits}. */
    public static boolean has(int word, int bits) {
        return (word & bits) == bits;
    }

    /**
     * Returns whether the VMA is a copy-on-write mapping: private and possibly writable, as the kernel's
     * is_cow_mapping() tests (VM_SHARED clear, VM_MAYWRITE set).
     */
    public static boolean isCow(int word) {
        return (word & (SHARED | NOMAYWRITE)) == 0;
    }
}
