package pinlab.op;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.FileSystem;
import pinlab.model.Folio;
import pinlab.model.Pte;
import pinlab.model.Vma;
import pinlab.model.World;
import pinlab.policy.Rule;

/**
 * Taking clean page-cache folios away: reclaim (mm/vmscan.c shrink_folio_list(), for kswapd and MADV_PAGEOUT)
 * and eviction (mm/truncate.c mapping_evict_folio(), for POSIX_FADV_DONTNEED and drop_caches). Reclaim unmaps
 * first and checks references last, after the buffers are gone; eviction checks them first (since 5.18).
 * Anonymous memory is not reclaimed: pinlab has no swap. A clean tmpfs folio (one nobody wrote) can be dropped
 * by MADV_PAGEOUT and evicted, but kswapd never sees it: shmem folios are swap-backed and live on the anonymous
 * LRU, which reclaim does not scan without swap. Reclaim never writes a dirty file folio back (the flusher does,
 * at any time), which is what 6.16 does and what earlier kernels amount to for the states reached.
 */
final class Reclaim extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.RECLAIM_FILE, Rule.EVICT_CLEAN, Rule.EVICT_REFCOUNT_FIRST,
            Rule.RECLAIM_SKIP_PINNED, Rule.KARA_BLOCK, Rule.MADVISE_FILE, Rule.MADV_PAGEOUT);

    private final Machine machine;
    private final Filesystems fs;
    private final Rmap rmap;
    private final Writeback wb;

    Reclaim(Kernel owner, Machine machine, Filesystems fs, Rmap rmap, Writeback wb) {
        super(owner);
        this.machine = machine;
        this.fs = fs;
        this.rmap = rmap;
        this.wb = wb;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    /**
     * Whether reclaim can take folios of file {@code f}: never the storage pages of DAX; tmpfs only when asked
     * directly (MADV_PAGEOUT, eviction), not by kswapd's LRU scan.
     */
    private boolean reclaimable(int f, boolean kswapd) {
        FileSystem kind = machine.file(f).fs();
        return kind != FileSystem.FSDAX && !(kswapd && kind == FileSystem.TMPFS);
    }

    private static boolean maybePinned(World w, int c) {
        return w.refcount(c) >= Folio.PIN_BIAS;
    }

    // ---- shrink_folio_list ---------------------------------------------------------------------------

    /**
     * Whether reclaiming the folio at page {@code i} of file {@code f} would change anything now ({@code kswapd}:
     * found by the LRU scan; otherwise asked for by MADV_PAGEOUT).
     */
    boolean shrinkActs(World w, int f, int i, boolean kswapd) {
        int c = PageCache.cached(w, f, i);
        if (c < 0 || !reclaimable(f, kswapd) || w.test(c, Folio.LOCKED) || w.test(c, Folio.WRITEBACK)) {
            return false;
        }
        if (on(Rule.KARA_BLOCK) && Writeback.referenced(w, c)) {
            return false;
        }
        if (w.mapcount(c) > 0) {
            return true;
        }
        if ((on(Rule.RECLAIM_SKIP_PINNED) && maybePinned(w, c)) || w.test(c, Folio.DIRTY)) {
            return false;
        }
        return w.test(c, Folio.PRIVATE) || w.refcount(c) == 1;
    }

    /** shrink_folio_list() for the file folio at page {@code i} of file {@code f}. */
    void shrink(World w, int f, int i, boolean kswapd) {
        int c = PageCache.cached(w, f, i);
        if (c < 0 || !reclaimable(f, kswapd) || w.test(c, Folio.LOCKED) || w.test(c, Folio.WRITEBACK)) {
            return;
        }
        use(Rule.RECLAIM_FILE);
        if (on(Rule.KARA_BLOCK) && Writeback.referenced(w, c)) {
            use(Rule.KARA_BLOCK);
            note("kara-block: " + folioName(c) + " is GUP-referenced and is not unmapped");
            return;
        }
        if (w.mapcount(c) > 0) {
            int n = rmap.unmapFolio(w, c);
            note("reclaim unmaps " + folioName(c) + " (" + n + " PTE" + (n == 1 ? "" : "s") + ")");
        }
        if (on(Rule.RECLAIM_SKIP_PINNED) && maybePinned(w, c)) {
            use(Rule.RECLAIM_SKIP_PINNED);
            note(folioName(c) + " may be DMA-pinned: reclaim keeps it, with its buffers");
            return;
        }
        if (w.test(c, Folio.DIRTY)) {
            note(folioName(c) + " is dirty: reclaim keeps it for the flusher");
            return;
        }
        if (!fs.releaseFolio(w, c)) {
            return;
        }
        if (w.refcount(c) != 1) {
            note(folioName(c) + " has unexpected references: __remove_mapping fails and it stays in the page cache,"
                    + " unmapped" + (machine.file(f).fs().usesBuffers() ? " and without buffers" : ""));
            return;
        }
        removeFromCache(w, f, i, c);
        note(folioName(c) + " reclaimed");
    }

    // ---- mapping_evict_folio -------------------------------------------------------------------------

    /** Whether evicting the folio at page {@code i} of file {@code f} would change anything now. */
    boolean evictActs(World w, int f, int i) {
        int c = PageCache.cached(w, f, i);
        if (c < 0 || !reclaimable(f, false) || w.test(c, Folio.DIRTY) || w.test(c, Folio.WRITEBACK)
                || w.test(c, Folio.LOCKED)) {
            return false;
        }
        if (on(Rule.EVICT_REFCOUNT_FIRST)) {
            return w.refcount(c) <= 1 + (w.test(c, Folio.PRIVATE) ? 1 : 0);
        }
        return w.mapcount(c) == 0 && (w.test(c, Folio.PRIVATE) || w.refcount(c) == 1);
    }

    /** mapping_evict_folio() (invalidate_inode_page() before 5.18) for the folio at page {@code i} of file {@code f}. */
    void evict(World w, int f, int i) {
        if (!evictActs(w, f, i)) {
            return;
        }
        int c = PageCache.cached(w, f, i);
        use(Rule.EVICT_CLEAN);
        if (on(Rule.EVICT_REFCOUNT_FIRST)) {
            use(Rule.EVICT_REFCOUNT_FIRST);
        }
        fs.releaseFolio(w, c);
        if (w.refcount(c) != 1) {
            note(folioName(c) + " has extra references: its buffers are gone but it stays in the page cache");
            return;
        }
        removeFromCache(w, f, i, c);
        note(folioName(c) + " evicted from the page cache");
    }

    /** Returns whether drop_caches would evict or strip anything now. */
    boolean dropCachesActs(World w) {
        for (int f = 0; f < w.layout().files(); f++) {
            for (int i = 0; i < w.layout().filePages(f); i++) {
                if (evictActs(w, f, i)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** echo 1 > /proc/sys/vm/drop_caches: invalidate_mapping_pages() of every file. */
    void dropCaches(World w) {
        use(Rule.EVICT_CLEAN);
        for (int f = 0; f < w.layout().files(); f++) {
            for (int i = 0; i < w.layout().filePages(f); i++) {
                evict(w, f, i);
            }
        }
    }

    /** POSIX_FADV_DONTNEED: start writeback of the dirty pages (not waiting), then evict what is clean. */
    void fadvise(World w, int f) {
        use(Rule.EVICT_CLEAN);
        if (!reclaimable(f, false)) {
            return;
        }
        for (int i = 0; w.layout().onDisk(f) && i < w.layout().filePages(f); i++) {
            int c = PageCache.cached(w, f, i);
            if (c >= 0 && w.test(c, Folio.DIRTY) && !w.test(c, Folio.WRITEBACK) && !w.test(c, Folio.LOCKED)
                    && !(on(Rule.KARA_BLOCK) && Writeback.referenced(w, c))) {
                wb.writeOne(w, f, i, c);
            }
        }
        for (int i = 0; i < w.layout().filePages(f); i++) {
            evict(w, f, i);
        }
    }

    /** MADV_PAGEOUT: reclaim the file folios of VMA {@code v} that only this process maps. */
    void pageout(World w, int p, int v) {
        use(Rule.MADVISE_FILE);
        if (!on(Rule.MADV_PAGEOUT)) {
            use(Rule.MADV_PAGEOUT);
            note("no MADV_PAGEOUT in this kernel: -EINVAL");
            return;
        }
        int word = w.vma(p, v);
        for (int i = 0; i < w.layout().vmaPages(v); i++) {
            int pte = w.pte(p, v, i);
            if (!Pte.present(pte) || !Pte.isFolio(Pte.ref(pte))) {
                continue;
            }
            int c = Pte.folio(Pte.ref(pte));
            if (!w.test(c, Folio.PAGECACHE)) {
                note(folioName(c) + " is anonymous: pinlab models no swap, so it stays");
                continue;
            }
            if (w.mapcount(c) != 1) {
                note(folioName(c) + " is mapped by another process too: MADV_PAGEOUT leaves it");
                continue;
            }
            int f = Folio.mappingFile(w.mapping(c));
            shrink(w, f, Folio.mappingIndex(w.mapping(c)), false);
        }
        if (!Vma.has(word, Vma.MAPPED)) {
            note("no such mapping");
        }
    }

    /** MADV_COLD: deactivation only. */
    void cold() {
        use(Rule.MADVISE_FILE);
        if (!on(Rule.MADV_PAGEOUT)) {
            use(Rule.MADV_PAGEOUT);
            note("no MADV_COLD in this kernel: -EINVAL");
            return;
        }
        note("MADV_COLD deactivates the pages; pinlab does not model LRU order");
    }
}
