package pinlab.op;

import pinlab.model.Event;
import pinlab.model.Folio;
import pinlab.model.Holder;
import pinlab.model.Pte;
import pinlab.model.Vma;
import pinlab.model.World;
import pinlab.policy.Policy;
import pinlab.policy.Rule;

/**
 * The kernel's side of every operation: faults, COW, fork, GUP, DMA and release, with each decision taken by
 * the policy's rules. It knows nothing about search; it turns one World into the next.
 */
public final class Kernel {
    /** Errno values the model returns, as the kernel spells them. */
    public static final int EFAULT = 14;
    /** Function not implemented (io_uring on a kernel without it). */
    public static final int ENOSYS = 38;
    /** The value of a cell nobody can see (unmapped, process gone, reference released). */
    public static final int NONE = -1;

    private final Policy pol;
    private Recorder rec = Recorder.NONE;

    /** Creates the kernel semantics of {@code policy}. */
    public Kernel(Policy policy) {
        this.pol = policy;
    }

    /** Returns the policy. */
    public Policy policy() {
        return pol;
    }

    /** Sets where decisions are reported (for trace replay); {@link Recorder#NONE} while exploring. */
    public void record(Recorder recorder) {
        this.rec = recorder;
    }

    /** Receives the rules that decide a step and notes on what they did. */
    public interface Recorder {
        /** A recorder that drops everything. */
        Recorder NONE = new Recorder() {
            @Override
            public void rule(Rule r) {}

            @Override
            public void note(String s) {}

            @Override
            public boolean active() {
                return false;
            }
        };

        /** Reports that rule {@code r} decided part of the step. */
        void rule(Rule r);

        /** Reports what happened, in words. */
        void note(String s);

        /** Returns whether notes are wanted (so callers can skip building them). */
        default boolean active() {
            return true;
        }
    }

    private boolean on(Rule r) {
        return pol.has(r);
    }

    private void use(Rule r) {
        rec.rule(r);
    }

    private void note(String s) {
        if (rec.active()) {
            rec.note(s);
        }
    }

    // ---- guards ------------------------------------------------------------------------------------

    /** Returns whether {@code op} can run now (false while it waits for a device or a signal). */
    public boolean enabled(World w, Op op) {
        return switch (op) {
            case Op.DmaWrite d -> Holder.status(w.holder(d.holder())) != Holder.EMPTY;
            case Op.DmaRead d -> Holder.status(w.holder(d.holder())) != Holder.EMPTY;
            case Op.Release r -> Holder.status(w.holder(r.holder())) != Holder.EMPTY;
            case Op.Wait x -> {
                int s = Holder.status(w.holder(x.holder()));
                yield s == Holder.RELEASED || s == Holder.FAILED;
            }
            case Op.Await x -> w.signalled(x.signal());
            case Op.Mmap m -> true;
            case Op.Munmap m -> true;
            case Op.Mremap m -> true;
            case Op.Mprotect m -> true;
            case Op.Madvise m -> true;
            case Op.Exit e -> true;
            case Op.Load l -> true;
            case Op.Store s -> true;
            case Op.Fork f -> true;
            case Op.Gup g -> true;
            case Op.Signal s -> true;
            case Op.Atomic a -> enabled(w, a.ops().get(0));
        };
    }

    // ---- execution ---------------------------------------------------------------------------------

