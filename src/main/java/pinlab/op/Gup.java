package pinlab.op;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.Folio;
import pinlab.model.Holder;
import pinlab.model.Pte;
import pinlab.model.Vma;
import pinlab.model.World;
import pinlab.policy.Rule;

/**
 * get_user_pages and pin_user_pages, as mm/gup.c runs them: the flags each kernel path asks for, the VMA checks,
 * faulting pages in (breaking COW where asked), unsharing for read-only pins, and taking the references.
 */
final class Gup extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.GUP_GET, Rule.FOLL_PIN, Rule.IO_URING,
            Rule.DIO_FOLL_PIN, Rule.MMF_HAS_PINNED, Rule.GUP_CHECK_VMA, Rule.GUP_READ_BREAKS_COW,
            Rule.GUP_ANON_ZERO_PAGE, Rule.GUP_FAULT, Rule.GUP_FORCE, Rule.GUP_UNSHARE_ANON,
            Rule.GUP_UNSHARE_COW_LONGTERM, Rule.GUP_LONGTERM_FSDAX, Rule.FOLL_LONGTERM, Rule.GUP_LONGTERM_FILE_WRITE,
            Rule.KARA_BOUNCE, Rule.REVOCABLE);

    private final Machine machine;
    private final Faults faults;
    private final Holders holders;
    private final PageCache cache;

    Gup(Kernel owner, Machine machine, Faults faults, Holders holders, PageCache cache) {
        super(owner);
        this.machine = machine;
        this.faults = faults;
        this.holders = holders;
        this.cache = cache;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    /** Returns the reference flags the policy gives a GUP request, or -errno if the path does not exist. */
    private int flags(Op.Gup g) {
        int flags = g.flags();
        switch (g.via()) {
            case GET -> {
                use(Rule.GUP_GET);
                return flags;
            }
            case VMSPLICE -> {
                use(Rule.GUP_GET);
                return 0;
            }
            case PIN -> {
                if (on(Rule.REVOCABLE) && (flags & Holder.LONGTERM) != 0) {
                    use(Rule.REVOCABLE);
                    note("revocable: the device maps the pages ODP-style, with references an MMU notifier can revoke,"
                            + " not a pin");
                    return flags | Holder.REVOCABLE;
                }
                if (on(Rule.FOLL_PIN)) {
                    use(Rule.FOLL_PIN);
                    return flags | Holder.PIN;
                }
                use(Rule.GUP_GET);
                note("no pin_user_pages() in this kernel: the pinner uses get_user_pages() (FOLL_GET)");
                return flags;
            }
            case URING -> {
                use(Rule.IO_URING);
                if (!on(Rule.IO_URING)) {
                    return -Kernel.ENOSYS;
                }
                return Holder.WRITE | Holder.LONGTERM | (on(Rule.FOLL_PIN) ? Holder.PIN : 0);
            }
            case DIO -> {
                if (on(Rule.DIO_FOLL_PIN)) {
                    use(Rule.DIO_FOLL_PIN);
                    return flags | Holder.PIN;
                }
                use(Rule.GUP_GET);
                return flags;
            }
        }
        throw new AssertionError(g.via());
    }

    /** Takes the references of a GUP request; returns 0 or -errno. */
    int gup(World w, int p, Op.Gup g) {
        int flags = flags(g);
        if (flags < 0) {
            w.setHolder(g.holder(), Holder.make(Holder.FAILED, 0, -flags));
            note("the call fails with -" + Kernel.errnoName(-flags));
            return flags;
        }
        boolean pin = (flags & Holder.PIN) != 0;
        if (pin && on(Rule.MMF_HAS_PINNED)) {
            use(Rule.MMF_HAS_PINNED);
            w.setProc(p, w.proc(p) | World.PROC_HAS_PINNED);
        }
        for (int k = 0; k < g.count(); k++) {
            int err = one(w, p, g.vma(), g.page() + k, flags, g.holder(), k);
            if (err != 0) {
                // A failed GUP drops what it took: the callers modelled here treat a short count as failure.
                for (int j = 0; j < k; j++) {
                    holders.dropRef(w, w.slot(g.holder(), j), flags);
                    w.setSlot(g.holder(), j, Pte.NONE);
                }
                w.setHolder(g.holder(), Holder.make(Holder.FAILED, flags, err));
                note("GUP fails with -" + Kernel.errnoName(err));
                return -err;
            }
        }
        w.setHolder(g.holder(), Holder.make(Holder.HELD, flags, 0));
        return 0;
    }

    /** Whether the GUP would sleep in a fault now (page_mkwrite waiting for a folio lock or writeback). */
    boolean blocks(World w, int p, Op.Gup g) {
        if ((g.flags() & Holder.WRITE) == 0 && g.via() != Op.Via.URING) {
            return false;
        }
        int word = w.vma(p, g.vma());
        if (!Vma.has(word, Vma.MAPPED | Vma.WRITE)) {
            return false;
        }
        for (int k = 0; k < g.count(); k++) {
            int pte = w.pte(p, g.vma(), g.page() + k);
            if (!(Pte.present(pte) && Pte.writable(pte)) && cache.writeFaultBlocks(w, p, g.vma(), g.page() + k)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A revocable device touches slot {@code k} after its mapping was invalidated: it faults the page in again,
     * as hmm_range_fault() does, and maps what the process maps there now. Returns whether it got a page.
     */
    boolean refault(World w, int h, int k, boolean write) {
        int word = w.holder(h);
        Op.Gup g = machine.gupOf(h);
        int p = machine.procOf(h);
        use(Rule.REVOCABLE);
        if (p < 0 || !w.alive(p)) {
            note("the device faults, but the process is gone");
            return false;
        }
        int flags = (Holder.flags(word) & ~Holder.WRITE) | (write ? Holder.WRITE : 0);
        int err = one(w, p, g.vma(), g.page() + k, flags, h, k);
        if (err != 0) {
            note("the device's fault fails with -" + Kernel.errnoName(err));
            return false;
        }
        note("the device faults " + folioName(Pte.folio(w.slot(h, k))) + " in again");
        return true;
    }

    private int one(World w, int p, int v, int i, int flags, int h, int slot) {
        use(Rule.GUP_CHECK_VMA);
        int word = w.vma(p, v);
        boolean write = (flags & Holder.WRITE) != 0;
        boolean force = (flags & Holder.FORCE) != 0;
        if (!Vma.has(word, Vma.MAPPED)) {
            return Kernel.EFAULT;
        }
        if (write && !Vma.has(word, Vma.WRITE) && (!force || Vma.has(word, Vma.SHARED))) {
            return Kernel.EFAULT;
        }
        if (!write && !Vma.has(word, Vma.READ) && !force) {
            return Kernel.EFAULT;
        }
        boolean file = (word & Vma.FILE) != 0;
        if ((flags & Holder.LONGTERM) != 0 && file && on(Rule.GUP_LONGTERM_FSDAX)) {
            use(on(Rule.FOLL_LONGTERM) ? Rule.FOLL_LONGTERM : Rule.GUP_LONGTERM_FSDAX);
            if (machine.file(Vma.space(word)).fs() == pinlab.model.FileSystem.FSDAX) {
                use(Rule.GUP_LONGTERM_FSDAX);
                note("a long-term pin of a filesystem-DAX mapping: -EOPNOTSUPP");
                return Kernel.EOPNOTSUPP;
            }
        }
        if (write && (flags & (Holder.PIN | Holder.LONGTERM)) == (Holder.PIN | Holder.LONGTERM)
                && Vma.has(word, Vma.SHARED) && cache.dirtyTracked(word) && on(Rule.GUP_LONGTERM_FILE_WRITE)) {
            use(Rule.GUP_LONGTERM_FILE_WRITE);
            note("writable_file_mapping_allowed(): a long-term writable pin of a shared "
                    + machine.file(Vma.space(word)).fs().id() + " mapping needs dirty tracking: -EFAULT");
            return Kernel.EFAULT;
        }
        boolean breakCow = write;
        if (!write && on(Rule.GUP_READ_BREAKS_COW) && Vma.isCow(word)) {
            use(Rule.GUP_READ_BREAKS_COW);
            breakCow = true;
        }
        int pte = w.pte(p, v, i);
        if (!Pte.present(pte) && !breakCow && on(Rule.GUP_ANON_ZERO_PAGE) && !Vma.has(word, Vma.SHARED)) {
            use(Rule.GUP_ANON_ZERO_PAGE);
            note("FOLL_ANON: untouched anonymous memory yields the zero page; no PTE is filled");
            w.setSlot(h, slot, Pte.ZERO);
            return 0;
        }
        if (!Pte.present(pte)) {
            use(Rule.GUP_FAULT);
            boolean ok = (breakCow && Vma.has(word, Vma.WRITE)) ? faults.writeFault(w, p, v, i)
                    : faults.readFault(w, p, v, i);
            if (!ok) {
                return Kernel.EFAULT;
            }
            pte = w.pte(p, v, i);
        }
        if (breakCow && !Pte.writable(pte)) {
            if (Vma.has(word, Vma.WRITE)) {
                use(Rule.GUP_FAULT);
                faults.doWpPage(w, p, v, i, Faults.Fault.WRITE);
            } else if (!Vma.has(word, Vma.SHARED)) {
                // Every GUP call faults first: FOLL_COW is set per call (19be0eaffa3a); 6.0+ follows without a
                // fault only an exclusive page, which do_wp_page would reuse anyway (5535be309971).
                use(Rule.GUP_FORCE);
                faults.doWpPage(w, p, v, i, Faults.Fault.FORCE);
            }
            pte = w.pte(p, v, i);
        }
        boolean pin = (flags & Holder.PIN) != 0;
        if (pin && !write && mustUnshare(w, word, pte, flags)) {
            faults.doWpPage(w, p, v, i, Faults.Fault.UNSHARE);
            pte = w.pte(p, v, i);
        }
        int ref = Pte.ref(pte);
        if (Pte.isFolio(ref) && (flags & Holder.LONGTERM) != 0 && on(Rule.KARA_BOUNCE)
                && Vma.has(word, Vma.SHARED) && cache.dirtyTracked(word)) {
            use(Rule.KARA_BOUNCE);
            int c = Pte.folio(ref);
            int b = w.alloc(Folio.BOUNCE, w.content(c));
            w.setMapping(b, w.mapping(c));
            w.addRef(b, (pin ? Folio.PIN_BIAS : 1) - 1);
            w.setSlot(h, slot, Pte.ofFolio(b));
            note("kara-bounce: the long-term user gets bounce page " + folioName(b) + ", a copy of " + folioName(c));
            return 0;
        }
        if (Pte.isFolio(ref)) {
            int f = Pte.folio(ref);
            w.addRef(f, pin ? Folio.PIN_BIAS : 1);
            note((pin ? "pinned " : "reference taken on ") + folioName(f) + " ("
                    + Holder.flagNames(flags) + ")");
        } else {
            note("reference on the zero page (its count is not tracked)");
        }
        w.setSlot(h, slot, ref);
        return 0;
    }

    /** gup_must_unshare(): whether a R/O pin must first unshare the page. */
    private boolean mustUnshare(World w, int word, int pte, int flags) {
        int ref = Pte.ref(pte);
        if (Pte.isFolio(ref) && w.test(Pte.folio(ref), Folio.ANON)) {
            if (on(Rule.GUP_UNSHARE_ANON)) {
                use(Rule.GUP_UNSHARE_ANON);
                return !w.test(Pte.folio(ref), Folio.ANON_EXCLUSIVE);
            }
            return false;
        }
        if (on(Rule.GUP_UNSHARE_COW_LONGTERM) && (flags & Holder.LONGTERM) != 0 && Vma.isCow(word)) {
            use(Rule.GUP_UNSHARE_COW_LONGTERM);
            return true;
        }
        return false;
    }
}
