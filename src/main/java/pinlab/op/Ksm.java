package pinlab.op;

import static pinlab.op.PageIndex.count;
import static pinlab.op.PageIndex.page;
import static pinlab.op.PageIndex.proc;
import static pinlab.op.PageIndex.vma;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.Folio;
import pinlab.model.Pte;
import pinlab.model.Vma;
import pinlab.model.World;
import pinlab.policy.Rule;

/**
 * KSM, as mm/ksm.c runs it: MADV_MERGEABLE and MADV_UNMERGEABLE, and ksmd's pass over the mergeable anonymous
 * pages, with write_protect_page() in the order the policy gives (the mainline order, or the alternatives seed
 * 003 argues against) and replace_page().
 *
 * <p>The pass visits candidate pages in the order processes, VMAs, pages. A candidate whose data equals a KSM
 * page's (the stable tree) is merged into it; else one whose data equals an earlier candidate's (the unstable
 * tree, rebuilt every pass) is merged with it. ksmd takes a step only for a merge whose reference checks pass
 * when it starts, which keeps its work finite. A single page whose check fails is restored unchanged, so
 * nothing is lost by that; but when the second page of a pair fails, the kernel has already made the first a
 * KSM page and break_cow() copies it back (same data and mappings, a new page frame, which replay can see).
 * That attempt is left out. The checksum KSM requires to be stable over two scans before a page enters the
 * unstable tree is not modelled either: ksmd may run at any point anyway.
 */
