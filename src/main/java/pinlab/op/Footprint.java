package pinlab.op;

import java.util.List;
import pinlab.model.Folio;
import pinlab.model.Holder;
import pinlab.model.Layout;
import pinlab.model.Pte;
import pinlab.model.Vma;
import pinlab.model.World;
import pinlab.policy.Policy;
import pinlab.policy.Rule;

/**
 * What the next step of an operation reads and writes, as sets of abstract resources, for partial-order
 * reduction. Two steps whose sets do not clash (neither writes what the other reads or writes) commute and cannot
 * enable or disable each other.
 *
 * <p>A resource is one of:
 * <ul>
 *   <li>per page {@code i} of a VMA name {@code v} (in every process): the PTEs at {@code (v, i)} ({@code MAP}),
 *       the counts and flags of the folios mapped there or held for that page by a holder ({@code CNT}), their
 *       FREED flags ({@code FREE}), and each content cell of those folios ({@code DATA});</li>
 *   <li>per holder: its word and slots ({@code HOLD});</li>
 *   <li>per process: whether it lives ({@code ALIVE}, with the mmap-lock flags) and its mm flags ({@code MM},
 *       MMF_HAS_PINNED);</li>
 *   <li>the user-level signals ({@code SIG}).</li>
 * </ul>
 * Registers and program counters are the thread's own. Event bits are only ever OR-ed in by the step that finds
 * the condition in its own resources, so they do not order steps; KERNEL_BUG, which stops every thread, is raised
 * only by filesystem code, which is {@link #ALL}.
 *
 * <p>Only the operations whose kernel paths are simple enough to bound are classified: CPU loads and stores on a
 * private anonymous mapping (mm/memory.c: the anonymous fault and do_wp_page() touch the PTE, the folio mapped
 * there and the new copy), a one-step GUP on one (mm/gup.c: the faults above for each page, MMF_HAS_PINNED, the
 * holder; the longterm migration replaces a folio of the page by another), DMA and release through a holder that
 * such a GUP filled (the folio in the slot), and signals and waits. Everything else (fork, exit, the mmap calls,
 * files, KSM, migration, remote access, GUP-fast, direct I/O, revocable and bounce holders, and a step that would
 * kill the process) is {@link #ALL}: it clashes with every step.
 *
 * <p>The page resources are sound only while every folio is reached from one page {@code (v, i)}: the PTEs there
 * and the holder slots taken for it. {@link #local} checks that a state has this shape; none of the classified
 * operations breaks it (a fault or a copy maps a new folio at its own page, a GUP takes the folio of its page).
 */
public final class Footprint {
    /** The footprint of an operation that may touch anything. */
    public static final long ALL = -1L;

    private static final int PER_PAGE = 3 + Folio.CELLS;

    private final Layout lay;
    private final int[] pageBase;
    private final int holdBase;
    private final int procBase;
    private final int sig;
    private final long[] holderCounts;
    private final long[] holderFrees;
    private final long[][] holdersOver;
    private final boolean[] holderSimple;
    private final Op.Gup[] gupOf;
    private final int[] procOf;

    private Footprint(Layout lay, Machine machine, Policy policy, List<List<Op.Gup>> gups, int[] pageBase,
            int holdBase, int procBase, int sig) {
        this.lay = lay;
        this.pageBase = pageBase;
        this.holdBase = holdBase;
        this.procBase = procBase;
        this.sig = sig;
        int holders = lay.holders();
        holderCounts = new long[holders];
        holderFrees = new long[holders];
        holderSimple = new boolean[holders];
        gupOf = new Op.Gup[holders];
        procOf = new int[holders];
        holdersOver = new long[lay.vmas()][];
        for (int v = 0; v < lay.vmas(); v++) {
            holdersOver[v] = new long[lay.vmaPages(v)];
        }
        for (int h = 0; h < holders; h++) {
            boolean simple = !gups.get(h).isEmpty();
            Op.Gup first = simple ? gups.get(h).get(0) : null;
            for (Op.Gup g : gups.get(h)) {
                // one page range per holder, so that a slot always stands for the same page
                simple &= simpleGup(g, policy) && g.vma() == first.vma() && g.page() == first.page()
                        && g.count() == first.count();
                for (int k = 0; k < g.count() && g.page() + k < lay.vmaPages(g.vma()); k++) {
                    holderCounts[h] |= cnt(g.vma(), g.page() + k);
                    holderFrees[h] |= free(g.vma(), g.page() + k);
                    holdersOver[g.vma()][g.page() + k] |= 1L << (holdBase + h);
                }
            }
            holderSimple[h] = simple;
            gupOf[h] = machine.gupOf(h);
            procOf[h] = machine.procOf(h);
        }
    }

