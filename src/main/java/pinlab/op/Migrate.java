package pinlab.op;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.Folio;
import pinlab.model.Pte;
import pinlab.model.Vma;
import pinlab.model.World;
import pinlab.policy.Rule;

/**
 * Page migration, as mm/migrate.c runs it for move_pages(2) and compaction: unmap the folio to migration entries,
 * check that the refcount is what the mappings, the page cache and the buffers account for, then copy, remap and
 * free the old folio; with an extra reference the PTEs are restored and the page stays where it was.
 *
 * <p>One migration is one step. The kernel's migration entries block faults and the slow GUP until the folio
 * is remapped (migration_entry_wait()), and a GUP-fast that read the PTE before the unmap finds it changed at its
 * re-check, so no other actor can observe the folio between the unmap and the remap; what an atomic step leaves
 * out is the retries (up to 10 passes) during which a reference could go away.
 */
final class Migrate extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.MIGRATE_REFS, Rule.MIGRATE_SHARED,
            Rule.COMPACT_SKIP_REFERENCED, Rule.ANON_EXCLUSIVE_FLAG);


    private final Notifier notifier;

    Migrate(Kernel owner, Notifier notifier) {
        super(owner);
        this.notifier = notifier;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    /** What move_pages() of page {@code i} of VMA {@code v} waits for: the folio lock and writeback (MIGRATE_SYNC). */
    static boolean blocks(World w, int p, int v, int i) {
        int ref = Pte.ref(w.pte(p, v, i));
        if (!Pte.isFolio(ref)) {
            return false;
        }
        int f = Pte.folio(ref);
        return w.test(f, Folio.LOCKED) || w.test(f, Folio.WRITEBACK);
    }

    /**
     * move_pages(2) of one page to another node: returns 0 when it moved, 1 (the count of pages not migrated)
     * when migration failed, or the page's status error: -ENOENT without a page, -EFAULT for the zero page,
     * -EACCES for a page other processes map too (without MPOL_MF_MOVE_ALL).
     */
    int movePages(World w, int p, int v, int i) {
        int word = w.vma(p, v);
        int pte = w.pte(p, v, i);
        if (!Vma.has(word, Vma.MAPPED)) {
            note("no mapping: move_pages() reports -EFAULT for the page");
            return -Kernel.EFAULT;
        }
        if (!Pte.present(pte)) {
            note("no page there: status -ENOENT");
            return -Kernel.ENOENT;
        }
        if (!Pte.isFolio(Pte.ref(pte))) {
            note("the zero page is not migrated: status -EFAULT");
            return -Kernel.EFAULT;
        }
        int f = Pte.folio(Pte.ref(pte));
        if (w.mapcount(f) > 1) {
            use(Rule.MIGRATE_SHARED);
            note(folioName(f) + " is mapped " + w.mapcount(f) + " times: without MPOL_MF_MOVE_ALL, status -EACCES");
            return -Kernel.EACCES;
        }
        return migrate(w, f) ? 0 : 1;
    }

    /**
     * Migrates folio {@code f}: returns whether it moved. The new folio takes its data, flags, mappings, page-cache
     * slot and buffers; the old one is freed.
     */
    boolean migrate(World w, int f) {
        return migrate(w, f, true);
    }

    /**
     * Like {@link #migrate(World, int)}; the new folio stays in ZONE_MOVABLE only if {@code keepZone} (a
     * long-term pin's migration allocates outside it).
     */
    boolean migrate(World w, int f, boolean keepZone) {
        use(Rule.MIGRATE_REFS);
        boolean anon = w.test(f, Folio.ANON);
        if (anon && on(Rule.ANON_EXCLUSIVE_FLAG) && w.test(f, Folio.ANON_EXCLUSIVE)
                && w.refcount(f) >= Folio.PIN_BIAS) {
            use(Rule.ANON_EXCLUSIVE_FLAG);
            note("try_to_migrate_one(): " + folioName(f) + " is exclusive and may be pinned: it cannot be unmapped,"
                    + " the PTE is restored and migration fails (-EAGAIN)");
            return false;
        }
        int expected = expectedRefs(w, f);
        if (w.refcount(f) != expected) {
            note(folioName(f) + " has " + (w.refcount(f) - expected) + " reference(s) migration does not account for:"
                    + " -EAGAIN, the migration entries are replaced by the old PTEs again");
            return false;
        }
        int keep = Folio.ANON | Folio.ANON_EXCLUSIVE | Folio.DIRTY | Folio.KSM | Folio.PAGECACHE | Folio.UPTODATE
                | Folio.PRIVATE | (keepZone ? Folio.MOVABLE : 0);
        int g = w.alloc(w.flags(f) & keep, w.content(f));
        w.setMapping(g, w.mapping(f));
        int moved = 0;
        for (int p = 0; p < w.layout().processes(); p++) {
            for (int v = 0; v < w.layout().vmas(); v++) {
                for (int i = 0; i < w.layout().vmaPages(v); i++) {
                    int pte = w.pte(p, v, i);
                    if (Pte.present(pte) && Pte.ref(pte) == Pte.ofFolio(f)) {
                        notifier.invalidate(w, p, v, i);
                        w.setPte(p, v, i, Pte.make(Pte.ofFolio(g), pte & (Pte.WRITE | Pte.DIRTY)));
                        w.addMap(g, 1);
                        moved++;
                    }
                }
            }
        }
        w.addMap(f, -moved);
        if (w.test(f, Folio.PAGECACHE)) {
            int mapping = w.mapping(f);
            w.setCacheSlot(Folio.mappingFile(mapping), Folio.mappingIndex(mapping), Pte.ofFolio(g));
        }
        // alloc() gave the new folio one reference; the rest are its mappings, the cache's and the buffers'
        w.addRef(g, expected - 1);
        w.clearFlags(f, Folio.PRIVATE | Folio.PAGECACHE | Folio.KSM);
        w.setMapping(f, 0);
        note("migrated: " + folioName(f) + " copied to " + folioName(g) + ", remapped, and freed");
        put(w, f, w.refcount(f));
        return true;
    }

    /** folio_expected_ref_count(): the references migration accounts for (mappings, page cache, buffers). */
    private static int expectedRefs(World w, int f) {
        return w.mapcount(f) + (w.test(f, Folio.PAGECACHE) ? 1 : 0) + (w.test(f, Folio.PRIVATE) ? 1 : 0);
    }

    // ---- compaction -----------------------------------------------------------------------------------

    /** The folio at candidate {@code c} if compaction would isolate and migrate it now, else -1. */
    private static int compactable(World w, int c) {
        int p = PageIndex.proc(w, c);
        int v = PageIndex.vma(w, c);
        int i = PageIndex.page(c);
        if (!PageIndex.inside(w, c) || !w.alive(p)) {
            return -1;
        }
        int ref = Pte.ref(w.pte(p, v, i));
        if (!Pte.present(w.pte(p, v, i)) || !Pte.isFolio(ref)) {
            return -1;
        }
        int f = Pte.folio(ref);
        if (w.test(f, Folio.LOCKED) || w.test(f, Folio.WRITEBACK) || w.test(f, Folio.BOUNCE)) {
            return -1;
        }
        return w.refcount(f) == expectedRefs(w, f) ? f : -1;
    }

    /** The next candidate from {@code from} that compaction would move, or -1. */
    int nextCompact(World w, int from) {
        for (int c = from; c < PageIndex.count(w); c++) {
            if (compactable(w, c) >= 0) {
                return c;
            }
        }
        return -1;
    }

    /** Compaction moves the page at candidate {@code c}. */
    void compact(World w, int c) {
        use(Rule.COMPACT_SKIP_REFERENCED);
        migrate(w, compactable(w, c));
    }
}
