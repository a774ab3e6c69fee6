package pinlab.op;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.Block;
import pinlab.model.Event;
import pinlab.model.FileSystem;
import pinlab.model.FileWord;
import pinlab.model.Folio;
import pinlab.model.Holder;
import pinlab.model.Pte;
import pinlab.model.World;
import pinlab.policy.Rule;

/**
 * Writeback of dirty page-cache folios, as mm/page-writeback.c runs it, one folio per step: lock it,
 * folio_clear_dirty_for_io() (folio_mkclean() write-protects and cleans every PTE), set writeback, unlock, and
 * submit the write; the disk then writes the block from the folio as it is at that moment and ends writeback.
 * The same walk serves fsync, sync, msync, sync_file_range, the flusher daemon and O_DIRECT's flush.
 *
 * <p>A walk's position is a cursor: the file and page to look at next, and whether the walker holds a folio lock
 * while it waits (the kara-block proposal's page_mkclean waits for pins with the folio locked).
 */
final class Writeback extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.WRITEBACK, Rule.FSYNC_ERRSEQ, Rule.KARA_BLOCK);

    /** The walk is over. */
    static final int DONE = -1;
    private static final int PAGE_MASK = 15;
    private static final int FILE_SHIFT = 4;
    private static final int FILE_MASK = 255;
    private static final int LOCKED_SHIFT = 12;

    private final Machine machine;
    private final Filesystems fs;
    private final Rmap rmap;

    Writeback(Kernel owner, Machine machine, Filesystems fs, Rmap rmap) {
        super(owner);
        this.machine = machine;
        this.fs = fs;
        this.rmap = rmap;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    /** Returns a cursor at page {@code i} of file {@code f}. */
    static int cursor(int f, int i) {
        return (f << FILE_SHIFT) | i;
    }

    private static int curFile(int cursor) {
        return (cursor >>> FILE_SHIFT) & FILE_MASK;
    }

    private static int curPage(int cursor) {
        return cursor & PAGE_MASK;
    }

    private static boolean curLocked(int cursor) {
        return (cursor >>> LOCKED_SHIFT) != 0;
    }

    /** Returns whether any holder's reference names folio {@code c} (what kara-block waits for). */
    static boolean referenced(World w, int c) {
        for (int h = 0; h < w.layout().holders(); h++) {
            if (Holder.status(w.holder(h)) != Holder.HELD) {
                continue;
            }
            for (int k = 0; k < w.layout().holderSlots(h); k++) {
                if (w.slot(h, k) == Pte.ofFolio(c)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Returns the position of the next page a walk over {@code ranges} (triples: file, first page, end page) must
     * write, at or after {@code cursor}, or DONE. An integrity walk ({@code sync}) takes every dirty page; the
     * flusher's skips pages already under writeback.
     */
    private static int next(World w, int[] ranges, boolean sync, int cursor) {
        int f0 = curFile(cursor);
        int p0 = curPage(cursor);
        for (int r = 0; r < ranges.length; r += 3) {
            int f = ranges[r];
            if (f < f0 || !w.layout().onDisk(f)) {
                continue; // no writeback without a disk (tmpfs, memfd, DAX)
            }
            for (int i = Math.max(ranges[r + 1], f == f0 ? p0 : 0); i < ranges[r + 2]; i++) {
                int c = PageCache.cached(w, f, i);
                if (c >= 0 && w.test(c, Folio.DIRTY)
                        && (sync || !(w.test(c, Folio.WRITEBACK) || Pte.isFolio(w.forked(f, i))))) {
                    return cursor(f, i);
                }
            }
        }
        return DONE;
    }

    /** Returns whether the walk has a page left to write. */
    static boolean hasWork(World w, int[] ranges, boolean sync) {
        return next(w, ranges, sync, 0) != DONE;
    }

    /** Returns whether the walk's next step can run now. */
    boolean walkEnabled(World w, int[] ranges, boolean sync, int cursor) {
        if (curLocked(cursor)) {
            int c = PageCache.cached(w, curFile(cursor), curPage(cursor));
            return c < 0 || !referenced(w, c);
        }
        int at = next(w, ranges, sync, cursor);
        if (at == DONE) {
            return true;
        }
        int c = PageCache.cached(w, curFile(at), curPage(at));
        // a forked page's write must end before its copy's is submitted (Tux3's deltas go in order)
        return !w.test(c, Folio.LOCKED) && !w.test(c, Folio.WRITEBACK)
                && !Pte.isFolio(w.forked(curFile(at), curPage(at)));
    }

    /** Runs the walk's next step; returns the next cursor, or DONE when no page is left. */
    int walkStep(World w, int[] ranges, boolean sync, int cursor) {
        int at;
        if (curLocked(cursor)) {
            at = cursor & ~(1 << LOCKED_SHIFT);
            int c = PageCache.cached(w, curFile(at), curPage(at));
            if (c >= 0) {
                w.clearFlags(c, Folio.LOCKED);
                if (w.test(c, Folio.DIRTY)) {
                    writeOne(w, curFile(at), curPage(at), c);
                }
            }
        } else {
            at = next(w, ranges, sync, cursor);
            if (at == DONE) {
                return DONE;
            }
            int f = curFile(at);
            int i = curPage(at);
            int c = PageCache.cached(w, f, i);
            if (on(Rule.KARA_BLOCK) && referenced(w, c)) {
                use(Rule.KARA_BLOCK);
                w.setFlags(c, Folio.LOCKED);
                note("kara-block: " + folioName(c) + " is locked for writeback, which waits until its pin is released");
                return at | (1 << LOCKED_SHIFT);
            }
            writeOne(w, f, i, c);
        }
        int after = next(w, ranges, sync, at + 1);
        return after;
    }

    /** Writes back dirty folio {@code c} at page {@code i} of file {@code f}: one folio of a writeback walk. */
    void writeOne(World w, int f, int i, int c) {
        if (!w.layout().onDisk(f)) {
            return; // tmpfs, memfd and DAX pages are never written back
        }
        use(Rule.WRITEBACK);
        switch (fs.writepage(w, f, i, c)) {
            case CRASH, DROP -> {
                return;
            }
            case CLEAN_SKIP -> {
                rmap.mkclean(w, c);
                w.clearFlags(c, Folio.DIRTY);
                return;
            }
            case WRITE -> { }
        }
        rmap.mkclean(w, c);
        w.clearFlags(c, Folio.DIRTY | Folio.LOCKED);
        w.setFlags(c, Folio.WRITEBACK);
        int state = w.blockState(f, i);
        w.setBlockState(f, i, Block.stateWord((state & Block.ALLOCATED) | Block.INFLIGHT,
                fs.submitCsum(f, w.content(c))));
        note("writeback of " + folioName(c) + ": its PTEs are write-protected and clean, the write is submitted");
        if (machine.syncDisk()) {
            diskStep(w, f);
        }
    }

    /** Returns whether any page in {@code ranges} is under writeback. */
    static boolean underWriteback(World w, int[] ranges) {
        for (int r = 0; r < ranges.length; r += 3) {
            for (int i = ranges[r + 1]; i < ranges[r + 2]; i++) {
                int c = PageCache.cached(w, ranges[r], i);
                if ((c >= 0 && w.test(c, Folio.WRITEBACK)) || Pte.isFolio(w.forked(ranges[r], i))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** file_check_and_advance_wb_err(): 0, or -EIO once for an error recorded since the file last reported. */
    int checkErrors(World w, int f) {
        if (machine.file(f).fs() == FileSystem.TMPFS) {
            fs.useTmpfs();
            return 0;
        }
        use(Rule.FSYNC_ERRSEQ);
        int word = w.file(f);
        if (FileWord.errseq(word) != FileWord.seen(word)) {
            w.setFile(f, FileWord.seenAll(word));
            w.raise(Event.FSYNC_EIO);
            note("an error was recorded in " + machine.file(f).name() + "'s mapping since it was last reported: -EIO");
            return -Kernel.EIO;
        }
        return 0;
    }

    // ---- the disk --------------------------------------------------------------------------------------

    /** Returns whether the disk under file {@code f} has a writeback write to complete. */
    static boolean diskEnabled(World w, int f) {
        for (int i = 0; i < w.layout().filePages(f); i++) {
            if ((w.blockState(f, i) & (Block.INFLIGHT | Block.DIRECT)) == Block.INFLIGHT) {
                return true;
            }
        }
        return false;
    }

    /**
     * The disk completes the lowest in-flight writeback write of file {@code f}: it writes the block from the
     * folio as it is now, with the checksum computed at submission, and ends writeback. Writes to different blocks
     * commute, so completing them in block order loses no outcome.
     */
    void diskStep(World w, int f) {
        for (int i = 0; i < w.layout().filePages(f); i++) {
            int state = w.blockState(f, i);
            if ((state & (Block.INFLIGHT | Block.DIRECT)) != Block.INFLIGHT) {
                continue;
            }
            use(Rule.WRITEBACK);
            int forked = w.forked(f, i);
            int c = Pte.isFolio(forked) ? Pte.folio(forked) : PageCache.cached(w, f, i);
            int content = c >= 0 ? w.content(c) & 0xFFFF : 0;
            int csum = fs.fs(f).checksums() ? Block.pendingCsum(state) : content;
            w.setBlockData(f, i, Block.dataWord(content, csum));
            w.setBlockState(f, i, Block.ALLOCATED);
            if (c >= 0) {
                w.clearFlags(c, Folio.WRITEBACK);
            }
            note("the disk writes " + machine.file(f).name() + " page " + i + " from " + (c >= 0 ? folioName(c) : "?")
                    + (csum != content ? ", with a checksum of the data as it was at submission" : "")
                    + "; writeback ends");
            if (Pte.isFolio(forked)) {
                w.setForked(f, i, Pte.NONE);
                note("Tux3 drops its reference on the forked " + folioName(c));
                put(w, c, 1);
            }
            return;
        }
    }
}
