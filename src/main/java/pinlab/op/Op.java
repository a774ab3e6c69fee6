package pinlab.op;

/**
 * One atomic step of a scenario thread: a section the kernel runs under one lock, or a device action.
 *
 * <p>Arguments are resolved indices (VMA name, holder, register, cell); {@link #text()} keeps the source form for
 * traces, {@link #line()} its line. A register index of -1 means the result is not kept.
 */
public sealed interface Op {
    /** Returns the scenario line the op comes from. */
    int line();

    /** Returns the op as written in the scenario. */
    String text();

    /** Protection bits for {@link Mmap} and {@link Mprotect}: {@code Vma.READ}, {@code Vma.WRITE}. */
    record Mmap(int line, String text, int vma, int prot, boolean shared, int space) implements Op {}

    /** munmap of a whole VMA. */
    record Munmap(int line, String text, int vma) implements Op {}

    /** mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of a whole VMA to the address of VMA name {@code to}. */
    record Mremap(int line, String text, int vma, int to) implements Op {}

    /** mprotect of a whole VMA. */
    record Mprotect(int line, String text, int vma, int prot) implements Op {}

    /** madvise(MADV_DONTFORK) when {@code dontfork}, else madvise(MADV_DOFORK). */
    record Madvise(int line, String text, int vma, boolean dontfork) implements Op {}

    /** exit(): the process's mm is torn down and its threads end. */
    record Exit(int line, String text) implements Op {}

    /** A CPU load of one cell into a register. */
    record Load(int line, String text, int reg, int vma, int cell) implements Op {}

    /** A CPU store of a value into one cell. */
    record Store(int line, String text, int vma, int cell, int value) implements Op {}

    /** fork(): creates process {@code child}. */
    record Fork(int line, String text, int child) implements Op {}

    /**
     * get_user_pages / pin_user_pages on pages {@code [page, page + count)} of a VMA, taken by a holder.
     *
     * @param via which kernel path takes the references; the policy turns it into GUP flags
     * @param flags requested {@code Holder.WRITE}, {@code Holder.LONGTERM}, {@code Holder.FORCE} bits
     */
    record Gup(int line, String text, int reg, int holder, int vma, int page, int count, Via via, int flags)
            implements Op {}

    /** A device (or a kernel copy to a pinned page) writes one cell through a holder's reference. */
    record DmaWrite(int line, String text, int holder, int cell, int value) implements Op {}

    /** A device reads one cell through a holder's reference; a pipe read does the same. */
    record DmaRead(int line, String text, int reg, int holder, int cell) implements Op {}

    /** Releases a holder's references: put or unpin, after set_page_dirty_lock() when {@code dirty}. */
    record Release(int line, String text, int holder, boolean dirty) implements Op {}

    /** Blocks until a holder's references are released (a synchronous syscall waiting for its I/O). */
    record Wait(int line, String text, int holder) implements Op {}

    /** Raises a user-level flag another thread can await (a futex, a pipe write). */
    record Signal(int line, String text, int signal) implements Op {}

    /** Blocks until a user-level flag is raised. */
    record Await(int line, String text, int signal) implements Op {}

    /**
     * Several ops of one thread run as one atomic step. Replay uses it where the real kernel cannot separate
     * them, e.g. a FUSE reply both delivers a direct read's data and completes it.
     */
    record Atomic(int line, String text, java.util.List<Op> ops) implements Op {
        /** Creates an atomic group; the list is copied. */
        public Atomic {
            ops = java.util.List.copyOf(ops);
        }
    }

    /** The kernel path that takes references for a {@link Gup}. */
    enum Via {
        /** get_user_pages(): FOLL_GET. */
        GET,
        /** pin_user_pages(): FOLL_PIN when the policy has it. */
        PIN,
        /** vmsplice() into a pipe: read-only FOLL_GET. */
        VMSPLICE,
        /** io_uring IORING_REGISTER_BUFFERS: FOLL_PIN|FOLL_WRITE|FOLL_LONGTERM. */
        URING,
        /** O_DIRECT submission: FOLL_GET before 6.5, FOLL_PIN after. */
        DIO
    }
}
