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
    private static final Set<Rule> RULES = EnumSet.of(Rule.ZAP, Rule.MREMAP, Rule.MPROTECT, Rule.FORK_DONTCOPY,
            Rule.MMAP_FILE, Rule.MADVISE_FILE);

    private final Machine machine;
    private Ksm ksm;
    private Uprobes uprobes;
    private final Shmem shmem;
    private Notifier notifier;
    private Reclaim reclaim;

    MmCalls(Kernel owner, Machine machine, Shmem shmem) {
        super(owner);
        this.machine = machine;
        this.shmem = shmem;
    }

    void wire(Notifier n, Reclaim r, Ksm k, Uprobes u) {
        this.notifier = n;
        this.reclaim = r;
        this.ksm = k;
        this.uprobes = u;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    /** mmap(MAP_FIXED); returns 0 or -errno. */
    int mmap(World w, int p, Mmap m) {
        int word = Vma.MAPPED | m.prot();
        if (m.file()) {
            Machine.FileSpec spec = machine.file(m.space());
            use(Rule.MMAP_FILE);
            if (m.shared() && (m.prot() & Vma.WRITE) != 0 && spec.readOnly()) {
                note("MAP_SHARED with PROT_WRITE of a file opened read-only: -EACCES");
                return -Kernel.EACCES;
            }
            word = Vma.withPgoff(Vma.withSpace(word | Vma.FILE, m.space()), m.pgoff());
            if (m.shared()) {
                word |= spec.readOnly() ? Vma.NOMAYWRITE : Vma.SHARED;
            }
        } else {
            word |= Vma.ANON;
        }
        if (Vma.has(w.vma(p, m.vma()), Vma.MAPPED)) {
            note("MAP_FIXED over an existing mapping: the old one is unmapped first");
            munmap(w, p, m.vma());
        }
        if (!m.file() && m.shared()) {
            word = Vma.withSpace(word | Vma.SHARED, m.space());
            shmem.create(w, m.space());
        }
        w.setVma(p, m.vma(), word);
        uprobes.mmapped(w, p, m.vma());
        return 0;
    }

    void munmap(World w, int p, int v) {
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED)) {
            return;
        }
        zap(w, p, v);
        w.setVma(p, v, 0);
        if (Vma.has(word, Vma.SHARED | Vma.ANON)) {
            shmem.dropIfUnused(w, Vma.space(word));
        }
    }

    /** Removes every PTE of a VMA: mapcount, then refcount. */
    void zap(World w, int p, int v) {
        int pages = w.layout().vmaPages(v);
        for (int i = 0; i < pages; i++) {
            zapPage(w, p, v, i);
        }
    }

    /** zap_pte_range() for one page: the PTE goes; a dirty PTE dirties a page-cache folio. */
    void zapPage(World w, int p, int v, int i) {
        int pte = w.pte(p, v, i);
        if (!Pte.present(pte)) {
            return;
        }
        use(Rule.ZAP);
        notifier.invalidate(w, p, v, i);
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
        if ((prot & Vma.WRITE) != 0 && Vma.has(word, Vma.NOMAYWRITE)) {
            use(Rule.MMAP_FILE);
            note("the mapping can never be writable (its file is open read-only): mprotect fails with -EACCES");
            return;
        }
        use(Rule.MPROTECT);
        w.setVma(p, v, (word & ~(Vma.READ | Vma.WRITE)) | prot);
        if ((prot & Vma.WRITE) == 0) {
            for (int i = 0; i < w.layout().vmaPages(v); i++) {
                int pte = w.pte(p, v, i);
                if (Pte.writable(pte)) {
                    notifier.invalidate(w, p, v, i);
                    w.setPte(p, v, i, pte & ~Pte.WRITE);
                }
            }
            note("PTEs write-protected");
        }
    }

    /** madvise() of a whole VMA. */
    void madvise(World w, int p, int v, Op.Advice advice) {
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED)) {
            note("no such mapping: madvise fails with -ENOMEM");
            return;
        }
        switch (advice) {
            case DONTFORK, DOFORK -> {
                use(Rule.FORK_DONTCOPY);
                w.setVma(p, v, advice == Op.Advice.DONTFORK ? word | Vma.DONTCOPY : word & ~Vma.DONTCOPY);
            }
            case DONTNEED -> {
                use(Rule.MADVISE_FILE);
                zap(w, p, v);
                note("MADV_DONTNEED: the PTEs are gone, the mapping stays");
            }
            case PAGEOUT -> reclaim.pageout(w, p, v);
            case COLD -> reclaim.cold();
            case MERGEABLE -> ksm.mergeable(w, p, v);
            case UNMERGEABLE -> ksm.unmergeable(w, p, v);
        }
    }

    void exit(World w, int p) {
        for (int v = 0; v < w.layout().vmas(); v++) {
            munmap(w, p, v);
        }
        w.setProc(p, w.proc(p) & ~World.PROC_ALIVE);
        note("process exited: its mm is torn down");
    }

    /** The process is killed by SIGBUS: it touched a file mapping beyond the end of the file. */
    void sigbus(World w, int p) {
        w.raise(Event.SIGBUS);
        note("SIGBUS: the process is killed");
        exit(w, p);
    }

    /** The process is killed by SIGSEGV for touching what it may not. */
    void segv(World w, int p) {
        w.raise(Event.SEGV);
        note("SIGSEGV: the process is killed");
        exit(w, p);
    }
}
