package pinlab.replay;

import pinlab.model.Folio;
import pinlab.model.Layout;
import pinlab.model.Pte;
import pinlab.model.World;
import pinlab.scenario.Scenario;

/**
 * What one model step of a kernel daemon is on the real kernel, worked out from the model's state before and
 * after the step: the flusher writes back one page, kswapd reclaims one page, drop_caches runs. User space can
 * make each happen only in some cases; the others are {@link Impossible}, with the reason.
 */
sealed interface DaemonAction {
    /** The flusher writes back page {@code page} of file {@code file}: the agent's {@code writeback}. */
    record Writeback(int file, int page) implements DaemonAction {}

    /** kswapd reclaims the page process {@code process} maps at page {@code page} of VMA {@code vma}: MADV_PAGEOUT. */
    record Pageout(int process, int vma, int page) implements DaemonAction {}

    /**
     * kswapd reclaims page {@code page} of file {@code file}, which no process maps and nothing but the page cache
     * (and its buffers) references. shrink_folio_list() then releases the buffers and removes the folio, exactly
     * what eviction (mapping_evict_folio(), which gives up on any other reference) does: the agent's
     * {@code evict}, POSIX_FADV_DONTNEED of that page.
     */
    record Evict(int file, int page) implements DaemonAction {}

    /** drop_caches runs. */
    record DropCaches() implements DaemonAction {}

    /** ksmd merges pages: the agent's {@code ksm_merge}, which runs ksmd until its scans are complete. */
    record KsmMerge() implements DaemonAction {}

    /** The step ends a pass without touching a page. */
    record Nothing() implements DaemonAction {}

    /** The step does something no user-space call makes the kernel do. */
    record Impossible(String reason) implements DaemonAction {}

    /** Classifies the step of daemon {@code d} from state {@code before} to {@code after}. */
    static DaemonAction of(Scenario sc, Layout lay, int d, int[] before, int[] after) {
        Scenario.DaemonDecl dd = sc.daemons().get(d);
        World w0 = World.view(lay, before);
        World w1 = World.view(lay, after);
        return switch (dd.work()) {
            case WRITEBACK -> writeback(sc, dd, w0, w1);
            case RECLAIM -> reclaim(sc, dd, w0, w1);
            case DROP_CACHES -> new DropCaches();
            case KSM -> ksm(dd, w0, w1);
            case COMPACT -> new Impossible(dd.name() + " migrates pages: compaction cannot be aimed at a page from user"
                    + " space (compact_memory moves whatever lies below the scanners' meeting point)");
        };
    }

    private static DaemonAction ksm(Scenario.DaemonDecl dd, World w0, World w1) {
        Layout lay = w0.layout();
        boolean merged = false;
        boolean locked = false;
        for (int p = 0; p < lay.processes(); p++) {
            locked |= (w1.proc(p) & World.PROC_PTL_HELD) != 0;
            for (int v = 0; v < lay.vmas(); v++) {
                for (int j = 0; j < lay.vmaPages(v); j++) {
                    merged |= w0.pte(p, v, j) != w1.pte(p, v, j);
                }
            }
        }
        if (locked) {
            return new Impossible(dd.name() + " stops between its reference check and the write-protection: user"
                    + " space cannot hold ksmd there");
        }
        return merged ? new KsmMerge() : new Nothing();
    }

    private static DaemonAction writeback(Scenario sc, Scenario.DaemonDecl dd, World w0, World w1) {
        int f = dd.file();
        for (int i = 0; i < w0.layout().filePages(f); i++) {
            int c0 = cached(w0, f, i);
            int c1 = cached(w1, f, i);
            if (c0 >= 0 && w0.test(c0, Folio.DIRTY) && (c1 < 0 || !w1.test(c1, Folio.DIRTY))) {
                return new Writeback(f, i);
            }
        }
        if (changedPage(w0, w1, f) >= 0) {
            return new Impossible(dd.name() + " changes " + sc.files().get(f).name() + " without writing a page back"
                    + " (it holds a folio lock while it waits, kara-block): user space cannot make it do that");
        }
        return new Nothing();
    }

    private static DaemonAction reclaim(Scenario sc, Scenario.DaemonDecl dd, World w0, World w1) {
        int f = dd.file();
        int i = changedPage(w0, w1, f);
        if (i < 0) {
            return new Nothing();
        }
        int c = cached(w0, f, i);
        String page = sc.files().get(f).name() + " page " + i;
        int maps = w0.mapcount(c);
        if (maps == 0 && w0.refcount(c) == 1 + (w0.test(c, Folio.PRIVATE) ? 1 : 0)) {
            return new Evict(f, i);
        }
        if (maps == 0) {
            return new Impossible(dd.name() + " reclaims " + page + ", which no process maps and which has"
                    + " references besides the page cache's: reclaim of such a page has no user-space trigger"
                    + " (MADV_PAGEOUT works through a mapping; POSIX_FADV_DONTNEED and drop_caches evict, which"
                    + " leaves a page with other references alone)");
        }
        if (maps > 1) {
            return new Impossible(dd.name() + " reclaims " + page + ", which " + maps + " PTEs map: MADV_PAGEOUT"
                    + " leaves a page that is mapped more than once");
        }
        Layout lay = w0.layout();
        for (int p = 0; p < lay.processes(); p++) {
            for (int v = 0; w0.alive(p) && v < lay.vmas(); v++) {
                for (int j = 0; j < lay.vmaPages(v); j++) {
                    int pte = w0.pte(p, v, j);
                    if (Pte.present(pte) && Pte.isFolio(Pte.ref(pte)) && Pte.folio(Pte.ref(pte)) == c) {
                        return new Pageout(p, v, j);
                    }
                }
            }
        }
        throw new IllegalStateException(page + " has mapcount 1 but no PTE maps it");
    }

    /** Returns the folio cached at page {@code i} of file {@code f}, or -1. */
    static int cached(World w, int f, int i) {
        int ref = w.cacheSlot(f, i);
        return Pte.isFolio(ref) ? Pte.folio(ref) : -1;
    }

    /** Returns the first page of file {@code f} whose cached folio the step changed (or removed), or -1. */
    private static int changedPage(World w0, World w1, int f) {
        for (int i = 0; i < w0.layout().filePages(f); i++) {
            if (pageState(w0, f, i) != pageState(w1, f, i)) {
                return i;
            }
        }
        return -1;
    }

    /** The cached folio's flags, mapcount and refcount at a page of a file, packed; -1 when none is cached. */
    private static long pageState(World w, int f, int i) {
        int c = cached(w, f, i);
        if (c < 0) {
            return -1;
        }
        return ((long) w.flags(c) << 40) | ((long) (w.mapcount(c) & 0xFFFFF) << 20) | (w.refcount(c) & 0xFFFFF);
    }
}