    /** Runs {@code op} for thread {@code t} of process {@code p} ({@code -1} for a device thread). */
    public void exec(World w, int t, int p, Op op) {
        switch (op) {
            case Op.Mmap m -> mmap(w, p, m);
            case Op.Munmap m -> munmap(w, p, m.vma());
            case Op.Mremap m -> mremap(w, p, m.vma(), m.to());
            case Op.Mprotect m -> mprotect(w, p, m.vma(), m.prot());
            case Op.Madvise m -> {
                int word = w.vma(p, m.vma());
                if (!Vma.has(word, Vma.MAPPED)) {
                    note("no such mapping: madvise fails with -ENOMEM");
                } else {
                    use(Rule.FORK_DONTCOPY);
                    w.setVma(p, m.vma(), m.dontfork() ? word | Vma.DONTCOPY : word & ~Vma.DONTCOPY);
                }
            }
            case Op.Exit e -> exit(w, p);
            case Op.Load l -> {
                int v = load(w, p, l.vma(), l.cell());
                if (l.reg() >= 0) {
                    w.setReg(t, l.reg(), v);
                }
            }
            case Op.Store s -> store(w, p, s.vma(), s.cell(), s.value());
            case Op.Fork f -> fork(w, p, f.child());
            case Op.Gup g -> {
                int r = gup(w, p, g);
                if (g.reg() >= 0) {
                    w.setReg(t, g.reg(), r);
                }
            }
            case Op.DmaWrite d -> dmaWrite(w, d.holder(), d.cell(), d.value());
            case Op.DmaRead d -> {
                int v = dmaRead(w, d.holder(), d.cell());
                if (d.reg() >= 0) {
                    w.setReg(t, d.reg(), v);
                }
            }
            case Op.Release r -> release(w, r.holder(), r.dirty());
            case Op.Wait x -> note("the holder's I/O has completed");
            case Op.Signal s -> w.signal(s.signal());
            case Op.Await a -> note("signal received");
            case Op.Atomic a -> {
                for (Op o : a.ops()) {
                    exec(w, t, p, o);
                }
            }
        }
    }

    // ---- address space -----------------------------------------------------------------------------

    private void mmap(World w, int p, Op.Mmap m) {
        if (Vma.has(w.vma(p, m.vma()), Vma.MAPPED)) {
            note("MAP_FIXED over an existing mapping: the old one is unmapped first");
            munmap(w, p, m.vma());
        }
        int word = Vma.MAPPED | m.prot() | Vma.ANON;
        if (m.shared()) {
            use(Rule.SHMEM_SHARED_ANON);
            word = Vma.withSpace(word | Vma.SHARED, m.space());
            w.setSpace(m.space(), 1);
        }
        w.setVma(p, m.vma(), word);
    }

