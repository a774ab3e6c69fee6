package pinlab.op;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.Folio;
import pinlab.model.Pte;
import pinlab.model.Vma;
import pinlab.model.World;
import pinlab.policy.Rule;

/**
 * Access to another process's memory, as mm/memory.c __access_remote_vm() does it for ptrace(PTRACE_PEEKDATA,
 * PTRACE_POKEDATA) and /proc/PID/mem (FOLL_FORCE), and mm/process_vm_access.c for process_vm_readv/writev (no
 * FOLL_FORCE): GUP one page of the target's mm, copy, set_page_dirty_lock(), put_page().
 *
 * <p>A forced write to a read-only private mapping is two steps, as __get_user_pages() runs it: the COW fault,
 * then the lookup again; between them another thread can zap the private copy (MADV_DONTNEED). What the lookup
 * then accepts is the policy's force-follow rule: before 4.9 any page (FOLL_WRITE was dropped: Dirty COW), from 4.9
 * a dirty PTE (FOLL_COW), from 6.0 an exclusive anonymous page. If it refuses, the fault and the lookup run again,
 * here in one step.
 */
final class Remote extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.REMOTE_ACCESS, Rule.GUP_CHECK_VMA, Rule.GUP_FORCE,
            Rule.GUP_FORCE_SHARED_COW, Rule.FORCE_DROP_WRITE, Rule.FOLL_COW, Rule.FORCE_EXCLUSIVE, Rule.GUP_FAULT,
            Rule.PROC_MEM_WRITE, Rule.PROCESS_VM, Rule.GUP_READ_BREAKS_COW);

    private final Faults faults;

    Remote(Kernel owner, Faults faults) {
        super(owner);
        this.faults = faults;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    /** Whether the access waits: the target's mm is being forked (mmap_lock held for write). */
    static boolean blocks(World w, Op.Remote r) {
        return (w.proc(r.target()) & (World.PROC_FORKING | World.PROC_PTL_HELD)) != 0;
    }

    /**
     * One step of a remote access; returns the next {@code sub} or {@link Kernel#DONE}, and puts the result (the
     * value read, 0 for a write, or -errno) in {@code out[0]}.
     */
    int step(World w, Op.Remote r, int sub, int[] out) {
        use(Rule.REMOTE_ACCESS);
        int p = r.target();
        int v = r.vma();
        int i = r.cell() / Folio.CELLS;
        int fail = r.force() ? -Kernel.EIO : -Kernel.EFAULT;
        if (sub == 1) {
            out[0] = afterCow(w, r, p, v, i);
            return Kernel.DONE;
        }
        if (!r.force() && !on(Rule.PROCESS_VM)) {
            use(Rule.PROCESS_VM);
            note("no process_vm_readv/writev in this kernel (3.2): -ENOSYS");
            out[0] = -Kernel.ENOSYS;
            return Kernel.DONE;
        }
        if (r.force() && r.write() && !r.ptrace() && !on(Rule.PROC_MEM_WRITE)) {
            use(Rule.PROC_MEM_WRITE);
            note("/proc/PID/mem has no write method before 2.6.39: -EINVAL");
            out[0] = -Kernel.EINVAL;
            return Kernel.DONE;
        }
        if (!w.alive(p)) {
            note("the target process is gone");
            out[0] = r.force() ? -Kernel.EIO : -Kernel.ESRCH;
            return Kernel.DONE;
        }
        int word = w.vma(p, v);
        use(Rule.GUP_CHECK_VMA);
        if (!Vma.has(word, Vma.MAPPED)) {
            out[0] = fail;
            note("no mapping there: nothing copied");
            return Kernel.DONE;
        }
        if (r.ptrace() && r.write()) {
            // ptrace works on words: a debugger reads the word (PTRACE_PEEKDATA, a forced read that faults the
            // page in) and writes it back with its byte changed
            note("PTRACE_PEEKDATA of the word first");
            readCell(w, p, v, r.cell());
        }
        if (!r.write()) {
            if (!Vma.has(word, Vma.READ) && !r.force()) {
                out[0] = fail;
                return Kernel.DONE;
            }
            out[0] = readCell(w, p, v, r.cell());
            return Kernel.DONE;
        }
        if (!Vma.has(word, Vma.WRITE)) {
            if (!r.force()) {
                note("process_vm_writev() does not force: a read-only mapping gives -EFAULT");
                out[0] = fail;
                return Kernel.DONE;
            }
            boolean shared = Vma.has(word, Vma.SHARED) || Vma.has(word, Vma.NOMAYWRITE);
            if (shared && !(on(Rule.GUP_FORCE_SHARED_COW) && !Vma.has(word, Vma.NOMAYWRITE))) {
                note("a forced write into a shared mapping without VM_WRITE is refused (not a COW mapping): -EIO");
                out[0] = fail;
                return Kernel.DONE;
            }
            int pte = w.pte(p, v, i);
            if (Pte.present(pte) && followsForWrite(w, pte, false)) {
                out[0] = store(w, p, v, r.cell(), r.value());
                return Kernel.DONE;
            }
            use(Rule.GUP_FORCE);
            if (shared) {
                use(Rule.GUP_FORCE_SHARED_COW);
            }
            cow(w, p, v, i);
            return 1;
        }
        int pte = w.pte(p, v, i);
        if (!(Pte.present(pte) && Pte.writable(pte))) {
            use(Rule.GUP_FAULT);
            if (!faults.writeFault(w, p, v, i)) {
                out[0] = fail;
                return Kernel.DONE;
            }
        }
        out[0] = store(w, p, v, r.cell(), r.value());
        return Kernel.DONE;
    }

    /** The lookup after the COW fault of a forced write, under the policy's force-follow rule. */
    private int afterCow(World w, Op.Remote r, int p, int v, int i) {
        int pte = w.pte(p, v, i);
        if (on(Rule.FORCE_DROP_WRITE)) {
            use(Rule.FORCE_DROP_WRITE);
            if (!Pte.present(pte)) {
                note("FOLL_WRITE was dropped after the COW: the lookup faults the page in for reading");
                if (!faults.readFault(w, p, v, i)) {
                    return -Kernel.EIO;
                }
            }
            return store(w, p, v, r.cell(), r.value());
        }
        if (Pte.present(pte) && followsForWrite(w, pte, true)) {
            return store(w, p, v, r.cell(), r.value());
        }
        note("the lookup refuses the PTE: GUP faults (COWs) again");
        cow(w, p, v, i);
        return store(w, p, v, r.cell(), r.value());
    }

    /** can_follow_write_pte() for a forced write through a read-only PTE. */
    private boolean followsForWrite(World w, int pte, boolean cowed) {
        if (Pte.writable(pte)) {
            return true;
        }
        if (on(Rule.FOLL_COW)) {
            use(Rule.FOLL_COW);
            return cowed && Pte.dirty(pte);
        }
        if (on(Rule.FORCE_EXCLUSIVE)) {
            use(Rule.FORCE_EXCLUSIVE);
            int ref = Pte.ref(pte);
            return Pte.isFolio(ref) && w.test(Pte.folio(ref), Folio.ANON)
                    && w.test(Pte.folio(ref), Folio.ANON_EXCLUSIVE);
        }
        return cowed;
    }

    /** The COW fault of a forced write: fault the page in if needed, then copy it (the PTE stays read-only). */
    private void cow(World w, int p, int v, int i) {
        if (!Pte.present(w.pte(p, v, i))) {
            faults.readFault(w, p, v, i);
        }
        faults.doWpPage(w, p, v, i, Faults.Fault.FORCE);
    }

    private int readCell(World w, int p, int v, int cell) {
        int i = cell / Folio.CELLS;
        int word = w.vma(p, v);
        if (on(Rule.GUP_READ_BREAKS_COW) && Vma.isCow(word)) {
            // 5.8: every GUP in a COW mapping breaks COW first, reads included
            use(Rule.GUP_READ_BREAKS_COW);
            int pte = w.pte(p, v, i);
            if (!(Pte.present(pte) && Pte.writable(pte))) {
                if (Vma.has(word, Vma.WRITE)) {
                    faults.writeFault(w, p, v, i);
                } else {
                    cow(w, p, v, i);
                }
            }
        }
        if (!Pte.present(w.pte(p, v, i)) && !faults.readFault(w, p, v, i)) {
            return -Kernel.EIO;
        }
        int ref = Pte.ref(w.pte(p, v, i));
        return Pte.isFolio(ref) ? Folio.cell(w.content(Pte.folio(ref)), cell % Folio.CELLS) : 0;
    }

    /** copy_to_user_page() into whatever the lookup found, then set_page_dirty_lock(). */
    private int store(World w, int p, int v, int cell, int value) {
        int ref = Pte.ref(w.pte(p, v, cell / Folio.CELLS));
        if (!Pte.isFolio(ref)) {
            note("the zero page cannot be written");
            return -Kernel.EIO;
        }
        int f = Pte.folio(ref);
        w.setContent(f, Folio.withCell(w.content(f), cell % Folio.CELLS, value));
        if (w.test(f, Folio.PAGECACHE)) {
            w.setFlags(f, Folio.DIRTY);
            note("the write lands in page-cache page " + folioName(f) + " of the file, which is dirtied");
        } else {
            note("the write lands in " + folioName(f));
        }
        return 0;
    }
}
