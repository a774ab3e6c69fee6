package pinlab.op;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.Block;
import pinlab.model.Event;
import pinlab.model.FileSystem;
import pinlab.model.Folio;
import pinlab.model.World;
import pinlab.policy.Rule;

/**
 * What each filesystem does where the generic code calls into it: reading a block in, preparing a folio for a
 * write (->page_mkwrite, ->write_begin), the writepage path, checksums, and releasing a folio's private state.
 * ext4 follows fs/ext4/inode.c and fs/buffer.c, xfs fs/iomap and fs/xfs, btrfs fs/btrfs, tmpfs mm/shmem.c.
 */
final class Filesystems extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.EXT4_BUFFERS, Rule.XFS_IOMAP, Rule.BTRFS_CSUM,
            Rule.BTRFS_WAIT_WRITEBACK, Rule.TMPFS_NO_WRITEBACK, Rule.EXT4_BUG_NO_BUFFERS, Rule.EXT4_WARN_NO_BUFFERS,
            Rule.KARA_TOLERATE, Rule.STABLE_PAGES, Rule.STABLE_WRITES_QUEUE, Rule.BTRFS_FIXUP, Rule.TUX3_2015,
            Rule.TUX3_REFCHECK, Rule.TUX3_NO_MMAP_FORK);

    private final Machine machine;

    Filesystems(Kernel owner, Machine machine) {
        super(owner);
        this.machine = machine;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    FileSystem fs(int f) {
        return machine.file(f).fs();
    }

    /**
     * Returns whether a CPU write to a folio of file {@code f} (page_mkwrite or write_begin) must wait while the
     * folio is under writeback: the device needs stable pages, or the filesystem (btrfs) always waits.
     */
    boolean waitsForWriteback(World w, int f, int c) {
        if (fs(f) == FileSystem.BTRFS) {
            return true;
        }
        if (fs(f) == FileSystem.TUX3) {
            return !forks(w, c);
        }
        return machine.file(f).stable() && fs(f).onDisk();
    }

    /** Whether Tux3 forks folio {@code c} (under writeback) for a write, by the policy's rule; else the write waits. */
    private boolean forks(World w, int c) {
        if (on(Rule.TUX3_REFCHECK)) {
            int accounted = 1 + w.mapcount(c) + (w.test(c, Folio.PRIVATE) ? 1 : 0);
            return w.refcount(c) == accounted;
        }
        if (on(Rule.TUX3_NO_MMAP_FORK)) {
            return w.mapcount(c) == 0;
        }
        return true;
    }

    /**
     * Tux3's page fork before a write to folio {@code c} at page {@code i}: if it is under writeback (and the rule
     * lets it fork, which the caller's wait made sure of), a copy takes its place in the page cache and in every
     * shared mapping, and the old folio stays in the fork slot until its write ends. Returns the folio to write.
     */
    int forkForWrite(World w, int f, int i, int c) {
        if (fs(f) != FileSystem.TUX3 || !w.test(c, Folio.WRITEBACK)) {
            return c;
        }
        use(on(Rule.TUX3_REFCHECK) ? Rule.TUX3_REFCHECK : on(Rule.TUX3_NO_MMAP_FORK) ? Rule.TUX3_NO_MMAP_FORK
                : Rule.TUX3_2015);
        int b = w.alloc(Folio.PAGECACHE | Folio.UPTODATE, w.content(c));
        w.setMapping(b, w.mapping(c));
        for (int p = 0; p < w.layout().processes(); p++) {
            for (int v = 0; v < w.layout().vmas(); v++) {
                if (!pinlab.model.Vma.has(w.vma(p, v), pinlab.model.Vma.SHARED)) {
                    continue;
                }
                for (int j = 0; j < w.layout().vmaPages(v); j++) {
                    int pte = w.pte(p, v, j);
                    if (pinlab.model.Pte.present(pte) && pinlab.model.Pte.ref(pte) == pinlab.model.Pte.ofFolio(c)) {
                        w.setPte(p, v, j, pinlab.model.Pte.make(pinlab.model.Pte.ofFolio(b), 0));
                        w.addMap(b, 1);
                        w.addRef(b, 1);
                        w.addMap(c, -1);
                        put(w, c, 1);
                    }
                }
            }
        }
        w.setCacheSlot(f, i, pinlab.model.Pte.ofFolio(b));
        w.clearFlags(c, Folio.PAGECACHE);
        w.setMapping(c, 0);
        w.setForked(f, i, pinlab.model.Pte.ofFolio(c));
        note("Tux3 forks " + folioName(c) + " (under writeback) into " + folioName(b) + ", which takes its place in"
                + " the page cache and the shared mappings; " + folioName(c) + " stays for its write");
        return b;
    }

    /** Names the rule behind {@link #waitsForWriteback} when a write did wait (or would have). */
    void useStableRule(int f) {
        if (fs(f) == FileSystem.BTRFS) {
            use(Rule.BTRFS_WAIT_WRITEBACK);
        } else if (fs(f) == FileSystem.TUX3) {
            use(on(Rule.TUX3_REFCHECK) ? Rule.TUX3_REFCHECK : Rule.TUX3_NO_MMAP_FORK);
        } else {
            use(on(Rule.STABLE_WRITES_QUEUE) ? Rule.STABLE_WRITES_QUEUE : Rule.STABLE_PAGES);
        }
    }

    /**
     * Reads block {@code i} of file {@code f} for a new page-cache folio. Returns its content, or -1 when btrfs
     * finds that the data does not match its checksum (the read fails with -EIO).
     */
    int readBlock(World w, int f, int i) {
        if (!fs(f).onDisk()) {
            return 0;
        }
        int content = onDisk(w, f, i);
        if (fs(f).checksums() && (w.blockState(f, i) & Block.ALLOCATED) != 0) {
            use(Rule.BTRFS_CSUM);
            if (content < 0) {
                w.raise(Event.CSUM_ERROR);
                note("btrfs: csum failed for " + machine.file(f).name() + " page " + i + ": the read fails with -EIO");
            }
        }
        return content;
    }

    /**
     * Returns what block {@code i} of file {@code f} holds on disk, changing nothing: 0 for a hole, -1 when
     * the data does not match its btrfs checksum. Only for a filesystem that is {@linkplain FileSystem#onDisk on
     * disk}.
     */
    int onDisk(World w, int f, int i) {
        if ((w.blockState(f, i) & Block.ALLOCATED) == 0) {
            return 0;
        }
        int data = w.blockData(f, i);
        return fs(f).checksums() && Block.csum(data) != Block.data(data) ? -1 : Block.data(data);
    }

    /**
     * The filesystem's part of page_mkwrite and write_begin for folio {@code c} at page {@code i}: buffers are
     * attached (ext4, btrfs) and the block is allocated (a delayed-allocation reservation, which pinlab does not
     * tell apart from an allocation).
     */
    void prepareWrite(World w, int f, int i, int c) {
        FileSystem fs = fs(f);
        if (!fs.onDisk()) {
            return;
        }
        if (fs.usesBuffers() && !w.test(c, Folio.PRIVATE)) {
            if (fs == FileSystem.EXT4) {
                use(Rule.EXT4_BUFFERS);
            }
            attachBuffers(w, c);
            note("buffers attached to " + folioName(c));
        }
        int state = w.blockState(f, i);
        if ((state & Block.ALLOCATED) == 0) {
            w.setBlockState(f, i, state | Block.ALLOCATED);
            w.setBlockData(f, i, 0);
        }
    }

    private static void attachBuffers(World w, int c) {
        w.setFlags(c, Folio.PRIVATE);
        w.addRef(c, 1);
    }

    /** What the writepage path does with a dirty folio. */
    enum WritePage {
        /** Write it: clean it, set writeback, submit. */
        WRITE,
        /** The filesystem cleared the dirty bit itself and writes nothing (ext4's warning); PTEs are untouched. */
        DROP,
        /** The folio is cleaned like any other but nothing is written (iomap over a hole). */
        CLEAN_SKIP,
        /** The kernel crashed. */
        CRASH
    }

    /**
     * The filesystem's check of a dirty folio it is about to write, before folio_clear_dirty_for_io(): ext4 needs
     * buffers (a BUG before cc5095747edf, a warning and a dropped write after it); with the kara-tolerate proposal
     * it attaches them again.
     */
    WritePage writepage(World w, int f, int i, int c) {
        FileSystem fs = fs(f);
        if (fs == FileSystem.XFS) {
            use(Rule.XFS_IOMAP);
            if ((w.blockState(f, i) & Block.ALLOCATED) == 0) {
                note("xfs: page " + i + " of " + machine.file(f).name() + " is over a hole with no reservation:"
                        + " iomap skips it silently and the folio ends clean");
                return WritePage.CLEAN_SKIP;
            }
            return WritePage.WRITE;
        }
        if (!fs.usesBuffers() || w.test(c, Folio.PRIVATE)) {
            return WritePage.WRITE;
        }
        if (fs == FileSystem.BTRFS) {
            use(Rule.BTRFS_FIXUP);
            attachBuffers(w, c);
            allocate(w, f, i);
            note("btrfs: " + folioName(c) + " was dirtied without page_mkwrite; the COW fixup reserves space for it"
                    + " and it is written");
            return WritePage.WRITE;
        }
        if (on(Rule.KARA_TOLERATE)) {
            use(Rule.KARA_TOLERATE);
            attachBuffers(w, c);
            allocate(w, f, i);
            note(fs.id() + " accepts " + folioName(c) + " though it was dirtied without page_mkwrite: buffers"
                    + " attached again");
            return WritePage.WRITE;
        }
        if (on(Rule.EXT4_BUG_NO_BUFFERS)) {
            use(Rule.EXT4_BUG_NO_BUFFERS);
            w.raise(Event.KERNEL_BUG);
            note("kernel BUG: " + fs.id() + " writeback found dirty " + folioName(c) + " without buffers");
            return WritePage.CRASH;
        }
        use(Rule.EXT4_WARN_NO_BUFFERS);
        w.raise(Event.FS_WARNING);
        w.clearFlags(c, Folio.DIRTY);
        note(fs.id() + " warning: page " + i + " of " + machine.file(f).name()
                + " does not have buffers attached; the dirty bit is cleared and the data is not written");
        return WritePage.DROP;
    }

    private static void allocate(World w, int f, int i) {
        w.setBlockState(f, i, w.blockState(f, i) | Block.ALLOCATED);
    }

    /** Returns the checksum a write submitted now stores with {@code content}: btrfs computes it at submission. */
    int submitCsum(int f, int content) {
        if (fs(f).checksums()) {
            use(Rule.BTRFS_CSUM);
        }
        return content & 0xFFFF;
    }

    /**
     * filemap_release_folio(): frees the folio's private state (buffers) if it can; returns whether the folio
     * has none left. ext4's try_to_free_buffers() fails while a buffer is dirty.
     */
    boolean releaseFolio(World w, int c) {
        if (!w.test(c, Folio.PRIVATE)) {
            return true;
        }
        if (w.test(c, Folio.DIRTY) || w.test(c, Folio.WRITEBACK)) {
            return false;
        }
        dropBuffers(w, c);
        note("buffers of " + folioName(c) + " released");
        return true;
    }

    /** ->invalidate_folio() on truncation: the buffers go, whatever their state. */
    void dropBuffers(World w, int c) {
        if (w.test(c, Folio.PRIVATE)) {
            w.clearFlags(c, Folio.PRIVATE);
            put(w, c, 1);
        }
    }

    /** Names the tmpfs rule: no writeback, no page_mkwrite, no dirty tracking. */
    void useTmpfs() {
        use(Rule.TMPFS_NO_WRITEBACK);
    }
}
