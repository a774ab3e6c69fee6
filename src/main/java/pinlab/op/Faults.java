package pinlab.op;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.Event;
import pinlab.model.Folio;
import pinlab.model.Pte;
import pinlab.model.Vma;
import pinlab.model.World;
import pinlab.policy.Rule;

/**
 * Page faults and copy-on-write for anonymous memory, as mm/memory.c does them: CPU loads and stores, the
 * anonymous read and write fault, and do_wp_page() with its reuse test. Faults on mappings of files and shmem
 * objects go to the page cache ({@link PageCache}).
 */
final class Faults extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.ANON_FAULT, Rule.WP_COPY, Rule.WP_SHARED,
            Rule.WP_REUSE_MAPCOUNT, Rule.WP_REUSE_REFCOUNT, Rule.WP_REUSE_EXCLUSIVE, Rule.ANON_READ_ZERO_PAGE,
            Rule.KSM_COW, Rule.KSM_REUSE_SOLE);

    private final PageCache cache;
    private MmCalls mm;
    private Notifier notifier;

    Faults(Kernel owner, PageCache cache) {
        super(owner);
        this.cache = cache;
    }

    void wire(MmCalls mmCalls, Notifier n) {
        this.mm = mmCalls;
        this.notifier = n;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    /** What a fault on a present, read-only PTE is for. */
    enum Fault {
        /** An ordinary write fault. */
        WRITE,
        /** FAULT_FLAG_UNSHARE: make the page exclusive but keep the PTE read-only. */
        UNSHARE,
        /** A FOLL_FORCE write through a VMA without VM_WRITE: break COW, keep the PTE read-only. */
        FORCE
    }

    // ---- CPU access ---------------------------------------------------------------------------------

    int load(World w, int p, int v, int cell) {
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED | Vma.READ)) {
            mm.segv(w, p);
            return Kernel.NONE;
        }
        int i = cell / Folio.CELLS;
        if (!Pte.present(w.pte(p, v, i)) && !readFault(w, p, v, i)) {
            mm.sigbus(w, p);
            return Kernel.NONE;
        }
        return cellOf(w, Pte.ref(w.pte(p, v, i)), cell % Folio.CELLS);
    }

    /** Returns cell {@code c} of the page {@code ref} names: 0 for the zero page, NONE for no page. */
    static int cellOf(World w, int ref, int c) {
        if (Pte.isFolio(ref)) {
            int f = Pte.folio(ref);
            if (w.test(f, Folio.FREED)) {
                w.raise(Event.UAF);
            }
            return Folio.cell(w.content(f), c);
        }
        return ref == Pte.ZERO ? 0 : Kernel.NONE;
    }

    void store(World w, int p, int v, int cell, int value) {
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED | Vma.WRITE)) {
            mm.segv(w, p);
            return;
        }
        int i = cell / Folio.CELLS;
        int pte = w.pte(p, v, i);
        if (!Pte.present(pte) || !Pte.writable(pte)) {
            if (!writeFault(w, p, v, i)) {
                mm.sigbus(w, p);
                return;
            }
            pte = w.pte(p, v, i);
        }
        int f = Pte.folio(Pte.ref(pte));
        w.setContent(f, Folio.withCell(w.content(f), cell % Folio.CELLS, value));
        w.setPte(p, v, i, pte | Pte.DIRTY);
    }

    /**
     * Whether a CPU store to a cell would sleep in the fault handler now (page_mkwrite waiting for the folio lock
     * or for writeback); a store that needs no fault, or that will SIGSEGV, does not.
     */
    boolean storeBlocks(World w, int p, int v, int cell) {
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED | Vma.WRITE)) {
            return false;
        }
        int i = cell / Folio.CELLS;
        int pte = w.pte(p, v, i);
        if (Pte.present(pte) && Pte.writable(pte)) {
            return false;
        }
        return cache.writeFaultBlocks(w, p, v, i);
    }

    // ---- anonymous faults ---------------------------------------------------------------------------

    /** Allocates a new anonymous folio, exclusive where the policy tracks PG_anon_exclusive. */
    int newAnon(World w, int content) {
        int flags = Folio.ANON | (on(Rule.ANON_EXCLUSIVE_FLAG) ? Folio.ANON_EXCLUSIVE : 0);
        return w.alloc(flags, content);
    }

    /** Maps a new folio {@code f} (refcount 1 already taken for this mapping). */
    static void mapNew(World w, int p, int v, int i, int f, int bits) {
        movable(w, p, v, f);
        w.addMap(f, 1);
        w.setPte(p, v, i, Pte.make(Pte.ofFolio(f), bits));
    }

    /** A new anonymous folio of a VMA whose memory comes from ZONE_MOVABLE is in ZONE_MOVABLE. */
    static void movable(World w, int p, int v, int f) {
        if (Vma.has(w.vma(p, v), Vma.MOVABLE) && w.test(f, Folio.ANON)) {
            w.setFlags(f, Folio.MOVABLE);
        }
    }

    /** handle_mm_fault() for a read of a missing page; false for VM_FAULT_SIGBUS. */
    boolean readFault(World w, int p, int v, int i) {
        int word = w.vma(p, v);
        if (Vma.hasFile(word)) {
            return cache.fault(w, p, v, i, false);
        }
        if (on(Rule.ANON_READ_ZERO_PAGE)) {
            use(Rule.ANON_READ_ZERO_PAGE);
            w.setPte(p, v, i, Pte.make(Pte.ZERO, 0));
            note("read fault maps the shared zero page read-only");
            return true;
        }
        use(Rule.ANON_FAULT);
        int f = newAnon(w, 0);
        int bits = Pte.DIRTY | (Vma.has(word, Vma.WRITE) ? Pte.WRITE : 0);
        mapNew(w, p, v, i, f, bits);
        note("read fault allocates " + folioName(f));
        return true;
    }

    /** handle_mm_fault() for a write; the VMA allows the write (or FOLL_FORCE stands in for it). */
    boolean writeFault(World w, int p, int v, int i) {
        int word = w.vma(p, v);
        int pte = w.pte(p, v, i);
        if (!Pte.present(pte)) {
            if (Vma.hasFile(word)) {
                return cache.fault(w, p, v, i, true);
            }
            use(Rule.ANON_FAULT);
            int f = newAnon(w, 0);
            mapNew(w, p, v, i, f, Pte.WRITE | Pte.DIRTY);
            note("write fault allocates " + folioName(f));
            return true;
        }
        doWpPage(w, p, v, i, Fault.WRITE);
        return true;
    }

    /** do_wp_page(): a write (or unshare) fault on a present, read-only PTE. */
    void doWpPage(World w, int p, int v, int i, Fault kind) {
        int word = w.vma(p, v);
        int pte = w.pte(p, v, i);
        int ref = Pte.ref(pte);
        int newBits = kind == Fault.WRITE ? Pte.WRITE | Pte.DIRTY : Pte.DIRTY;
        if (kind == Fault.UNSHARE) {
            newBits = 0;
        }
        if (Vma.has(word, Vma.SHARED) && kind != Fault.FORCE) {
            cache.wpShared(w, p, v, i);
            return;
        }
        if (Pte.isFolio(ref) && w.test(Pte.folio(ref), Folio.KSM)) {
            int f = Pte.folio(ref);
            if (on(Rule.KSM_REUSE_SOLE) && w.refcount(f) == 1 && kind != Fault.UNSHARE) {
                use(Rule.KSM_REUSE_SOLE);
                w.clearFlags(f, Folio.KSM);
                w.setPte(p, v, i, pte | newBits);
                note("reuse_ksm_page(): " + folioName(f) + " has no other user and becomes an ordinary anonymous page");
                return;
            }
            use(Rule.KSM_COW);
        } else if (Pte.isFolio(ref) && w.test(Pte.folio(ref), Folio.ANON)) {
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
        notifier.invalidate(w, p, v, i);
        int old = Pte.isFolio(ref) ? w.content(Pte.folio(ref)) : 0;
        int g = newAnon(w, old);
        movable(w, p, v, g);
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

    /** wp_page_reuse() in a shared mapping without page_mkwrite (shmem): the PTE becomes writable. */
    void reuseShared(World w, int p, int v, int i) {
        int pte = w.pte(p, v, i);
        use(Rule.WP_SHARED);
        w.setPte(p, v, i, pte | Pte.WRITE | Pte.DIRTY);
        w.setFlags(Pte.folio(Pte.ref(pte)), Folio.DIRTY);
        note("shared mapping: PTE made writable");
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
}
