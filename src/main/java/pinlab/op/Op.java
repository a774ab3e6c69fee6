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

    /**
     * mmap(MAP_FIXED) of a VMA name. Protection bits are {@code Vma.READ}, {@code Vma.WRITE}, and {@code Vma.MOVABLE}
     * for private anonymous memory from ZONE_MOVABLE.
     *
     * @param reg the register that gets 0 or -errno, or -1
     * @param shared MAP_SHARED (else MAP_PRIVATE)
     * @param space the file mapped: a named file or memfd when {@code file}, else the shmem object a shared
     *     anonymous mapping creates, or -1 for private anonymous memory
     * @param file whether a file (not anonymous memory) is mapped
     * @param pgoff the file page that page 0 of the mapping maps
     */
    record Mmap(int line, String text, int reg, int vma, int prot, boolean shared, int space, boolean file, int pgoff)
            implements Op {}

    /** munmap of a whole VMA. */
    record Munmap(int line, String text, int vma) implements Op {}

    /** mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of a whole VMA to the address of VMA name {@code to}. */
    record Mremap(int line, String text, int vma, int to) implements Op {}

    /** mprotect of a whole VMA. */
    record Mprotect(int line, String text, int vma, int prot) implements Op {}

    /** madvise() of a whole VMA. */
    record Madvise(int line, String text, int vma, Advice advice) implements Op {}

    /** The madvise() advice values pinlab models. */
    enum Advice {
        /** MADV_DONTFORK: set VM_DONTCOPY. */
        DONTFORK("dontfork"),
        /** MADV_DOFORK: clear VM_DONTCOPY. */
        DOFORK("dofork"),
        /** MADV_DONTNEED: zap the PTEs; the VMA stays. */
        DONTNEED("dontneed"),
        /** MADV_PAGEOUT: reclaim the pages this process maps (reclaim_pages()). */
        PAGEOUT("pageout"),
        /** MADV_COLD: deactivate the pages (only LRU order changes, which pinlab does not model). */
        COLD("cold"),
        /** MADV_MERGEABLE: let ksmd merge the VMA's anonymous pages (VM_MERGEABLE). */
        MERGEABLE("mergeable"),
        /** MADV_UNMERGEABLE: unshare the VMA's KSM pages and clear VM_MERGEABLE. */
        UNMERGEABLE("unmergeable");

        private final String word;

        Advice(String word) {
            this.word = word;
        }

        /** Returns the word used in scenarios. */
        public String word() {
            return word;
        }
    }

    /** A buffered read() of one cell of a file; the register gets the value, none past EOF, or -errno. */
    record Read(int line, String text, int reg, int file, int cell) implements Op {}

    /** A buffered write() of one cell of a file; the register gets 0 or -errno. */
    record Write(int line, String text, int reg, int file, int cell, int value) implements Op {}

    /** fsync() (or fdatasync() when {@code dataOnly}) of a file: write back, wait, report errors. */
    record Fsync(int line, String text, int reg, int file, boolean dataOnly) implements Op {}

    /** sync(): write back every file and wait. */
    record Sync(int line, String text) implements Op {}

    /** msync() of a whole VMA: MS_SYNC writes back and waits for the file pages it maps; MS_ASYNC does nothing. */
    record Msync(int line, String text, int reg, int vma, boolean sync) implements Op {}

    /** sync_file_range(SYNC_FILE_RANGE_WRITE): starts writeback of pages {@code [page, page + count)}. */
    record SyncFileRange(int line, String text, int reg, int file, int page, int count) implements Op {}

    /** ftruncate() of a file to {@code pages} pages. */
    record Truncate(int line, String text, int reg, int file, int pages) implements Op {}

    /** fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) of pages {@code [page, page + count)}. */
    record Punch(int line, String text, int reg, int file, int page, int count) implements Op {}

    /** posix_fadvise(POSIX_FADV_DONTNEED) of a whole file. */
    record Fadvise(int line, String text, int reg, int file) implements Op {}

    /** echo 1 > /proc/sys/vm/drop_caches: evict every clean, unmapped, unreferenced page-cache folio. */
    record DropCaches(int line, String text) implements Op {}

    /**
     * An access to a cell of process {@code target}'s memory by another process (or itself): ptrace
     * PEEKDATA/POKEDATA and /proc/PID/mem ({@code force}), process_vm_readv/writev (not {@code force}). The register
     * gets the value read, 0 for a write, or -errno. With {@code ptrace} the access is PTRACE_PEEKDATA/POKEDATA, which
     * work on words: a write reads the word first (a forced read, which faults the page in) and writes it back.
     */
    record Remote(int line, String text, int reg, int target, int vma, int cell, int value, boolean write,
            boolean force, boolean ptrace) implements Op {}

    /**
     * move_pages(2) of one page of a VMA to another NUMA node; the register gets 0 (moved), 1 (not migrated) or the
     * page's status error.
     */
    record Migrate(int line, String text, int reg, int vma, int page) implements Op {}

    /**
     * Runs ksmd now until nothing is left to merge (echo 1 > /sys/kernel/mm/ksm/run and wait for full scans, then
     * stop it): each merge in the mainline order, as one step.
     */
    record KsmMerge(int line, String text) implements Op {}

    /**
     * The device side of an O_DIRECT request on a file: a read copies the file's blocks into the held pages, a
     * write copies the held pages to the blocks.
     */
    record DmaTransfer(int line, String text, int holder) implements Op {}

    /** exit(): the process's mm is torn down and its threads end. */
    record Exit(int line, String text) implements Op {}

    /** A CPU load of one cell into a register. */
    record Load(int line, String text, int reg, int vma, int cell) implements Op {}

    /** A CPU store of a value into one cell. */
    record Store(int line, String text, int vma, int cell, int value) implements Op {}

    /**
     * fork(): creates process {@code child}.
     *
     * @param stepwise copy the page tables one page at a time, with the parent's mmap_lock held for write
     *     throughout (so lockless actors, GUP-fast and CPU accesses through present PTEs, can run between pages
     *     and between a page's pinned check and its write-protection); otherwise the whole fork is one step
     */
    record Fork(int line, String text, int child, boolean stepwise) implements Op {
        /** Creates a one-step fork. */
        public Fork(int line, String text, int child) {
            this(line, text, child, false);
        }
    }

    /**
     * get_user_pages / pin_user_pages on pages {@code [page, page + count)} of a VMA, taken by a holder.
     *
     * @param via which kernel path takes the references; the policy turns it into GUP flags
     * @param flags requested {@code Holder.WRITE}, {@code Holder.LONGTERM}, {@code Holder.FORCE} bits
     * @param io the file of an O_DIRECT request, or null
     * @param fast GUP-fast (get_user_pages_fast / pin_user_pages_fast): each page is read locklessly and grabbed
     *     in one step and re-checked in the next, with a fallback to the slow path; otherwise the whole call is
     *     one step under mmap_lock and the PT lock
     */
    record Gup(int line, String text, int reg, int holder, int vma, int page, int count, Via via, int flags,
            FileIo io, boolean fast) implements Op {
        /** Creates a slow-path GUP request on memory only (no file on the other side). */
        public Gup(int line, String text, int reg, int holder, int vma, int page, int count, Via via, int flags) {
            this(line, text, reg, holder, vma, page, count, via, flags, null, false);
        }

        /** Creates a slow-path GUP request. */
        public Gup(int line, String text, int reg, int holder, int vma, int page, int count, Via via, int flags,
                FileIo io) {
            this(line, text, reg, holder, vma, page, count, via, flags, io, false);
        }
    }

    /**
     * The file an O_DIRECT request reads or writes, and from which of its pages.
     *
     * @param file the file
     * @param page the file page the request starts at
     * @param write whether the request writes the file (dio_write), else it reads it
     */
    record FileIo(int file, int page, boolean write) {}

    /** A device (or a kernel copy to a pinned page) writes one cell through a holder's reference. */
    record DmaWrite(int line, String text, int holder, int cell, int value) implements Op {}

    /** A device reads one cell through a holder's reference; a pipe read does the same. */
    record DmaRead(int line, String text, int reg, int holder, int cell) implements Op {}

    /** Releases a holder's references: put or unpin, after set_page_dirty_lock() when {@code dirty}. */
    record Release(int line, String text, int holder, boolean dirty) implements Op {}

    /** Blocks until a holder's references are released (a synchronous syscall waiting for its I/O). */
    record Wait(int line, String text, int holder) implements Op {}

    /** Registers ({@code install}) or removes a uprobe at cell {@code cell} of file {@code file}. */
    record Uprobe(int line, String text, int file, int cell, boolean install) implements Op {}

    /** waitpid(): blocks until process {@code child} has been created and has exited. */
    record WaitChild(int line, String text, int child) implements Op {}

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