final class Ksm extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.KSM, Rule.KSM_CLEAR_FIRST, Rule.KSM_CHECK_BEFORE_CLEAR,
            Rule.KSM_2008_DRAFT, Rule.KSM_REPLACE, Rule.KSM_COW, Rule.ANON_EXCLUSIVE_FLAG, Rule.KSM_BREAK_UNSHARE);

    /** The tree index that stands for "a KSM page" (the stable tree). */
    static final int STABLE = (1 << 11) - 1;

    private static final int BUSY = 1;
    private static final int PENDING = 2;
    private static final int CURSOR_SHIFT = 2;
    private static final int TREE_SHIFT = 13;
    private static final int IDX_MASK = (1 << 11) - 1;
    private static final int RUNS_SHIFT = 24;

    private final Faults faults;
    private final Notifier notifier;

    Ksm(Kernel owner, Faults faults, Notifier notifier) {
        super(owner);
        this.faults = faults;
        this.notifier = notifier;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    // ---- madvise ------------------------------------------------------------------------------------

    /** MADV_MERGEABLE: ksm_madvise() sets VM_MERGEABLE on a compatible VMA (private, not shared). */
    void mergeable(World w, int p, int v) {
        int word = w.vma(p, v);
        use(Rule.KSM);
        if (!on(Rule.KSM)) {
            note("no KSM in this kernel: madvise(MADV_MERGEABLE) fails with -EINVAL");
            return;
        }
        if (Vma.has(word, Vma.SHARED) || !Vma.has(word, Vma.MAPPED)) {
            note("ksm_compatible(): a shared mapping is not mergeable (madvise returns 0 and does nothing)");
            return;
        }
        w.setVma(p, v, word | Vma.MERGEABLE);
        note("VM_MERGEABLE set: ksmd scans this VMA");
    }

    /** MADV_UNMERGEABLE: break_ksm() unshares every KSM page of the range, then VM_MERGEABLE is cleared. */
    void unmergeable(World w, int p, int v) {
        int word = w.vma(p, v);
        use(Rule.KSM);
        if (!on(Rule.KSM) || !Vma.has(word, Vma.MERGEABLE)) {
            return;
        }
        for (int i = 0; i < w.layout().vmaPages(v); i++) {
            int ref = Pte.ref(w.pte(p, v, i));
            if (Pte.isFolio(ref) && w.test(Pte.folio(ref), Folio.KSM)) {
                use(Rule.KSM_COW);
                breakKsm(w, p, v, i);
            }
        }
        w.setVma(p, v, word & ~Vma.MERGEABLE);
    }

    /** break_ksm() of one page: an unshare fault from 6.2, a write fault before (the copy is then writable). */
    private void breakKsm(World w, int p, int v, int i) {
        if (on(Rule.KSM_BREAK_UNSHARE) || !Vma.has(w.vma(p, v), Vma.WRITE)) {
            use(Rule.KSM_BREAK_UNSHARE);
            faults.doWpPage(w, p, v, i, Faults.Fault.UNSHARE);
        } else {
            faults.doWpPage(w, p, v, i, Faults.Fault.WRITE);
        }
    }

    // ---- candidates -----------------------------------------------------------------------------------

    /** The folio candidate {@code c} maps if ksmd would consider it now, else -1. */
    private static int candidate(World w, int c) {
        int p = proc(w, c);
        int v = vma(w, c);
        int i = page(c);
        if (i >= w.layout().vmaPages(v) || !w.alive(p) || (w.proc(p) & World.PROC_FORKING) != 0) {
            return -1;
        }
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED | Vma.MERGEABLE) || Vma.has(word, Vma.SHARED)) {
            return -1;
        }
        int pte = w.pte(p, v, i);
        if (!Pte.present(pte) || !Pte.isFolio(Pte.ref(pte))) {
            return -1;
        }
        int f = Pte.folio(Pte.ref(pte));
        if (!w.test(f, Folio.ANON) || w.test(f, Folio.KSM) || w.test(f, Folio.LOCKED)) {
            return -1;
        }
        return f;
    }

    /** A mapped KSM page with folio {@code f}'s data (stable_tree_search()), or -1. */
    private static int stableMatch(World w, int f) {
        for (int c = 0; c < count(w); c++) {
            int p = proc(w, c);
            int v = vma(w, c);
            int i = page(c);
            if (i >= w.layout().vmaPages(v)) {
                continue;
            }
            int ref = Pte.ref(w.pte(p, v, i));
            if (Pte.isFolio(ref)) {
                int k = Pte.folio(ref);
                if (k != f && w.test(k, Folio.KSM) && w.content(k) == w.content(f)) {
                    return k;
                }
            }
        }
        return -1;
    }

    /** An earlier candidate of this pass with folio {@code f}'s data (unstable_tree_search_insert()), or -1. */
    private static int unstableMatch(World w, int c, int f) {
        for (int d = 0; d < c; d++) {
            int g = candidate(w, d);
            if (g >= 0 && g != f && w.content(g) == w.content(f)) {
                return d;
            }
        }
        return -1;
    }

    /**
     * write_protect_page()'s reference check for the page candidate {@code c} maps: it runs only if the PTE is
     * writable or dirty or the page exclusive, and passes when the refcount is the mapcount (ksmd's own
     * reference is not modelled, so the kernel's "+ 1" is not either) and, 5.19+, the exclusive page cannot be
     * pinned.
     */
    private static boolean checkPasses(World w, int c, int f) {
        int pte = w.pte(proc(w, c), vma(w, c), page(c));
        if (!(Pte.writable(pte) || Pte.dirty(pte) || w.test(f, Folio.ANON_EXCLUSIVE))) {
            return true;
        }
        return w.refcount(f) == w.mapcount(f);
    }

    /** The tree index of a merge for candidate {@code c} whose checks pass now, or -1. */
    private int mergeFor(World w, int c) {
        int f = candidate(w, c);
        if (f < 0 || !checkPasses(w, c, f)) {
            return -1;
        }
        if (stableMatch(w, f) >= 0) {
            return STABLE;
        }
        int d = unstableMatch(w, c, f);
        return d >= 0 && checkPasses(w, d, candidate(w, d)) ? d : -1;
    }

    private int nextMerge(World w, int from) {
        for (int c = from; c < count(w); c++) {
            if (mergeFor(w, c) >= 0) {
                return c;
            }
        }
        return -1;
    }

    /** ksm_merge: ksmd runs until nothing is left to merge, every merge as write_protect_page() checks it. */
    void mergeAll(World w) {
        use(Rule.KSM);
        if (!on(Rule.KSM)) {
            note("no KSM in this kernel: nothing merges");
            return;
        }
        for (int c = nextMerge(w, 0); c >= 0; c = nextMerge(w, 0)) {
            use(Rule.KSM_CLEAR_FIRST);
            merge(w, c, mergeFor(w, c));
        }
    }

    // ---- the daemon ---------------------------------------------------------------------------------------

    private static int word(boolean busy, boolean pending, int cursor, int tree, int runs) {
        return (busy ? BUSY : 0) | (pending ? PENDING : 0) | (cursor << CURSOR_SHIFT) | (tree << TREE_SHIFT)
                | (runs << RUNS_SHIFT);
    }

    /** Whether ksmd can step: in a pass, or idle with a merge to do and runs left ({@code bound}, 0 for none). */
    boolean enabled(World w, int word, int bound) {
        if (!on(Rule.KSM)) {
            return false;
        }
        if ((word & BUSY) != 0) {
            return true;
        }
        if (bound > 0 && (word >>> RUNS_SHIFT) >= bound) {
            return false;
        }
        return nextMerge(w, 0) >= 0;
    }

    /** One step of ksmd; returns its new daemon word. */
    int step(World w, int word, int bound) {
        int runs = word >>> RUNS_SHIFT;
        if ((word & PENDING) != 0) {
            int c = (word >>> CURSOR_SHIFT) & IDX_MASK;
            int tree = (word >>> TREE_SHIFT) & IDX_MASK;
            commit(w, c, tree);
            return after(w, c + 1, runs);
        }
        int from = 0;
        if ((word & BUSY) == 0) {
            runs = bound > 0 ? runs + 1 : 0;
            note("ksmd starts a pass");
        } else {
            from = (word >>> CURSOR_SHIFT) & IDX_MASK;
        }
        int c = nextMerge(w, from);
        if (c < 0) {
            return word(false, false, 0, 0, runs);
        }
        int tree = mergeFor(w, c);
        if (on(Rule.KSM_CLEAR_FIRST)) {
            use(Rule.KSM_CLEAR_FIRST);
            note("write_protect_page(): the PTE is cleared and flushed, then mapcount and refcount agree");
            commit(w, c, tree);
            return after(w, c + 1, runs);
        }
        if (on(Rule.KSM_CHECK_BEFORE_CLEAR)) {
            use(Rule.KSM_CHECK_BEFORE_CLEAR);
            holdPtl(w, c, tree, true);
            note("ksmd checks the counts under the PT lock; the PTE is still writable");
        } else {
            use(Rule.KSM_2008_DRAFT);
            note("ksmd checks page_count against mapcount under the tree_lock only; the PTE is still writable");
        }
        return word(true, true, c, tree, runs);
    }

    /** What a ksmd word says, for traces. */
    static String text(int word) {
        if ((word & PENDING) != 0) {
            return "checked a page; it will write-protect and merge it next";
        }
        return (word & BUSY) != 0 ? "in a pass" : "idle, " + (word >>> RUNS_SHIFT) + " run(s) made";
    }

    private int after(World w, int from, int runs) {
        int next = nextMerge(w, from);
        return next < 0 ? word(false, false, 0, 0, runs) : word(true, false, next, 0, runs);
    }

    private void holdPtl(World w, int c, int tree, boolean held) {
        int[] ps = tree == STABLE ? new int[] {proc(w, c)} : new int[] {proc(w, c), proc(w, tree)};
        for (int p : ps) {
            w.setProc(p, held ? w.proc(p) | World.PROC_PTL_HELD : w.proc(p) & ~World.PROC_PTL_HELD);
        }
    }

    /** Write-protects the pages and merges them: the part after the reference check. */
    private void commit(World w, int c, int tree) {
        if (!on(Rule.KSM_CLEAR_FIRST)) {
            if (on(Rule.KSM_CHECK_BEFORE_CLEAR)) {
                holdPtl(w, c, tree, false);
            }
            note("ksmd write-protects without checking the counts again");
        }
        merge(w, c, tree);
    }

    private void merge(World w, int c, int tree) {
        use(Rule.KSM_REPLACE);
        int p = proc(w, c);
        int v = vma(w, c);
        int i = page(c);
        int f = candidate(w, c);
        if (f < 0 || (tree != STABLE && candidate(w, tree) < 0)) {
            note("the page changed since the check: ksmd gives up");
            return;
        }
        if (tree == STABLE) {
            int k = stableMatch(w, f);
            wrprotect(w, p, v, i, f);
            if (k < 0) {
                note("the KSM page is gone: " + folioName(f) + " stays, write-protected");
                return;
            }
            replace(w, p, v, i, f, k);
            return;
        }
        int q = proc(w, tree);
        int u = vma(w, tree);
        int j = page(tree);
        int g = candidate(w, tree);
        wrprotect(w, p, v, i, f);
        w.setFlags(f, Folio.KSM);
        note(folioName(f) + " becomes a KSM page in place");
        wrprotect(w, q, u, j, g);
        if (w.content(g) != w.content(f)) {
            note("pages_identical() fails after write-protecting " + folioName(g) + ": break_cow() on "
                    + folioName(f));
            use(Rule.KSM_COW);
            breakKsm(w, p, v, i);
            return;
        }
        replace(w, q, u, j, g, f);
    }

    /** The end of write_protect_page(): the PTE read-only and clean, the page no longer exclusive. */
    private void wrprotect(World w, int p, int v, int i, int f) {
        int pte = w.pte(p, v, i);
        if (Pte.writable(pte)) {
            notifier.invalidate(w, p, v, i);
        }
        if (Pte.dirty(pte)) {
            w.setFlags(f, Folio.DIRTY);
        }
        w.setPte(p, v, i, pte & ~(Pte.WRITE | Pte.DIRTY));
        if (on(Rule.ANON_EXCLUSIVE_FLAG)) {
            use(Rule.ANON_EXCLUSIVE_FLAG);
            w.clearFlags(f, Folio.ANON_EXCLUSIVE);
        }
    }

    /** replace_page(): the PTE maps KSM page {@code k} read-only instead of {@code f}. */
    private void replace(World w, int p, int v, int i, int f, int k) {
        w.setPte(p, v, i, Pte.make(Pte.ofFolio(k), 0));
        w.addMap(k, 1);
        w.addRef(k, 1);
        w.addMap(f, -1);
        note("replace_page(): " + folioName(f) + " is replaced by KSM page " + folioName(k));
        put(w, f, 1);
    }
}