    /**
     * Returns the footprints of a scenario's operations, or null if its resources do not fit in 63 bits.
     *
     * @param gups per holder, every GUP call that fills it (in setup or in a thread)
     */
    public static Footprint of(Layout lay, Machine machine, Policy policy, List<List<Op.Gup>> gups) {
        int[] pageBase = new int[lay.vmas()];
        int at = 0;
        for (int v = 0; v < lay.vmas(); v++) {
            pageBase[v] = at;
            at += PER_PAGE * lay.vmaPages(v);
        }
        int holdBase = at;
        at += lay.holders();
        int procBase = at;
        at += 2 * lay.processes();
        int sig = at++;
        if (at > 63) {
            return null;
        }
        return new Footprint(lay, machine, policy, gups, pageBase, holdBase, procBase, sig);
    }

    /**
     * Whether every execution of {@code op} is one step ({@link Kernel#exec} returns {@link Kernel#DONE} at once):
     * then each step of a thread advances its program counter, so a scenario made of such operations has no
     * cycles.
     */
    public static boolean oneStep(Op op) {
        return switch (op) {
            case Op.Fork f -> !f.stepwise();
            case Op.Gup g -> g.io() == null && !g.fast();
            case Op.Fsync x -> false;
            case Op.Sync x -> false;
            case Op.Msync x -> false;
            case Op.SyncFileRange x -> false;
            case Op.Remote x -> false;
            case Op.Atomic a -> true; // exec runs the group to its end
            case Op.Mmap x -> true;
            case Op.Munmap x -> true;
            case Op.Mremap x -> true;
            case Op.Mprotect x -> true;
            case Op.Madvise x -> true;
            case Op.Read x -> true;
            case Op.Write x -> true;
            case Op.Truncate x -> true;
            case Op.Punch x -> true;
            case Op.Fadvise x -> true;
            case Op.DropCaches x -> true;
            case Op.Migrate x -> true;
            case Op.KsmMerge x -> true;
            case Op.DmaTransfer x -> true;
            case Op.Exit x -> true;
            case Op.Load x -> true;
            case Op.Store x -> true;
            case Op.DmaWrite x -> true;
            case Op.DmaRead x -> true;
            case Op.Release x -> true;
            case Op.Wait x -> true;
            case Op.Uprobe x -> true;
            case Op.WaitChild x -> true;
            case Op.Signal x -> true;
            case Op.Await x -> true;
        };
    }

    /** One-step GUP on memory whose references stay put: no O_DIRECT, no GUP-fast, no revocable or bounce holder. */
    private static boolean simpleGup(Op.Gup g, Policy policy) {
        boolean longterm = (g.flags() & Holder.LONGTERM) != 0 || g.via() == Op.Via.URING;
        return g.io() == null && !g.fast()
                && !(longterm && (policy.has(Rule.REVOCABLE) || policy.has(Rule.KARA_BOUNCE)));
    }

    /** The PTEs at page {@code (v, i)}: which folio each maps, and its bits. */
    private long map(int v, int i) {
        return 1L << (pageBase[v] + PER_PAGE * i);
    }