    private void munmap(World w, int p, int v) {
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED)) {
            return;
        }
        zap(w, p, v);
        w.setVma(p, v, 0);
        if (Vma.has(word, Vma.SHARED)) {
            dropSpaceIfUnused(w, Vma.space(word));
        }
    }

    /** Removes every PTE of a VMA: mapcount, then refcount. */
    private void zap(World w, int p, int v) {
        int pages = w.layout().vmaPages(v);
        for (int i = 0; i < pages; i++) {
            int pte = w.pte(p, v, i);
            if (!Pte.present(pte)) {
                continue;
            }
            use(Rule.ZAP);
            int ref = Pte.ref(pte);
            w.setPte(p, v, i, 0);
            if (Pte.isFolio(ref)) {
                int f = Pte.folio(ref);
                if (Pte.dirty(pte) && w.test(f, Folio.PAGECACHE)) {
                    w.setFlags(f, Folio.DIRTY);
                }
                w.addMap(f, -1);
                put(w, f, 1);
            }
        }
    }

    /** The last mapping of a shmem object is gone: its file is released and its page cache truncated. */
    private void dropSpaceIfUnused(World w, int s) {
        for (int q = 0; q < w.layout().processes(); q++) {
            for (int v = 0; v < w.layout().vmas(); v++) {
                int word = w.vma(q, v);
                if (Vma.has(word, Vma.MAPPED | Vma.SHARED) && Vma.space(word) == s) {
                    return;
                }
            }
        }
        use(Rule.SHMEM_SHARED_ANON);
        note("last mapping of the shmem object gone: its page cache is truncated");
        for (int i = 0; i < w.layout().spacePages(s); i++) {
            int ref = w.cacheSlot(s, i);
            if (Pte.isFolio(ref)) {
                int f = Pte.folio(ref);
                w.setCacheSlot(s, i, Pte.NONE);
                w.clearFlags(f, Folio.PAGECACHE);
                w.setMapping(f, 0);
                put(w, f, 1);
            }
        }
        w.setSpace(s, 0);
    }

    /** move_vma(): the PTEs move to the new address with their pages; nothing is copied or re-faulted. */
    private void mremap(World w, int p, int v, int to) {
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED)) {
            note("no such mapping: mremap fails with -EFAULT");
            return;
        }
        use(Rule.MREMAP);
        munmap(w, p, to);
        w.setVma(p, to, word);
        for (int i = 0; i < w.layout().vmaPages(v); i++) {
            w.setPte(p, to, i, w.pte(p, v, i));
            w.setPte(p, v, i, 0);
        }
        w.setVma(p, v, 0);
        note("page table entries moved; the pages keep their identity");
    }

    private void mprotect(World w, int p, int v, int prot) {
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED)) {
            note("no such mapping: mprotect fails with -ENOMEM");
            return;
        }
        use(Rule.MPROTECT);
        w.setVma(p, v, (word & ~(Vma.READ | Vma.WRITE)) | prot);
        if ((prot & Vma.WRITE) == 0) {
            for (int i = 0; i < w.layout().vmaPages(v); i++) {
                int pte = w.pte(p, v, i);
                if (Pte.writable(pte)) {
                    w.setPte(p, v, i, pte & ~Pte.WRITE);
                }
            }
            note("PTEs write-protected");
        }
    }

    private void exit(World w, int p) {
        for (int v = 0; v < w.layout().vmas(); v++) {
            munmap(w, p, v);
        }
        w.setProc(p, w.proc(p) & ~World.PROC_ALIVE);
        note("process exited: its mm is torn down");
    }

    /** The process is killed by SIGSEGV for touching what it may not. */
    private void segv(World w, int p) {
        w.raise(Event.SEGV);
        note("SIGSEGV: the process is killed");
        exit(w, p);
    }

    // ---- CPU access and faults ---------------------------------------------------------------------

    private int load(World w, int p, int v, int cell) {
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED | Vma.READ)) {
            segv(w, p);
            return NONE;
        }
        int i = cell / Folio.CELLS;
        if (!Pte.present(w.pte(p, v, i))) {
            readFault(w, p, v, i);
        }
        return cellOf(w, Pte.ref(w.pte(p, v, i)), cell % Folio.CELLS);
    }

    private int cellOf(World w, int ref, int c) {
        if (Pte.isFolio(ref)) {
            int f = Pte.folio(ref);
            if (w.test(f, Folio.FREED)) {
                w.raise(Event.UAF);
            }
            return Folio.cell(w.content(f), c);
        }
        return ref == Pte.ZERO ? 0 : NONE;
    }

    private void store(World w, int p, int v, int cell, int value) {
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED | Vma.WRITE)) {
            segv(w, p);
            return;
        }
        int i = cell / Folio.CELLS;
        int pte = w.pte(p, v, i);
        if (!Pte.present(pte) || !Pte.writable(pte)) {
            writeFault(w, p, v, i);
            pte = w.pte(p, v, i);
        }
        int f = Pte.folio(Pte.ref(pte));
        w.setContent(f, Folio.withCell(w.content(f), cell % Folio.CELLS, value));
        w.setPte(p, v, i, pte | Pte.DIRTY);
    }

    private int newAnon(World w, int content) {
        int flags = Folio.ANON | (on(Rule.ANON_EXCLUSIVE_FLAG) ? Folio.ANON_EXCLUSIVE : 0);
        return w.alloc(flags, content);
    }

    /** Maps a new folio {@code f} (refcount 1 already taken for this mapping). */
    private void mapNew(World w, int p, int v, int i, int f, int bits) {
        w.addMap(f, 1);
        w.setPte(p, v, i, Pte.make(Pte.ofFolio(f), bits));
    }

    /** handle_mm_fault() for a read of a missing page. */
    private void readFault(World w, int p, int v, int i) {
        int word = w.vma(p, v);
        if (Vma.has(word, Vma.SHARED)) {
            sharedFault(w, p, v, i, false);
            return;
        }
        if (on(Rule.ANON_READ_ZERO_PAGE)) {
            use(Rule.ANON_READ_ZERO_PAGE);
            w.setPte(p, v, i, Pte.make(Pte.ZERO, 0));
            note("read fault maps the shared zero page read-only");
            return;
        }
        use(Rule.ANON_FAULT);
        int f = newAnon(w, 0);
        int bits = Pte.DIRTY | (Vma.has(word, Vma.WRITE) ? Pte.WRITE : 0);
        mapNew(w, p, v, i, f, bits);
        note("read fault allocates " + folioName(f));
    }

    /** handle_mm_fault() for a write; the VMA allows the write (or FOLL_FORCE stands in for it). */
    private void writeFault(World w, int p, int v, int i) {
        int word = w.vma(p, v);
        int pte = w.pte(p, v, i);
        if (!Pte.present(pte)) {
            if (Vma.has(word, Vma.SHARED)) {
                sharedFault(w, p, v, i, true);
                return;
            }
            use(Rule.ANON_FAULT);
            int f = newAnon(w, 0);
            mapNew(w, p, v, i, f, Pte.WRITE | Pte.DIRTY);
            note("write fault allocates " + folioName(f));
            return;
        }
        doWpPage(w, p, v, i, Fault.WRITE);
    }

    /** The shmem fault path: find or add the page-cache folio, then map it. */
    private void sharedFault(World w, int p, int v, int i, boolean write) {
        use(Rule.SHMEM_SHARED_ANON);
        int word = w.vma(p, v);
        int s = Vma.space(word);
        int ref = w.cacheSlot(s, i);
        int f;
        if (Pte.isFolio(ref)) {
            f = Pte.folio(ref);
        } else {
            f = w.alloc(Folio.PAGECACHE, 0);
            w.setMapping(f, ((s + 1) << 16) | i);
            w.setCacheSlot(s, i, Pte.ofFolio(f));
            note("shmem allocates " + folioName(f) + " in its page cache");
        }
        w.addRef(f, 1);
        int bits = Vma.has(word, Vma.WRITE) ? Pte.WRITE : 0;
        if (write) {
            bits |= Pte.DIRTY;
            w.setFlags(f, Folio.DIRTY);
        }
        mapNew(w, p, v, i, f, bits);
    }

    private enum Fault {
        /** An ordinary write fault. */
        WRITE,
        /** FAULT_FLAG_UNSHARE: make the page exclusive but keep the PTE read-only. */
        UNSHARE,
        /** A FOLL_FORCE write through a VMA without VM_WRITE: break COW, keep the PTE read-only. */
        FORCE
    }

    /** do_wp_page(): a write (or unshare) fault on a present, read-only PTE. */
    private void doWpPage(World w, int p, int v, int i, Fault kind) {
        int word = w.vma(p, v);
        int pte = w.pte(p, v, i);
        int ref = Pte.ref(pte);
        int newBits = kind == Fault.WRITE ? Pte.WRITE | Pte.DIRTY : Pte.DIRTY;
        if (kind == Fault.UNSHARE) {
            newBits = 0;
        }
        if (Vma.has(word, Vma.SHARED)) {
            use(Rule.WP_SHARED);
            w.setPte(p, v, i, pte | Pte.WRITE | Pte.DIRTY);
            w.setFlags(Pte.folio(ref), Folio.DIRTY);
            note("shared mapping: PTE made writable");
            return;
        }
        if (Pte.isFolio(ref) && w.test(Pte.folio(ref), Folio.ANON)) {
            int f = Pte.folio(ref);
            if (mayReuse(w, f)) {
                if (on(Rule.ANON_EXCLUSIVE_FLAG)) {
                    w.setFlags(f, Folio.ANON_EXCLUSIVE);
                }
                if (kind == Fault.UNSHARE) {
                    note(folioName(f) + " is exclusive: nothing to unshare");
                    return;
                }
                w.setPte(p, v, i, pte | newBits);
                note(folioName(f) + " reused in place");
                return;
            }
        }
        use(Rule.WP_COPY);
        int old = Pte.isFolio(ref) ? w.content(Pte.folio(ref)) : 0;
        int g = newAnon(w, old);
        w.addMap(g, 1);
        w.setPte(p, v, i, Pte.make(Pte.ofFolio(g), newBits));
        if (Pte.isFolio(ref)) {
            int f = Pte.folio(ref);
            w.addMap(f, -1);
            put(w, f, 1);
            note((kind == Fault.UNSHARE ? "unshare copies " : "COW copies ") + folioName(f) + " to "
                    + folioName(g) + (newBits == 0 ? " (mapped read-only)" : ""));
        } else {
            note("COW copies the zero page to " + folioName(g));
        }
    }

    /** The policy's reuse test for an anonymous folio under a read-only PTE. */
    private boolean mayReuse(World w, int f) {
        if (on(Rule.WP_REUSE_MAPCOUNT)) {
            use(Rule.WP_REUSE_MAPCOUNT);
            return w.mapcount(f) == 1;
        }
        if (on(Rule.WP_REUSE_REFCOUNT)) {
            use(Rule.WP_REUSE_REFCOUNT);
            return w.refcount(f) == 1;
        }
        use(Rule.WP_REUSE_EXCLUSIVE);
        return w.test(f, Folio.ANON_EXCLUSIVE) || w.refcount(f) == 1;
    }

    private void put(World w, int f, int n) {
        w.addRef(f, -n);
        if (w.test(f, Folio.FREED)) {
            note(folioName(f) + " freed");
        }
    }

    // ---- fork --------------------------------------------------------------------------------------

    private void fork(World w, int p, int child) {
        w.setProc(child, World.PROC_ALIVE | World.PROC_CREATED);
        boolean hasPinned = (w.proc(p) & World.PROC_HAS_PINNED) != 0;
        for (int v = 0; v < w.layout().vmas(); v++) {
            int word = w.vma(p, v);
            if (!Vma.has(word, Vma.MAPPED)) {
                continue;
            }
            if (Vma.has(word, Vma.DONTCOPY)) {
                use(Rule.FORK_DONTCOPY);
                note("VM_DONTCOPY: the child gets no mapping here");
                continue;
            }
            w.setVma(child, v, word);
            if (Vma.has(word, Vma.SHARED)) {
                use(Rule.FORK_SHARED_NOCOPY);
                continue;
            }
            if (!hasAnonPages(w, p, v)) {
                use(Rule.FORK_SHARED_NOCOPY);
                continue;
            }
            for (int i = 0; i < w.layout().vmaPages(v); i++) {
                int pte = w.pte(p, v, i);
                if (!Pte.present(pte)) {
                    continue;
                }
                int ref = Pte.ref(pte);
                if (!Pte.isFolio(ref)) {
                    w.setPte(child, v, i, pte);
                    continue;
                }
                int f = Pte.folio(ref);
                if (mustCopyAtFork(w, f, hasPinned)) {
                    int g = newAnon(w, w.content(f));
                    int bits = Pte.DIRTY | (Vma.has(word, Vma.WRITE) ? Pte.WRITE : 0);
                    mapNew(w, child, v, i, g, bits);
                    note(folioName(f) + " may be pinned: copied to " + folioName(g) + " for the child;"
                            + " the parent keeps its PTE");
                    continue;
                }
                use(Rule.FORK_WRPROTECT);
                int shared = pte & ~Pte.WRITE;
                w.setPte(p, v, i, shared);
                w.setPte(child, v, i, shared);
                w.addMap(f, 1);
                w.addRef(f, 1);
                if (on(Rule.ANON_EXCLUSIVE_FLAG)) {
                    w.clearFlags(f, Folio.ANON_EXCLUSIVE);
                }
                note(folioName(f) + " shared read-only with the child");
            }
        }
    }

    /**
     * Whether a private VMA has an anon_vma, approximated as: some PTE maps an anonymous folio. Without one,
     * copy_page_range() copies nothing (the child faults everything in again, zero page included).
     */
    private static boolean hasAnonPages(World w, int p, int v) {
        for (int i = 0; i < w.layout().vmaPages(v); i++) {
            if (Pte.isFolio(Pte.ref(w.pte(p, v, i)))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns whether the state keeps the PageAnonExclusive rule "GUP is only allowed to take a pin on
     * anonymous pages that are exclusive" and maps only exclusive anonymous pages writable (checked only for
     * policies that track the flag).
     */
    public boolean anonExclusiveHolds(World w) {
        if (!on(Rule.ANON_EXCLUSIVE_FLAG)) {
            return true;
        }
        for (int h = 0; h < w.layout().holders(); h++) {
            int word = w.holder(h);
            if (Holder.status(word) != Holder.HELD || (Holder.flags(word) & Holder.PIN) == 0) {
                continue;
            }
            for (int i = 0; i < w.layout().holderSlots(h); i++) {
                int ref = w.slot(h, i);
                if (Pte.isFolio(ref) && isNonExclusiveAnon(w, Pte.folio(ref))) {
                    return false;
                }
            }
        }
        for (int p = 0; p < w.layout().processes(); p++) {
            for (int v = 0; v < w.layout().vmas(); v++) {
                for (int i = 0; i < w.layout().vmaPages(v); i++) {
                    int pte = w.pte(p, v, i);
                    if (Pte.writable(pte) && Pte.isFolio(Pte.ref(pte))
                            && isNonExclusiveAnon(w, Pte.folio(Pte.ref(pte)))) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    private static boolean isNonExclusiveAnon(World w, int f) {
        return w.test(f, Folio.ANON) && !w.test(f, Folio.ANON_EXCLUSIVE) && !w.test(f, Folio.FREED);
    }

    private boolean mustCopyAtFork(World w, int f, boolean hasPinned) {
        if (on(Rule.FORK_SHARE_PINNED)) {
            return false;
        }
        boolean maybePinned = hasPinned && w.refcount(f) >= Folio.PIN_BIAS;
        if (on(Rule.FORK_COPY_MAYBE_PINNED)) {
            if (maybePinned) {
                use(Rule.FORK_COPY_MAYBE_PINNED);
            }
            return maybePinned;
        }
        boolean copy = maybePinned && w.test(f, Folio.ANON_EXCLUSIVE);
        if (copy) {
            use(Rule.FORK_COPY_EXCLUSIVE_PINNED);
        }
        return copy;
    }

    // ---- GUP ---------------------------------------------------------------------------------------

    /** Returns the reference flags the policy gives a GUP request, or -errno if the path does not exist. */
    private int gupFlags(Op.Gup g) {
        int flags = g.flags();
        switch (g.via()) {
            case GET -> {
                use(Rule.GUP_GET);
                return flags;
            }
            case VMSPLICE -> {
                use(Rule.GUP_GET);
                return 0;
            }
            case PIN -> {
                if (on(Rule.FOLL_PIN)) {
                    use(Rule.FOLL_PIN);
                    return flags | Holder.PIN;
                }
                use(Rule.GUP_GET);
                note("no pin_user_pages() in this kernel: the pinner uses get_user_pages() (FOLL_GET)");
                return flags;
            }
            case URING -> {
                use(Rule.IO_URING);
                if (!on(Rule.IO_URING)) {
                    return -ENOSYS;
                }
                return Holder.WRITE | Holder.LONGTERM | (on(Rule.FOLL_PIN) ? Holder.PIN : 0);
            }
            case DIO -> {
                if (on(Rule.DIO_FOLL_PIN)) {
                    use(Rule.DIO_FOLL_PIN);
                    return flags | Holder.PIN;
                }
                use(Rule.GUP_GET);
                return flags;
            }
        }
        throw new AssertionError(g.via());
    }

    /** Takes the references of a GUP request; returns 0 or -errno. */
    private int gup(World w, int p, Op.Gup g) {
        int flags = gupFlags(g);
        if (flags < 0) {
            w.setHolder(g.holder(), Holder.make(Holder.FAILED, 0, -flags));
            note("the call fails with -" + errnoName(-flags));
            return flags;
        }
        boolean pin = (flags & Holder.PIN) != 0;
        if (pin && on(Rule.MMF_HAS_PINNED)) {
            use(Rule.MMF_HAS_PINNED);
            w.setProc(p, w.proc(p) | World.PROC_HAS_PINNED);
        }
        for (int k = 0; k < g.count(); k++) {
            int err = gupOne(w, p, g.vma(), g.page() + k, flags, g.holder(), k);
            if (err != 0) {
                // A failed GUP drops what it took: the callers modelled here treat a short count as failure.
                for (int j = 0; j < k; j++) {
                    dropRef(w, w.slot(g.holder(), j), flags);
                    w.setSlot(g.holder(), j, Pte.NONE);
                }
                w.setHolder(g.holder(), Holder.make(Holder.FAILED, flags, err));
                note("GUP fails with -" + errnoName(err));
                return -err;
            }
        }
        w.setHolder(g.holder(), Holder.make(Holder.HELD, flags, 0));
        return 0;
    }

    private int gupOne(World w, int p, int v, int i, int flags, int h, int slot) {
        use(Rule.GUP_CHECK_VMA);
        int word = w.vma(p, v);
        boolean write = (flags & Holder.WRITE) != 0;
        boolean force = (flags & Holder.FORCE) != 0;
        if (!Vma.has(word, Vma.MAPPED)) {
            return EFAULT;
        }
        if (write && !Vma.has(word, Vma.WRITE) && (!force || Vma.has(word, Vma.SHARED))) {
            return EFAULT;
        }
        if (!write && !Vma.has(word, Vma.READ) && !force) {
            return EFAULT;
        }
        boolean breakCow = write;
        if (!write && on(Rule.GUP_READ_BREAKS_COW) && Vma.isCow(word)) {
            use(Rule.GUP_READ_BREAKS_COW);
            breakCow = true;
        }
        int pte = w.pte(p, v, i);
        if (!Pte.present(pte) && !breakCow && on(Rule.GUP_ANON_ZERO_PAGE) && !Vma.has(word, Vma.SHARED)) {
            use(Rule.GUP_ANON_ZERO_PAGE);
            note("FOLL_ANON: untouched anonymous memory yields the zero page; no PTE is filled");
            w.setSlot(h, slot, Pte.ZERO);
            return 0;
        }
        if (!Pte.present(pte)) {
            use(Rule.GUP_FAULT);
            if (breakCow && Vma.has(word, Vma.WRITE)) {
                writeFault(w, p, v, i);
            } else {
                readFault(w, p, v, i);
            }
            pte = w.pte(p, v, i);
        }
        if (breakCow && !Pte.writable(pte)) {
            if (Vma.has(word, Vma.WRITE)) {
                use(Rule.GUP_FAULT);
                doWpPage(w, p, v, i, Fault.WRITE);
            } else if (!Vma.has(word, Vma.SHARED)) {
                // Every GUP call faults first: FOLL_COW is set per call (19be0eaffa3a); 6.0+ follows without a
                // fault only an exclusive page, which do_wp_page would reuse anyway (5535be309971).
                use(Rule.GUP_FORCE);
                doWpPage(w, p, v, i, Fault.FORCE);
            }
            pte = w.pte(p, v, i);
        }
        boolean pin = (flags & Holder.PIN) != 0;
        if (pin && !write && mustUnshare(w, word, pte, flags)) {
            doWpPage(w, p, v, i, Fault.UNSHARE);
            pte = w.pte(p, v, i);
        }
        int ref = Pte.ref(pte);
        if (Pte.isFolio(ref)) {
            int f = Pte.folio(ref);
            w.addRef(f, pin ? Folio.PIN_BIAS : 1);
            note((pin ? "pinned " : "reference taken on ") + folioName(f) + " ("
                    + Holder.flagNames(flags) + ")");
        } else {
            note("reference on the zero page (its count is not tracked)");
        }
        w.setSlot(h, slot, ref);
        return 0;
    }

    /** gup_must_unshare(): whether a R/O pin must first unshare the page. */
    private boolean mustUnshare(World w, int word, int pte, int flags) {
        int ref = Pte.ref(pte);
        if (Pte.isFolio(ref) && w.test(Pte.folio(ref), Folio.ANON)) {
            if (on(Rule.GUP_UNSHARE_ANON)) {
                use(Rule.GUP_UNSHARE_ANON);
                return !w.test(Pte.folio(ref), Folio.ANON_EXCLUSIVE);
            }
            return false;
        }
        if (on(Rule.GUP_UNSHARE_COW_LONGTERM) && (flags & Holder.LONGTERM) != 0 && Vma.isCow(word)) {
            use(Rule.GUP_UNSHARE_COW_LONGTERM);
            return true;
        }
        return false;
    }

    // ---- devices and release -----------------------------------------------------------------------

    private int heldRef(World w, int h, int cell) {
        use(Rule.DMA);
        int word = w.holder(h);
        int status = Holder.status(word);
        if (status == Holder.FAILED) {
            note("the holder took no references (its GUP failed): nothing to transfer");
            return -1;
        }
        if (status == Holder.RELEASED) {
            w.raise(Event.DMA_AFTER_RELEASE);
            note("DMA after the references were released");
            return -1;
        }
        return w.slot(h, cell / Folio.CELLS);
    }

    private void dmaWrite(World w, int h, int cell, int value) {
        int ref = heldRef(w, h, cell);
        if (ref < 0) {
            return;
        }
        if ((Holder.flags(w.holder(h)) & Holder.WRITE) == 0) {
            w.raise(Event.RO_DMA_WRITE);
            note("the reference was taken without FOLL_WRITE");
        }
        if (!Pte.isFolio(ref)) {
            note("write to the zero page dropped");
            return;
        }
        int f = Pte.folio(ref);
        if (w.test(f, Folio.FREED)) {
            w.raise(Event.UAF);
        }
        w.setContent(f, Folio.withCell(w.content(f), cell % Folio.CELLS, value));
        note("DMA writes " + value + " into " + folioName(f));
    }

    private int dmaRead(World w, int h, int cell) {
        int ref = heldRef(w, h, cell);
        if (ref < 0) {
            return NONE;
        }
        return cellOf(w, ref, cell % Folio.CELLS);
    }

    private void release(World w, int h, boolean dirty) {
        int word = w.holder(h);
        if (Holder.status(word) != Holder.HELD) {
            if (Holder.status(word) == Holder.RELEASED) {
                note("already released");
            }
            return;
        }
        use(Rule.RELEASE);
        int flags = Holder.flags(word);
        for (int i = 0; i < w.layout().holderSlots(h); i++) {
            int ref = w.slot(h, i);
            if (Pte.isFolio(ref) && dirty) {
                w.setFlags(Pte.folio(ref), Folio.DIRTY);
            }
            dropRef(w, ref, flags);
            w.setSlot(h, i, Pte.NONE);
        }
        w.setHolder(h, Holder.make(Holder.RELEASED, flags, 0));
        note(((flags & Holder.PIN) != 0 ? "unpinned" : "put") + (dirty ? " after set_page_dirty_lock()" : ""));
    }

    private void dropRef(World w, int ref, int flags) {
        if (Pte.isFolio(ref)) {
            put(w, Pte.folio(ref), (flags & Holder.PIN) != 0 ? Folio.PIN_BIAS : 1);
        }
    }

    // ---- naming ------------------------------------------------------------------------------------

    /** Returns the trace name of folio {@code f}: A, B, ..., Z, A1, ... */
    public static String folioName(int f) {
        char c = (char) ('A' + f % 26);
        return f < 26 ? String.valueOf(c) : c + Integer.toString(f / 26);
    }

    /** Returns the symbolic name of an errno value. */
    public static String errnoName(int errno) {
        return switch (errno) {
            case EFAULT -> "EFAULT";
            case ENOSYS -> "ENOSYS";
            default -> Integer.toString(errno);
        };
    }
}
