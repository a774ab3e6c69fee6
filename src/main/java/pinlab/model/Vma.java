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
    static final int SPACE_SHIFT = 8;

    private Vma() {}

    /** Returns the shared-memory object of a shared VMA word. */
    public static int space(int word) {
        return (word >>> SPACE_SHIFT) - 1;
    }

    /** Returns a VMA word with shared object {@code space} (or -1 for none). */
    public static int withSpace(int word, int space) {
        return (word & ((1 << SPACE_SHIFT) - 1)) | ((space + 1) << SPACE_SHIFT);
    }

    /** Returns whether the word has all of {@code bits}. */
    public static boolean has(int word, int bits) {
        return (word & bits) == bits;
    }

    /**
     * Returns whether the VMA is a copy-on-write mapping: private and possibly writable, as the kernel's
     * is_cow_mapping() tests (VM_SHARED clear, VM_MAYWRITE set; every private mapping here may write).
     */
    public static boolean isCow(int word) {
        return (word & SHARED) == 0;
    }
}
