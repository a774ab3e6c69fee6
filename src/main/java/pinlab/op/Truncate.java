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
 * ftruncate and fallocate(PUNCH_HOLE), as mm/truncate.c truncate_pagecache() and truncate_pagecache_range() do
 * them: unmap the range (truncate also removes private COW copies, punch-hole keeps them), drop each folio's
 * buffers and dirty bit and remove it from the page cache whatever its references, then free the blocks. The
 * operation waits for writeback in the range; pinlab runs it as one step once none is left.
 */
final class Truncate extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.TRUNCATE, Rule.KARA_BLOCK, Rule.DAX_BREAK_LAYOUTS);

    private final Machine machine;
    private final Filesystems fs;
    private MmCalls mm;

    Truncate(Kernel owner, Machine machine, Filesystems fs) {
        super(owner);
        this.machine = machine;
        this.fs = fs;
    }

    void wire(MmCalls m) {
        this.mm = m;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    /** Whether removing pages {@code [lo, hi)} of file {@code f} must wait now. */
    boolean blocks(World w, int f, int lo, int hi) {
        boolean dax = machine.file(f).fs() == FileSystem.FSDAX && on(Rule.DAX_BREAK_LAYOUTS);
        for (int i = lo; i < hi; i++) {
            int c = PageCache.cached(w, f, i);
            if (c < 0) {
                continue;
            }
            if (w.test(c, Folio.WRITEBACK) || w.test(c, Folio.LOCKED)) {
                return true;
            }
            if ((dax || on(Rule.KARA_BLOCK)) && Writeback.referenced(w, c)) {
                return true;
            }
        }
        return false;
    }

    /** Names the rule that made a blocked truncate wait (for stall reports). */
    void useBlockRule(int f) {
        if (machine.file(f).fs() == FileSystem.FSDAX && on(Rule.DAX_BREAK_LAYOUTS)) {
            use(Rule.DAX_BREAK_LAYOUTS);
        } else if (on(Rule.KARA_BLOCK)) {
            use(Rule.KARA_BLOCK);
        }
    }

    /** ftruncate(): returns 0 or -errno. */
    int truncate(World w, int f, int pages) {
        use(Rule.TRUNCATE);
        if (machine.file(f).readOnly()) {
            note("the file is open read-only: -EINVAL");
            return -Kernel.EINVAL;
        }
        int old = FileWord.size(w.file(f));
        w.setFile(f, FileWord.withSize(w.file(f), pages));
        if (pages < old) {
            remove(w, f, pages, machine.file(f).pages(), true);
        }
        note("size of " + machine.file(f).name() + " set to " + pages + " page(s)");
        return 0;
    }

    /** fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE): returns 0 or -errno. */
    int punch(World w, int f, int lo, int count) {
        use(Rule.TRUNCATE);
        if (machine.file(f).readOnly()) {
            note("the file is open read-only: -EBADF");
            return -Kernel.EBADF;
        }
        if (machine.file(f).fs() == FileSystem.TMPFS && machine.file(f).anonymous()) {
            return -Kernel.EINVAL;
        }
        remove(w, f, lo, lo + count, false);
        note("pages " + lo + ".." + (lo + count - 1) + " of " + machine.file(f).name() + " punched out");
        return 0;
    }

    /** unmap_mapping_range(), then truncate_inode_pages_range(), then the blocks are freed. */
    private void remove(World w, int f, int lo, int hi, boolean evenCows) {
        for (int p = 0; p < w.layout().processes(); p++) {
            for (int v = 0; v < w.layout().vmas(); v++) {
                int word = w.vma(p, v);
                if (!Vma.has(word, Vma.MAPPED) || (word & Vma.FILE) == 0 || Vma.space(word) != f) {
                    continue;
                }
                for (int i = 0; i < w.layout().vmaPages(v); i++) {
                    int idx = Vma.pgoff(word) + i;
                    int pte = w.pte(p, v, i);
                    if (idx < lo || idx >= hi || !Pte.present(pte) || !Pte.isFolio(Pte.ref(pte))) {
                        continue;
                    }
                    int c = Pte.folio(Pte.ref(pte));
                    if (evenCows || w.test(c, Folio.PAGECACHE)) {
                        mm.zapPage(w, p, v, i);
                    }
                }
            }
        }
        for (int i = lo; i < hi; i++) {
            int c = PageCache.cached(w, f, i);
            if (c >= 0) {
                fs.dropBuffers(w, c);
                w.clearFlags(c, Folio.DIRTY);
                boolean orphan = w.refcount(c) > 1;
                removeFromCache(w, f, i, c);
                if (orphan) {
                    note(folioName(c) + " leaves the page cache but is still referenced: an orphan");
                }
            }
            if (w.layout().onDisk(f)) {
                w.setBlockData(f, i, 0);
                w.setBlockState(f, i, 0);
            }
        }
    }
}
