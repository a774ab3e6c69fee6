package pinlab.op;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.FileSystem;
import pinlab.model.FileWord;
import pinlab.model.Folio;
import pinlab.model.Pte;
import pinlab.model.Vma;
import pinlab.model.World;
import pinlab.policy.Rule;

/**
 * The page cache of files and the fault paths of file mappings, as mm/filemap.c and the file side of mm/memory.c
 * do them: finding or reading in a folio, read faults that map it, write faults that COW it (private) or call
 * page_mkwrite (shared), and buffered read(2) and write(2).
 */
final class PageCache extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.PAGECACHE_READ, Rule.FILE_FAULT_MAP, Rule.FILE_COW,
            Rule.PAGE_MKWRITE, Rule.BUFFERED_IO, Rule.TRUNCATE);

    private final Machine machine;
    private final Filesystems fs;
    private final Shmem shmem;
    private Faults faults;

    PageCache(Kernel owner, Machine machine, Filesystems fs, Shmem shmem) {
        super(owner);
        this.machine = machine;
        this.fs = fs;
        this.shmem = shmem;
    }

    void wire(Faults f) {
        this.faults = f;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    /** Returns the folio cached at page {@code i} of file {@code f}, or -1. */
    static int cached(World w, int f, int i) {
        int ref = w.cacheSlot(f, i);
        return Pte.isFolio(ref) ? Pte.folio(ref) : -1;
    }

    /** Returns file {@code f}'s size in pages (tmpfs shmem objects never change size). */
    int size(World w, int f) {
        return machine.file(f).anonymous() ? machine.file(f).pages() : FileWord.size(w.file(f));
    }

    /**
     * Returns the folio at page {@code i} of file {@code f}, adding it to the page cache if needed (read in from
     * the block, or a new zeroed tmpfs page). Returns -1 if the read fails (a btrfs checksum mismatch).
     */
    int getFolio(World w, int f, int i) {
        int c = cached(w, f, i);
        if (c >= 0) {
            return c;
        }
        if (machine.file(f).fs() == FileSystem.TMPFS) {
            return shmem.addFolio(w, f, i);
        }
        use(Rule.PAGECACHE_READ);
        int content = fs.readBlock(w, f, i);
        if (content < 0) {
            return -1;
        }
        c = w.alloc(Folio.PAGECACHE | Folio.UPTODATE, content);
        w.setMapping(c, Folio.mappingOf(f, i));
        w.setCacheSlot(f, i, Pte.ofFolio(c));
        note(machine.file(f).name() + " page " + i + " read into " + folioName(c));
        return c;
    }

    // ---- faults --------------------------------------------------------------------------------------

    /** Whether a file VMA is shared in the kernel's sense (VM_SHARED; a read-only MAP_SHARED of an O_RDONLY file is not). */
    private static boolean shared(int word) {
        return Vma.has(word, Vma.SHARED);
    }

    /**
     * Whether a write fault on page {@code i} of file VMA {@code v} would block now: page_mkwrite waits for the
     * folio lock, and for writeback when the file needs stable pages.
     */
    boolean writeFaultBlocks(World w, int p, int v, int i) {
        int word = w.vma(p, v);
        if (!shared(word) || !dirtyTracked(word)) {
            return false;
        }
        int f = Vma.space(word);
        int idx = Vma.pgoff(word) + i;
        if (idx >= w.layout().filePages(f)) {
            return false; // beyond any size the file can have: the fault is SIGBUS, it does not wait
        }
        int c = cached(w, f, idx);
        return c >= 0 && mkwriteBlocks(w, f, c);
    }

    /** Whether page_mkwrite or write_begin on folio {@code c} of file {@code f} would sleep now. */
    boolean mkwriteBlocks(World w, int f, int c) {
        return w.test(c, Folio.LOCKED) || (w.test(c, Folio.WRITEBACK) && fs.waitsForWriteback(w, f, c));
    }

    /** Whether the VMA's file needs dirty tracking (page_mkwrite, writeback): not tmpfs. */
    boolean dirtyTracked(int word) {
        return (word & Vma.FILE) != 0 && machine.file(Vma.space(word)).fs().needsDirtyTracking();
    }

    /**
     * A fault on page {@code i} of a file VMA (private or shared): map the page-cache folio, COW it, or mkwrite.
     * Returns false for VM_FAULT_SIGBUS (beyond the end of the file, or a failed read); the caller kills the
     * process (a CPU access) or fails (GUP: -EFAULT).
     */
    boolean fault(World w, int p, int v, int i, boolean write) {
        int word = w.vma(p, v);
        int f = Vma.space(word);
        int idx = Vma.pgoff(word) + i;
        if (idx >= size(w, f)) {
            use(Rule.TRUNCATE);
            note("page " + idx + " is beyond the end of " + machine.file(f).name() + ": VM_FAULT_SIGBUS");
            return false;
        }
        if (shared(word) && machine.file(f).fs() == FileSystem.TMPFS) {
            shmem.fault(w, p, v, i, f, idx, write);
            return true;
        }
        int c = getFolio(w, f, idx);
        if (c < 0) {
            return false;
        }
        if (!shared(word) && write) {
            use(Rule.FILE_COW);
            int g = faults.newAnon(w, w.content(c));
            Faults.mapNew(w, p, v, i, g, Pte.WRITE | Pte.DIRTY);
            note("private file mapping: " + folioName(c) + " copied to " + folioName(g) + "; the file is unchanged");
            return true;
        }
        if (write) {
            c = fs.forkForWrite(w, f, idx, c);
        }
        w.addRef(c, 1);
        if (!write) {
            use(Rule.FILE_FAULT_MAP);
            Faults.mapNew(w, p, v, i, c, 0);
            note(folioName(c) + " mapped read-only");
            return true;
        }
        mkwrite(w, f, idx, c);
        Faults.mapNew(w, p, v, i, c, Pte.WRITE | Pte.DIRTY);
        return true;
    }

    /** ->page_mkwrite for folio {@code c} at page {@code idx} of file {@code f}: buffers, block, dirty. */
    void mkwrite(World w, int f, int idx, int c) {
        use(Rule.PAGE_MKWRITE);
        fs.prepareWrite(w, f, idx, c);
        w.setFlags(c, Folio.DIRTY);
        note("page_mkwrite: " + folioName(c) + " dirtied, the PTE made writable");
    }

    /**
     * wp_page_shared(): a write fault on a present read-only PTE of a shared file mapping. With dirty tracking it
     * runs page_mkwrite; tmpfs simply makes the PTE writable.
     */
    void wpShared(World w, int p, int v, int i) {
        int word = w.vma(p, v);
        int pte = w.pte(p, v, i);
        int c = Pte.folio(Pte.ref(pte));
        if (dirtyTracked(word) && w.test(c, Folio.PAGECACHE)) {
            c = fs.forkForWrite(w, Vma.space(word), Vma.pgoff(word) + i, c);
            pte = w.pte(p, v, i);
        }
        if (dirtyTracked(word)) {
            mkwrite(w, Vma.space(word), Vma.pgoff(word) + i, c);
            w.setPte(p, v, i, pte | Pte.WRITE | Pte.DIRTY);
            return;
        }
        faults.reuseShared(w, p, v, i);
    }

    // ---- read(2) and write(2) ------------------------------------------------------------------------

    /** A buffered read of one cell: its value, none past EOF, or -EIO. */
    int read(World w, int f, int cell) {
        int i = cell / Folio.CELLS;
        use(Rule.BUFFERED_IO);
        if (i >= size(w, f)) {
            note("past the end of the file: read returns 0 bytes");
            return Kernel.NONE;
        }
        if (machine.file(f).fs() == FileSystem.TMPFS && cached(w, f, i) < 0) {
            shmem.readHole();
            return 0;
        }
        int c = getFolio(w, f, i);
        if (c < 0) {
            return -Kernel.EIO;
        }
        return Folio.cell(w.content(c), cell % Folio.CELLS);
    }

    /** Whether a buffered write of page {@code i} would sleep now (folio lock, stable-page wait). */
    boolean writeBlocks(World w, int f, int i) {
        int c = cached(w, f, i);
        return c >= 0 && mkwriteBlocks(w, f, c);
    }

    /** A buffered write of one cell; returns 0 or -errno. */
    int write(World w, int f, int cell, int value) {
        use(Rule.BUFFERED_IO);
        if (machine.file(f).readOnly()) {
            note("the file is open read-only: -EBADF");
            return -Kernel.EBADF;
        }
        int i = cell / Folio.CELLS;
        int c = getFolio(w, f, i);
        if (c < 0) {
            return -Kernel.EIO;
        }
        if (i >= size(w, f)) {
            w.setFile(f, FileWord.withSize(w.file(f), i + 1));
        }
        c = fs.forkForWrite(w, f, i, c);
        writeFolio(w, f, i, c, Folio.withCell(w.content(c), cell % Folio.CELLS, value));
        note("write(2) into " + folioName(c));
        return 0;
    }

    /** write_begin, copy and write_end of a whole folio's new content. */
    void writeFolio(World w, int f, int i, int c, int content) {
        if (machine.file(f).fs() != FileSystem.TMPFS) {
            fs.prepareWrite(w, f, i, c);
        }
        w.setContent(c, content);
        w.setFlags(c, Folio.DIRTY);
    }

    /** Returns what a buffered read of one cell would return, without changing anything (for conditions). */
    int peek(World w, int f, int cell) {
        int i = cell / Folio.CELLS;
        if (i >= size(w, f)) {
            return Kernel.NONE;
        }
        int c = cached(w, f, i);
        if (c >= 0) {
            return Folio.cell(w.content(c), cell % Folio.CELLS);
        }
        return peekDisk(w, f, cell);
    }

    /** Returns what the disk holds in one cell (0 for a hole), or -EIO on a btrfs checksum mismatch. */
    int peekDisk(World w, int f, int cell) {
        int i = cell / Folio.CELLS;
        if (!machine.file(f).fs().onDisk()) {
            int c = cached(w, f, i);
            return c < 0 ? 0 : Folio.cell(w.content(c), cell % Folio.CELLS);
        }
        int content = fs.onDisk(w, f, i);
        return content < 0 ? -Kernel.EIO : Folio.cell(content, cell % Folio.CELLS);
    }
}