    /** The counts and flags (refcount, mapcount, pincount, exclusive, dirty) of the page's folios, not FREED. */
    private long cnt(int v, int i) {
        return 1L << (pageBase[v] + PER_PAGE * i + 1);
    }

    /** Whether the page's folios are freed (their FREED flag, set when the last reference goes). */
    private long free(int v, int i) {
        return 1L << (pageBase[v] + PER_PAGE * i + 2);
    }

    private long data(int v, int i, int c) {
        return 1L << (pageBase[v] + PER_PAGE * i + 3 + c);
    }

    /** Every resource of page {@code (v, i)}. */
    private long page(int v, int i) {
        return ((1L << PER_PAGE) - 1) << (pageBase[v] + PER_PAGE * i);
    }

    private long alive(int p) {
        return 1L << (procBase + 2 * p);
    }

    private long mm(int p) {
        return 1L << (procBase + 2 * p + 1);
    }

    private long hold(int h) {
        return 1L << (holdBase + h);
    }

    /** Whether VMA {@code v} of process {@code p} is a private anonymous mapping. */
    private static boolean privateAnon(World w, int p, int v) {
        int word = w.vma(p, v);
        return Vma.has(word, Vma.MAPPED) && !Vma.hasFile(word) && !Vma.has(word, Vma.SHARED);
    }

    /**
     * Writes into {@code out[0]} and {@code out[1]} what the next step of {@code op}, by a thread of process
     * {@code p} ({@code -1} for a device), reads and writes: {@link #ALL} in both when it is not classified.
     *
     * @param now whether the step is taken from {@code w} itself; otherwise the bound holds for a step taken after
     *     any sequence of classified steps of other threads (a present PTE then stays present, and VMAs, processes
     *     and the shape {@link #local} checks stay as they are)
     */
    public void of(World w, int p, Op op, boolean now, long[] out) {
        long r = p >= 0 ? alive(p) : 0;
        long wr = 0;
        switch (op) {
            case Op.Load l -> {
                int i = l.cell() / Folio.CELLS;
                if (p < 0 || !privateAnon(w, p, l.vma()) || !Vma.has(w.vma(p, l.vma()), Vma.READ)) {
                    all(out);
                    return;
                }
                // the PTE, the folio's FREED flag (a use-after-free check) and the cell
                r |= map(l.vma(), i) | free(l.vma(), i) | data(l.vma(), i, l.cell() % Folio.CELLS);
                if (!Pte.present(w.pte(p, l.vma(), i))) {
                    // the anonymous read fault maps the zero page or a new folio
                    wr |= page(l.vma(), i);
                }
            }
            case Op.Store s -> {
                int v = s.vma();
                int i = s.cell() / Folio.CELLS;
                if (p < 0 || !privateAnon(w, p, v) || !Vma.has(w.vma(p, v), Vma.WRITE)) {
                    all(out);
                    return;
                }
                int pte = w.pte(p, v, i);
                r |= map(v, i);
                // A present, writable PTE stays so along classified steps of other threads: none of them
                // write-protects or unmaps (fork and the mmap calls are ALL). One that replaced the folio would
                // write MAP here, and then no step of the persistent set touches this page at all. The store sets
                // the PTE's dirty bit, an OR that commutes with itself; every step that reads or replaces the bit
                // writes MAP.
                if (Pte.present(pte) && Pte.writable(pte)) {
                    wr |= data(v, i, s.cell() % Folio.CELLS);
                } else {
                    // a write fault or do_wp_page(): a new PTE, maybe a copy of the whole folio, and the MMU
                    // notifiers of the holders that map the page
                    r |= page(v, i);
                    wr |= page(v, i) | holdersOver[v][i];
                }
            }
            case Op.Gup g -> {
                if (p < 0 || !holderSimple[g.holder()] || !privateAnon(w, p, g.vma())) {
                    all(out);
                    return;
                }
                r |= hold(g.holder());
                wr |= hold(g.holder()) | mm(p);
                for (int k = 0; k < g.count() && g.page() + k < lay.vmaPages(g.vma()); k++) {
                    r |= page(g.vma(), g.page() + k);
                    wr |= page(g.vma(), g.page() + k) | holdersOver[g.vma()][g.page() + k];
                }
            }
            case Op.DmaWrite d -> {
                int k = d.cell() / Folio.CELLS;
                if (!simpleHolder(w, d.holder())) {
                    all(out);
                    return;
                }
                Op.Gup g = gupOf[d.holder()];
                // the slot's folio (not the PTEs): its FREED flag and the cell
                r |= hold(d.holder()) | free(g.vma(), g.page() + k);
                wr |= data(g.vma(), g.page() + k, d.cell() % Folio.CELLS);
            }
            case Op.DmaRead d -> {
                int k = d.cell() / Folio.CELLS;
                if (!simpleHolder(w, d.holder())) {
                    all(out);
                    return;
                }
                Op.Gup g = gupOf[d.holder()];
                r |= hold(d.holder()) | free(g.vma(), g.page() + k) | data(g.vma(), g.page() + k, d.cell() % Folio.CELLS);
            }
            case Op.Release x -> {
                if (!simpleHolder(w, x.holder())) {
                    all(out);
                    return;
                }
                // the slots and the counts and flags of their folios (set_page_dirty, the unpin); no PTE. It frees
                // a folio only if it drops the last reference, which a step taken now can tell.
                r |= hold(x.holder()) | holderCounts[x.holder()];
                wr |= hold(x.holder()) | holderCounts[x.holder()];
                if (!now || releaseFrees(w, x.holder())) {
                    wr |= holderFrees[x.holder()];
                }
            }
            case Op.Wait x -> {
                if (!holderSimple[x.holder()]) {
                    all(out);
                    return;
                }
                r |= hold(x.holder());
            }
            case Op.Signal s -> wr |= 1L << sig;
            case Op.Await a -> r |= 1L << sig;
            case Op.WaitChild c -> r |= alive(c.child());
            default -> {
                all(out);
                return;
            }
        }
        out[0] = r;
        out[1] = wr;
    }

