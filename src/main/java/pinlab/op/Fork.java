package pinlab.op;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.Folio;
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
            Rule.FORK_COPY_EXCLUSIVE_PINNED);

    private final Faults faults;
    private final Notifier notifier;

    Fork(Kernel owner, Faults faults, Notifier notifier) {
        super(owner);
        this.faults = faults;
        this.notifier = notifier;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    void fork(World w, int p, int child) {
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
                copyPte(w, p, child, v, i, word, hasPinned);
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
            int g = faults.newAnon(w, w.content(f));
            int bits = Pte.DIRTY | (Vma.has(word, Vma.WRITE) ? Pte.WRITE : 0);
            Faults.mapNew(w, child, v, i, g, bits);
            note(folioName(f) + " may be pinned: copied to " + folioName(g) + " for the child;"
                    + " the parent keeps its PTE");
            return;
        }
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
            if (Pte.isFolio(Pte.ref(w.pte(p, v, i)))) {
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
