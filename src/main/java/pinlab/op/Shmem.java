package pinlab.op;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.Folio;
import pinlab.model.Pte;
import pinlab.model.Vma;
import pinlab.model.World;
import pinlab.policy.Rule;

/**
 * tmpfs, as mm/shmem.c implements it: the shmem object behind a shared anonymous mapping, memfds and tmpfs files
 * are one kind of file whose pages live only in its page cache. A fault finds or adds the page there; there is no
 * page_mkwrite and no writeback, and a shmem object goes away with its last mapping.
 */
final class Shmem extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.SHMEM_SHARED_ANON);

    Shmem(Kernel owner) {
        super(owner);
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    /** Creates the object behind a new shared anonymous mapping (shmem_zero_setup()). */
    void create(World w, int s) {
        use(Rule.SHMEM_SHARED_ANON);
        w.setFile(s, 1);
    }

    /** shmem_get_folio(): the page-cache folio at page {@code i}, a new zeroed one if there is none. */
    int addFolio(World w, int s, int i) {
        int ref = w.cacheSlot(s, i);
        if (Pte.isFolio(ref)) {
            return Pte.folio(ref);
        }
        int f = w.alloc(Folio.PAGECACHE | Folio.UPTODATE, 0);
        w.setMapping(f, Folio.mappingOf(s, i));
        w.setCacheSlot(s, i, Pte.ofFolio(f));
        note("shmem allocates " + folioName(f) + " in its page cache");
        return f;
    }

    /**
     * shmem_fault() for a shared mapping: find or add the page-cache folio, then map it; writable at once if the
     * VMA is (no writenotify), and dirty on a write fault.
     */
    void fault(World w, int p, int v, int i, int s, int idx, boolean write) {
        use(Rule.SHMEM_SHARED_ANON);
        int word = w.vma(p, v);
        int f = addFolio(w, s, idx);
        w.addRef(f, 1);
        int bits = Vma.has(word, Vma.WRITE) ? Pte.WRITE : 0;
        if (write) {
            bits |= Pte.DIRTY;
            w.setFlags(f, Folio.DIRTY);
        }
        Faults.mapNew(w, p, v, i, f, bits);
    }

    /**
     * shmem_file_read_iter() of a page that is not in the page cache: SGP_READ allocates nothing, the read copies
     * zeros.
     */
    void readHole() {
        use(Rule.SHMEM_SHARED_ANON);
        note("tmpfs: the page is not cached; read(2) copies zeros and allocates nothing (SGP_READ)");
    }

    /** The last mapping of a shmem object is gone: its file is released and its page cache truncated. */
    void dropIfUnused(World w, int s) {
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
        for (int i = 0; i < w.layout().filePages(s); i++) {
            int ref = w.cacheSlot(s, i);
            if (Pte.isFolio(ref)) {
                removeFromCache(w, s, i, Pte.folio(ref));
            }
        }
        w.setFile(s, 0);
    }
}