    /**
     * Returns what the guard of {@code op} (by a thread of process {@code p}, {@code -1} for a device) reads: the
     * resources some step must write before a blocked {@code op} can run ({@link Kernel#enabled} and the thread's
     * own checks: its process alive, no stepwise fork holding its mmap_lock). {@link #ALL} when not classified.
     */
    public long guard(World w, int p, Op op) {
        long r = p >= 0 ? alive(p) : 0;
        return switch (op) {
            // a CPU access or a GUP on a private anonymous mapping waits only for its process
            case Op.Load l -> p >= 0 && privateAnon(w, p, l.vma()) ? r : ALL;
            case Op.Store s -> p >= 0 && privateAnon(w, p, s.vma()) ? r : ALL;
            case Op.Gup g -> p >= 0 && holderSimple[g.holder()] && privateAnon(w, p, g.vma()) ? r : ALL;
            // a device waits for its holder's GUP (held), and a simple holder's device never blocks beyond that
            case Op.DmaWrite d -> simpleHolder(w, d.holder()) ? r | hold(d.holder()) : ALL;
            case Op.DmaRead d -> simpleHolder(w, d.holder()) ? r | hold(d.holder()) : ALL;
            case Op.Release x -> simpleHolder(w, x.holder()) ? r | hold(x.holder()) : ALL;
            case Op.Wait x -> holderSimple[x.holder()] ? r | hold(x.holder()) : ALL;
            case Op.Await a -> r | (1L << sig);
            case Op.WaitChild c -> r | alive(c.child());
            case Op.Signal s -> r;
            default -> ALL;
        };
    }

