package pinlab.op;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.Event;
import pinlab.model.Folio;
import pinlab.model.Pte;
import pinlab.model.Vma;
import pinlab.model.World;
import pinlab.op.Op.Mmap;
import pinlab.policy.Rule;

/**
 * The address-space system calls: mmap and munmap (mm/mmap.c, mm/vma.c), zapping PTEs (mm/memory.c
 * zap_pte_range), mremap (mm/mremap.c), mprotect (mm/mprotect.c), madvise (mm/madvise.c), and exit and SIGSEGV
 * tearing an mm down (kernel/exit.c, exit_mmap).
 */
final class MmCalls extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.ZAP, Rule.MREMAP, Rule.MPROTECT, Rule.FORK_DONTCOPY);

    private final Shmem shmem;

    MmCalls(Kernel owner, Shmem shmem) {
        super(owner);
        this.shmem = shmem;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    void mmap(World w, int p, Mmap m) {
        if (Vma.has(w.vma(p, m.vma()), Vma.MAPPED)) {
            note("MAP_FIXED over an existing mapping: the old one is unmapped first");
            munmap(w, p, m.vma());
        }
        int word = Vma.MAPPED | m.prot() | Vma.ANON;
        if (m.shared()) {
            word = Vma.withSpace(word | Vma.SHARED, m.space());
            shmem.create(w, m.space());
        }
        w.setVma(p, m.vma(), word);
    }

    void munmap(World w, int p, int v) {
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED)) {
            return;
        }
        zap(w, p, v);
        w.setVma(p, v, 0);
        if (Vma.has(word, Vma.SHARED)) {
            shmem.dropIfUnused(w, Vma.space(word));
        }
    }

    /** Removes every PTE of a VMA: mapcount, then refcount. */
    void zap(World w, int p, int v) {
        int pages = w.layout().vmaPages(v);
        for (int i = 0; i < pages; i++) {
            int pte = w.pte(p, v, i);
            if (!Pte.present(pte)) {
                continue;
            }
            use(Rule.ZAP);
            int ref = Pte.ref(pte);
            w.setPte(p, v, i, 0);
            if (Pte.isFolio(ref)) {
                int f = Pte.folio(ref);
                if (Pte.dirty(pte) && w.test(f, Folio.PAGECACHE)) {
                    w.setFlags(f, Folio.DIRTY);
                }
                w.addMap(f, -1);
                put(w, f, 1);
            }
        }
    }

    /** move_vma(): the PTEs move to the new address with their pages; nothing is copied or re-faulted. */
    void mremap(World w, int p, int v, int to) {
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED)) {
            note("no such mapping: mremap fails with -EFAULT");
            return;
        }
        use(Rule.MREMAP);
        munmap(w, p, to);
        w.setVma(p, to, word);
        for (int i = 0; i < w.layout().vmaPages(v); i++) {
            w.setPte(p, to, i, w.pte(p, v, i));
            w.setPte(p, v, i, 0);
        }
        w.setVma(p, v, 0);
        note("page table entries moved; the pages keep their identity");
    }

    void mprotect(World w, int p, int v, int prot) {
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED)) {
            note("no such mapping: mprotect fails with -ENOMEM");
            return;
        }
        use(Rule.MPROTECT);
        w.setVma(p, v, (word & ~(Vma.READ | Vma.WRITE)) | prot);
        if ((prot & Vma.WRITE) == 0) {
            for (int i = 0; i < w.layout().vmaPages(v); i++) {
                int pte = w.pte(p, v, i);
                if (Pte.writable(pte)) {
                    w.setPte(p, v, i, pte & ~Pte.WRITE);
                }
            }
            note("PTEs write-protected");
        }
    }

    /** madvise(MADV_DONTFORK / MADV_DOFORK): sets or clears VM_DONTCOPY. */
    void madviseFork(World w, int p, int v, boolean dontfork) {
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED)) {
            note("no such mapping: madvise fails with -ENOMEM");
        } else {
            use(Rule.FORK_DONTCOPY);
            w.setVma(p, v, dontfork ? word | Vma.DONTCOPY : word & ~Vma.DONTCOPY);
        }
    }

    void exit(World w, int p) {
        for (int v = 0; v < w.layout().vmas(); v++) {
            munmap(w, p, v);
        }
        w.setProc(p, w.proc(p) & ~World.PROC_ALIVE);
        note("process exited: its mm is torn down");
    }

    /** The process is killed by SIGSEGV for touching what it may not. */
    void segv(World w, int p) {
        w.raise(Event.SEGV);
        note("SIGSEGV: the process is killed");
        exit(w, p);
    }
}
