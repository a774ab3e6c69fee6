package pinlab.op;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.Folio;
import pinlab.model.Holder;
import pinlab.model.Pte;
import pinlab.model.Vma;
import pinlab.model.World;
import pinlab.policy.Rule;

/**
 * fork(): kernel/fork.c dup_mmap() copies the VMAs, and mm/memory.c copy_page_range() / copy_present_pte() copies
 * the PTEs of private mappings, sharing each anonymous page write-protected or, when the policy says it may be
 * pinned, copying it for the child at once.
 */
final class Fork extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.FORK_DONTCOPY, Rule.FORK_SHARED_NOCOPY,
            Rule.FORK_WRPROTECT, Rule.FORK_SHARE_PINNED, Rule.FORK_COPY_MAYBE_PINNED,
            Rule.FORK_COPY_EXCLUSIVE_PINNED, Rule.FORK_MMAP_LOCK, Rule.GUP_FAST_SEQ, Rule.FORK_COHERENT_SNAPSHOT);

    private final Machine machine;
    private final Faults faults;
    private final Notifier notifier;

    /** Whether any holder takes its references through GUP-fast (only then can a fork move write_protect_seq). */
    private final boolean fastHolders;

    Fork(Kernel owner, Machine machine, Faults faults, Notifier notifier) {
        super(owner);
        this.machine = machine;
        this.fastHolders = machine.holderGups().stream().anyMatch(g -> g != null && g.fast());
        this.faults = faults;
        this.notifier = notifier;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    void fork(World w, int p, int child) {
        w.setProc(child, World.PROC_ALIVE | World.PROC_CREATED);
        seqChanged(w, p);
        boolean hasPinned = (w.proc(p) & World.PROC_HAS_PINNED) != 0;
        for (int v = 0; v < w.layout().vmas(); v++) {
            int word = copyVma(w, p, child, v);
            if (word == 0) {
                continue;
            }
            for (int i = 0; i < w.layout().vmaPages(v); i++) {
                copyPte(w, p, child, v, i, word, hasPinned);
            }
        }
    }

    /**
     * Copies VMA {@code v} to the child; returns its word if its PTEs must be copied (a private VMA with an
     * anon_vma), else 0.
     */
    private int copyVma(World w, int p, int child, int v) {
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED)) {
            return 0;
        }
        if (Vma.has(word, Vma.DONTCOPY)) {
            use(Rule.FORK_DONTCOPY);
            note("VM_DONTCOPY: the child gets no mapping here");
            return 0;
        }
        w.setVma(child, v, word);
        if (Vma.has(word, Vma.SHARED) || !hasAnonPages(w, p, v)) {
            use(Rule.FORK_SHARED_NOCOPY);
            return 0;
        }
        return word;
    }

    // ---- the stepwise fork ---------------------------------------------------------------------------

    private static final int APPLY = 1;

    /**
     * One step of a stepwise fork: the first step takes the parent's mmap_lock for write (and makes
     * write_protect_seq odd from 5.11) and copies the VMAs; then each present anonymous page takes two steps,
     * the pinned check (which copies a maybe-pinned page for the child at once) and, for a page to share, the
     * write-protection and the child's PTE, as copy_present_pte() does under the PT lock. Other pages are copied
     * on the way. Returns the next {@code sub}, or {@link Kernel#DONE} after the last page.
     */
    int step(World w, int p, int child, int sub) {
        int pages = pagesOf(w);
        if (sub == 0) {
            use(Rule.FORK_MMAP_LOCK);
            w.setProc(p, w.proc(p) | World.PROC_FORKING);
            seqChanged(w, p);
            for (int v = 0; v < w.layout().vmas(); v++) {
                copyVma(w, p, child, v);
            }
            note("fork takes the mmap_lock for write and copies the VMAs");
            return advance(w, p, child, 0, pages);
        }
        int idx = (sub - 1) >>> 1;
        int v = idx / MAX_PAGES;
        int i = idx % MAX_PAGES;
        int word = w.vma(p, v);
        int f = Pte.folio(Pte.ref(w.pte(p, v, i)));
        if (((sub - 1) & APPLY) == 0) {
            if (mustCopy(w, f, (w.proc(p) & World.PROC_HAS_PINNED) != 0)) {
                copyForChild(w, p, child, v, i, word, f);
                return advance(w, p, child, idx + 1, pages);
            }
            note("fork checks " + folioName(f) + ": not maybe-pinned, so it will be shared");
            return 1 + ((idx << 1) | APPLY);
        }
        share(w, p, child, v, i, w.pte(p, v, i), f);
        return advance(w, p, child, idx + 1, pages);
    }

    private static final int MAX_PAGES = 64;

    private static int pagesOf(World w) {
        return w.layout().vmas() * MAX_PAGES;
    }

    /**
     * Copies the pages from linear index {@code idx} that need no step of their own, and returns the step of
     * the next anonymous page, or finishes the fork.
     */
    private int advance(World w, int p, int child, int idx, int pages) {
        for (int at = idx; at < pages; at++) {
            int v = at / MAX_PAGES;
            int i = at % MAX_PAGES;
            int word = w.vma(p, v);
            if (i >= w.layout().vmaPages(v) || (i == 0 && !copiesPtes(w, p, child, v))) {
                at = (v + 1) * MAX_PAGES - 1;
                continue;
            }
            int pte = w.pte(p, v, i);
            if (Pte.present(pte) && Pte.isFolio(Pte.ref(pte)) && w.test(Pte.folio(Pte.ref(pte)), Folio.ANON)) {
                return 1 + (at << 1);
            }
            copyPte(w, p, child, v, i, word, false);
        }
        w.setProc(p, w.proc(p) & ~World.PROC_FORKING);
        seqChanged(w, p);
        w.setProc(child, World.PROC_ALIVE | World.PROC_CREATED);
        note("fork is done: the mmap_lock is released and the child can run");
        return Kernel.DONE;
    }

    /** Whether the stepwise fork copies the PTEs of VMA {@code v} (copyVma() ran at its first step). */
    private static boolean copiesPtes(World w, int p, int child, int v) {
        int word = w.vma(p, v);
        return Vma.has(w.vma(child, v), Vma.MAPPED) && !Vma.has(word, Vma.SHARED) && hasAnonPages(w, p, v);
    }

    /** write_protect_seq moves (5.11+): every GUP-fast of this mm taking references now must retry. */
    private void seqChanged(World w, int p) {
        if (!fastHolders || !on(Rule.GUP_FAST_SEQ)) {
            return;
        }
        Machine m = machine;
        for (int h = 0; h < w.layout().holders(); h++) {
            int word = w.holder(h);
            Op.Gup g = m.gupOf(h);
            if (g != null && g.fast() && m.procOf(h) == p && Holder.status(word) == Holder.EMPTY) {
                w.setHolder(h, word | Holder.SEQ_CHANGED);
                use(Rule.GUP_FAST_SEQ);
            }
        }
    }

    /** copy_present_pte() for one page of a private VMA. */
    private void copyPte(World w, int p, int child, int v, int i, int word, boolean hasPinned) {
        int pte = w.pte(p, v, i);
        if (!Pte.present(pte)) {
            return;
        }
        int ref = Pte.ref(pte);
        if (!Pte.isFolio(ref)) {
            w.setPte(child, v, i, pte);
            return;
        }
        int f = Pte.folio(ref);
        if (!w.test(f, Folio.ANON)) {
            use(Rule.FORK_WRPROTECT);
            w.setPte(child, v, i, pte & ~Pte.WRITE);
            w.addMap(f, 1);
            w.addRef(f, 1);
            note(folioName(f) + " (page cache) mapped in the child too");
            return;
        }
        if (mustCopy(w, f, hasPinned)) {
            copyForChild(w, p, child, v, i, word, f);
            return;
        }
        share(w, p, child, v, i, pte, f);
    }

    /** copy_present_page(): the child gets a copy of a maybe-pinned page; the parent keeps its PTE. */
    private void copyForChild(World w, int p, int child, int v, int i, int word, int f) {
        int pte = w.pte(p, v, i);
        if (on(Rule.FORK_COHERENT_SNAPSHOT) && Pte.writable(pte)) {
            use(Rule.FORK_COHERENT_SNAPSHOT);
            notifier.invalidate(w, p, v, i);
            w.setPte(p, v, i, pte & ~Pte.WRITE);
            note("fork-coherent-snapshot: the parent's PTE is write-protected and flushed before the copy");
        }
        int g = faults.newAnon(w, w.content(f));
        int bits = Pte.DIRTY | (Vma.has(word, Vma.WRITE) ? Pte.WRITE : 0);
        Faults.mapNew(w, child, v, i, g, bits);
        note(folioName(f) + " may be pinned: copied to " + folioName(g) + " for the child;"
                + " the parent keeps its PTE");
    }

    /** Shares an anonymous page with the child, write-protected in both. */
    private void share(World w, int p, int child, int v, int i, int pte, int f) {
        use(Rule.FORK_WRPROTECT);
        if (Pte.writable(pte)) {
            notifier.invalidate(w, p, v, i);
        }
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

    /**
     * Whether a private VMA has an anon_vma, approximated as: some PTE maps an anonymous folio. Without one,
     * copy_page_range() copies nothing (the child faults everything in again, zero page included).
     */
    private static boolean hasAnonPages(World w, int p, int v) {
        for (int i = 0; i < w.layout().vmaPages(v); i++) {
            int ref = Pte.ref(w.pte(p, v, i));
            if (Pte.isFolio(ref) && w.test(Pte.folio(ref), Folio.ANON)) {
                return true;
            }
        }
        return false;
    }

    private boolean mustCopy(World w, int f, boolean hasPinned) {
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
}