    /** Whether releasing holder {@code h} now drops the last reference of a folio (the put frees it). */
    private boolean releaseFrees(World w, int h) {
        int word = w.holder(h);
        if (Holder.status(word) != Holder.HELD) {
            return false;
        }
        int drop = (Holder.flags(word) & Holder.PIN) != 0 ? Folio.PIN_BIAS : 1;
        for (int k = 0; k < lay.holderSlots(h); k++) {
            int ref = w.slot(h, k);
            if (Pte.isFolio(ref) && w.refcount(Pte.folio(ref)) - drop <= 0) {
                return true;
            }
        }
        return false;
    }

    private static void all(long[] out) {
        out[0] = ALL;
        out[1] = ALL;
    }

    /**
     * Whether holder {@code h} is filled only by one-step GUP calls on one page range of a private anonymous
     * mapping of a process that exists.
     */
    private boolean simpleHolder(World w, int h) {
        Op.Gup g = gupOf[h];
        int p = procOf[h];
        return holderSimple[h] && g != null && p >= 0 && (w.proc(p) & World.PROC_CREATED) != 0
                && privateAnon(w, p, g.vma());
    }

    /**
     * Whether every folio of {@code w} is reached from one page {@code (v, i)} only, through PTEs of private
     * anonymous mappings and holder slots of simple holders, and through nothing else (no page cache, no KSM).
     * {@code scratch} must have room for one int per folio.
     */
    public boolean local(World w, int[] scratch) {
        int n = w.folios();
        if (scratch.length < n) {
            return false;
        }
        java.util.Arrays.fill(scratch, 0, n, -1);
        for (int p = 0; p < lay.processes(); p++) {
            for (int v = 0; v < lay.vmas(); v++) {
                boolean anon = privateAnon(w, p, v);
                for (int i = 0; i < lay.vmaPages(v); i++) {
                    int ref = Pte.ref(w.pte(p, v, i));
                    if (!Pte.isFolio(ref)) {
                        continue;
                    }
                    int f = Pte.folio(ref);
                    if (!anon || (w.flags(f) & (Folio.KSM | Folio.PAGECACHE | Folio.BOUNCE)) != 0 || !claim(scratch, f, pageBase[v] + PER_PAGE * i)) {
                        return false;
                    }
                }
            }
        }
        for (int h = 0; h < lay.holders(); h++) {
            Op.Gup g = gupOf[h];
            for (int k = 0; k < lay.holderSlots(h); k++) {
                int ref = w.slot(h, k);
                if (!Pte.isFolio(ref)) {
                    continue;
                }
                if (g == null || !holderSimple[h] || g.page() + k >= lay.vmaPages(g.vma())
                        || !claim(scratch, Pte.folio(ref), pageBase[g.vma()] + PER_PAGE * (g.page() + k))) {
                    return false;
                }
            }
        }
        for (int f = 0; f < lay.files(); f++) {
            for (int i = 0; i < lay.filePages(f); i++) {
                int ref = w.cacheSlot(f, i);
                if (Pte.isFolio(ref) && scratch[Pte.folio(ref)] >= 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Whether {@code op} keeps the shape {@link #local} checks: it maps, copies or takes folios only at their own
     * page, or drops references (fork maps the parent's folios, or copies, at the same page of the child).
     */
    public boolean keepsLocal(Op op) {
        return switch (op) {
            case Op.Load x -> true;
            case Op.Store x -> true;
            case Op.Gup g -> holderSimple[g.holder()];
            case Op.DmaWrite x -> true;
            case Op.DmaRead x -> true;
            case Op.Release x -> true;
            case Op.Wait x -> true;
            case Op.Signal x -> true;
            case Op.Await x -> true;
            case Op.WaitChild x -> true;
            case Op.Fork f -> !f.stepwise();
            case Op.Exit x -> true;
            case Op.Munmap x -> true;
            case Op.Mprotect x -> true;
            default -> false;
        };
    }

    private static boolean claim(int[] scratch, int f, int region) {
        if (scratch[f] == -1) {
            scratch[f] = region;
            return true;
        }
        return scratch[f] == region;
    }
}
