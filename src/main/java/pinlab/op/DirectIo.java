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
 * O_DIRECT on a file, as fs/iomap/direct-io.c and mm/filemap.c do it. Submission writes back and waits for the
 * dirty cached pages of the range (a {@link Writeback} walk), then a write invalidates the range
 * (invalidate_inode_pages2_range(), which ignores references) and falls back to buffered I/O if it cannot; then
 * the user pages are taken (FOLL_GET, or FOLL_PIN from 6.5) and the I/O is submitted. The device moves the data
 * ({@link #transfer}). Completion releases the pages and, for a write, invalidates the range again; when that fails
 * the kernel warns and records -EIO for the next fsync.
 */
final class DirectIo extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.DIO_FLUSH, Rule.DIO_INVALIDATE_BEFORE,
            Rule.DIO_INVALIDATE_AFTER, Rule.DIO_WARN_STALE, Rule.BTRFS_DIO_BUFFERED, Rule.KARA_BLOCK, Rule.TMPFS_DIO);

    private final Machine machine;
    private final Filesystems fs;
    private final Rmap rmap;
    private final PageCache cache;
    private Gup gup;
    private Faults faults;
    private Reclaim reclaim;

    DirectIo(Kernel owner, Machine machine, Filesystems fs, Rmap rmap, PageCache cache) {
        super(owner);
        this.machine = machine;
        this.fs = fs;
        this.rmap = rmap;
        this.cache = cache;
    }

    void wire(Gup g, Faults f, Reclaim r) {
        this.gup = g;
        this.faults = f;
        this.reclaim = r;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    /** The file pages a request covers, as a writeback range. */
    static int[] range(Op.Gup g) {
        return new int[] {g.io().file(), g.io().page(), g.io().page() + g.count()};
    }

    /** Names the flush rule: the submission's writeback walk. */
    void useFlush() {
        use(Rule.DIO_FLUSH);
    }

    /** Whether the submission (after the flush) must still wait: writeback or a lock in the range. */
    boolean submitBlocks(World w, Op.Gup g) {
        int[] r = range(g);
        if (Writeback.underWriteback(w, r)) {
            return true;
        }
        if (g.io().write() && on(Rule.DIO_INVALIDATE_BEFORE)) {
            return invalidateBlocks(w, r[0], r[1], r[2]);
        }
        return false;
    }

    /** Whether invalidate_inode_pages2_range() over the range would sleep now (a lock; kara-block: a pin). */
    boolean invalidateBlocks(World w, int f, int lo, int hi) {
        for (int i = lo; i < hi; i++) {
            int c = PageCache.cached(w, f, i);
            if (c >= 0 && (w.test(c, Folio.LOCKED) || w.test(c, Folio.WRITEBACK)
                    || (on(Rule.KARA_BLOCK) && Writeback.referenced(w, c)))) {
                return true;
            }
        }
        return false;
    }

    /** Submits the request once the flush is done; returns the syscall's result. */
    int submit(World w, int p, Op.Gup g) {
        Op.FileIo io = g.io();
        FileSystem kind = machine.file(io.file()).fs();
        if (!kind.onDisk()) {
            return synchronous(w, p, g, kind);
        }
        if (!io.write()) {
            return gup.gup(w, p, g);
        }
        if (machine.file(io.file()).fs() == FileSystem.BTRFS && on(Rule.BTRFS_DIO_BUFFERED)) {
            use(Rule.BTRFS_DIO_BUFFERED);
            note("btrfs: the file has data checksums, so the O_DIRECT write is done as a buffered write");
            return buffered(w, p, g);
        }
        if (on(Rule.DIO_INVALIDATE_BEFORE)) {
            use(Rule.DIO_INVALIDATE_BEFORE);
            int[] r = range(g);
            if (!invalidate(w, r[0], r[1], r[2])) {
                note("the page cache could not be invalidated: the write falls back to buffered I/O");
                return buffered(w, p, g);
            }
        }
        int ret = gup.gup(w, p, g);
        if (ret == 0) {
            for (int k = 0; k < g.count(); k++) {
                int i = io.page() + k;
                int state = w.blockState(io.file(), i);
                int ref = w.slot(g.holder(), k);
                int content = Pte.isFolio(ref) ? w.content(Pte.folio(ref)) : 0;
                w.setBlockState(io.file(), i, Block.stateWord((state & Block.ALLOCATED) | Block.INFLIGHT
                        | Block.DIRECT, fs.submitCsum(io.file(), content)));
            }
        }
        return ret;
    }

    /**
     * Whether a write that fell back to buffered I/O then writes its range back and evicts it (ext4's
     * ext4_dio_write_iter(), btrfs_direct_write(); xfs only writes it buffered).
     */
    boolean flushesAfterFallback(World w, Op.Gup g) {
        return g.io().write() && (Holder.flags(w.holder(g.holder())) & Holder.SERVED) != 0
                && machine.file(g.io().file()).fs() != FileSystem.XFS && machine.file(g.io().file()).fs().onDisk();
    }

    /** invalidate_mapping_pages() of the range after the fallback's writeback: what is clean and unused goes. */
    void evictAfterFallback(World w, Op.Gup g) {
        int[] r = range(g);
        for (int i = r[1]; i < r[2]; i++) {
            reclaim.evict(w, r[0], i);
        }
    }

    /**
     * O_DIRECT on a file without a disk: tmpfs does it as buffered I/O (6.6; -EINVAL at open before), DAX copies
     * to and from its storage pages; either way the copy happens in the call and no page stays referenced.
     */
    private int synchronous(World w, int p, Op.Gup g, FileSystem kind) {
        Op.FileIo io = g.io();
        if (kind == FileSystem.TMPFS) {
            use(Rule.TMPFS_DIO);
            if (!on(Rule.TMPFS_DIO)) {
                w.setHolder(g.holder(), Holder.make(Holder.FAILED, 0, Kernel.EINVAL));
                note("tmpfs does not support O_DIRECT in this kernel: -EINVAL");
                return -Kernel.EINVAL;
            }
            note("tmpfs does O_DIRECT as buffered I/O");
        } else {
            note("DAX: the data is copied to or from the storage pages in the call");
        }
        if (io.write()) {
            return buffered(w, p, g);
        }
        for (int k = 0; k < g.count(); k++) {
            for (int cell = 0; cell < Folio.CELLS; cell++) {
                int v = cache.peek(w, io.file(), (io.page() + k) * Folio.CELLS + cell);
                faults.store(w, p, g.vma(), (g.page() + k) * Folio.CELLS + cell, Math.max(v, 0));
                if (!w.alive(p)) {
                    return -Kernel.EFAULT;
                }
            }
        }
        w.setHolder(g.holder(), Holder.make(Holder.RELEASED, Holder.SERVED, 0));
        return 0;
    }

    /** The request is done as a buffered write of the user pages (their content as the CPU reads them now). */
    private int buffered(World w, int p, Op.Gup g) {
        Op.FileIo io = g.io();
        for (int k = 0; k < g.count(); k++) {
            int content = 0;
            for (int cell = 0; cell < Folio.CELLS; cell++) {
                int v = faults.load(w, p, g.vma(), (g.page() + k) * Folio.CELLS + cell);
                if (!w.alive(p)) {
                    return -Kernel.EFAULT;
                }
                content = Folio.withCell(content, cell, Math.max(v, 0));
            }
            int c = cache.getFolio(w, io.file(), io.page() + k);
            if (c < 0) {
                return -Kernel.EIO;
            }
            cache.writeFolio(w, io.file(), io.page() + k, c, content);
        }
        w.setHolder(g.holder(), Holder.make(Holder.RELEASED, Holder.SERVED, 0));
        return 0;
    }

    /**
     * invalidate_inode_pages2_range(): unmaps each cached folio of the range, fails on one that is dirty or whose
     * buffers cannot be released, and removes the others whatever their references. Returns whether all went.
     */
    boolean invalidate(World w, int f, int lo, int hi) {
        boolean ok = true;
        for (int i = lo; i < hi; i++) {
            int c = PageCache.cached(w, f, i);
            if (c < 0) {
                continue;
            }
            if (w.mapcount(c) > 0) {
                rmap.unmapFolio(w, c);
            }
            if (w.test(c, Folio.DIRTY) || !fs.releaseFolio(w, c)) {
                note(folioName(c) + " is dirty: it cannot be invalidated (-EBUSY)");
                ok = false;
                continue;
            }
            boolean orphan = w.refcount(c) > 1;
            removeFromCache(w, f, i, c);
            note(folioName(c) + " invalidated" + (orphan ? "; it is still referenced and lives on as an orphan" : ""));
        }
        return ok;
    }

    /** The device moves the data of a request on a file: disk to the held pages (read), or back (write). */
    void transfer(World w, int h) {
        Op.Gup g = machine.gupOf(h);
        Op.FileIo io = g.io();
        int word = w.holder(h);
        if ((Holder.flags(word) & Holder.SERVED) != 0 || Holder.status(word) == Holder.FAILED) {
            note("nothing to transfer: the request took no pages");
            return;
        }
        if (Holder.status(word) == Holder.RELEASED) {
            w.raise(Event.DMA_AFTER_RELEASE);
            note("DMA after the references were released");
            return;
        }
        for (int k = 0; k < g.count(); k++) {
            int i = io.page() + k;
            int ref = w.slot(h, k);
            if (!Pte.isFolio(ref)) {
                continue;
            }
            int c = Pte.folio(ref);
            if (w.test(c, Folio.FREED)) {
                w.raise(Event.UAF);
            }
            if (io.write()) {
                int content = w.content(c) & 0xFFFF;
                int state = w.blockState(io.file(), i);
                int csum = machine.file(io.file()).fs().checksums() ? Block.pendingCsum(state) : content;
                w.setBlockData(io.file(), i, Block.dataWord(content, csum));
                w.setBlockState(io.file(), i, Block.ALLOCATED);
                note("the disk writes " + machine.file(io.file()).name() + " page " + i + " from " + folioName(c)
                        + (csum != content ? ", with the checksum computed at submission" : ""));
            } else {
                int data = fs.readBlock(w, io.file(), i);
                if (data < 0) {
                    continue;
                }
                w.setContent(c, data);
                note("the disk reads " + machine.file(io.file()).name() + " page " + i + " into " + folioName(c));
            }
        }
    }

    /** Whether the completion of a write would wait (its invalidation waits for locks and writeback). */
    boolean completeBlocks(World w, int h) {
        Op.Gup g = machine.gupOf(h);
        if (g == null || g.io() == null || !g.io().write() || !on(Rule.DIO_INVALIDATE_AFTER)) {
            return false;
        }
        int[] r = range(g);
        return invalidateBlocks(w, r[0], r[1], r[2]);
    }

    /** After the pages are released: a write invalidates the range again, warning if it cannot. */
    void complete(World w, int h) {
        Op.Gup g = machine.gupOf(h);
        if (g == null || g.io() == null || !g.io().write()) {
            return;
        }
        if ((Holder.flags(w.holder(h)) & Holder.SERVED) != 0 || !on(Rule.DIO_INVALIDATE_AFTER)) {
            return;
        }
        use(Rule.DIO_INVALIDATE_AFTER);
        int[] r = range(g);
        if (invalidate(w, r[0], r[1], r[2])) {
            return;
        }
        if (!on(Rule.DIO_WARN_STALE)) {
            note("the invalidation after the write failed; nothing is reported");
            return;
        }
        use(Rule.DIO_WARN_STALE);
        w.raise(Event.STALE_PAGECACHE);
        w.setFile(r[0], FileWord.withError(w.file(r[0])));
        note("\"Page cache invalidation failure on direct I/O\": -EIO is recorded for the next fsync");
    }
}
