package pinlab.op;

import java.util.EnumSet;
import java.util.List;
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
            Rule.KARA_BOUNCE, Rule.REVOCABLE, Rule.GUP_FAST, Rule.GUP_FAST_SEQ, Rule.FORK_MMAP_LOCK,
            Rule.GUP_FORCE_SHARED_COW, Rule.LONGTERM_MIGRATE_MOVABLE);

    private final Machine machine;
    private final Faults faults;
    private final Holders holders;
    private final PageCache cache;
    private Migrate migrate;

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

    void wire(Migrate m) {
        this.migrate = m;
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
        int flags = begin(w, p, g);
        return flags < 0 ? flags : takeRest(w, p, g, flags, 0);
    }

    /**
     * The start of every GUP call: the flags the kernel path asks for (a call the kernel lacks fails, -errno), and
     * MMF_HAS_PINNED for FOLL_PIN (set before any page is taken).
     */
    private int begin(World w, int p, Op.Gup g) {
        int flags = flags(g);
        if (flags < 0) {
            w.setHolder(g.holder(), Holder.make(Holder.FAILED, 0, -flags));
            note("the call fails with -" + Kernel.errnoName(-flags));
            return flags;
        }
        if ((flags & Holder.PIN) != 0 && on(Rule.MMF_HAS_PINNED)) {
            use(Rule.MMF_HAS_PINNED);
            w.setProc(p, w.proc(p) | World.PROC_HAS_PINNED);
        }
        return flags;
    }

    /**
     * The slow path (__get_user_pages(), then __gup_longterm_locked()'s migration out of ZONE_MOVABLE) for the pages
     * from {@code from} on; the holder ends held or failed. Returns 0 or -errno.
     */
    private int takeRest(World w, int p, Op.Gup g, int flags, int from) {
        int err = takeAll(w, p, g, flags, from);
        if (err != 0) {
            return -err;
        }
        err = migrateMovable(w, p, g, flags);
        if (err != 0) {
            return err;
        }
        w.setHolder(g.holder(), Holder.make(Holder.HELD, flags, 0));
        return 0;
    }

    /** Drops the references in the holder's first {@code upTo} slots and empties them. */
    private void dropTaken(World w, Op.Gup g, int flags, int upTo) {
        for (int j = 0; j < upTo; j++) {
            holders.dropRef(w, w.slot(g.holder(), j), flags);
            w.setSlot(g.holder(), j, Pte.NONE);
        }
    }

    /**
     * check_and_migrate_movable_folios() (5.13) after a long-term pin took every page: if one is in ZONE_MOVABLE,
     * unpin all, migrate those out and pin again. Returns 0, or -errno after marking the holder failed.
     */
    private int migrateMovable(World w, int p, Op.Gup g, int flags) {
        boolean pin = (flags & Holder.PIN) != 0;
        int err0;
        if ((flags & Holder.LONGTERM) != 0 && pin && on(Rule.LONGTERM_MIGRATE_MOVABLE) && unpinnable(w, g)) {
            use(Rule.LONGTERM_MIGRATE_MOVABLE);
            // check_and_migrate_movable_folios(): unpin all, migrate the ZONE_MOVABLE pages out, pin again
            List<Integer> movable = new java.util.ArrayList<>();
            for (int k = 0; k < g.count(); k++) {
                int ref = w.slot(g.holder(), k);
                if (Pte.isFolio(ref) && w.test(Pte.folio(ref), Folio.MOVABLE)) {
                    movable.add(Pte.folio(ref));
                }
            }
            dropTaken(w, g, flags, g.count());
            note("FOLL_LONGTERM: a page is in ZONE_MOVABLE; GUP unpins and migrates it out first");
            for (int f : movable) {
                if (!migrate.migrate(w, f, false)) {
                    w.setHolder(g.holder(), Holder.make(Holder.FAILED, flags, Kernel.ENOMEM));
                    note("the page cannot be migrated: the long-term pin fails with -ENOMEM");
                    return -Kernel.ENOMEM;
                }
            }
            err0 = takeAll(w, p, g, flags, 0);
            if (err0 != 0) {
                return -err0;
            }
        }
        return 0;
    }

    private boolean unpinnable(World w, Op.Gup g) {
        for (int k = 0; k < g.count(); k++) {
            int ref = w.slot(g.holder(), k);
            if (Pte.isFolio(ref) && w.test(Pte.folio(ref), Folio.MOVABLE)) {
                return true;
            }
        }
        return false;
    }

    /** Takes the references of every page of the request; returns 0 or the errno (after dropping what it took). */
    private int takeAll(World w, int p, Op.Gup g, int flags, int from) {
        for (int k = from; k < g.count(); k++) {
            int err = one(w, p, g.vma(), g.page() + k, flags, g.holder(), k);
            if (err != 0) {
                // A failed GUP drops what it took: the callers modelled here treat a short count as failure.
                dropTaken(w, g, flags, k);
                w.setHolder(g.holder(), Holder.make(Holder.FAILED, flags, err));
                note("GUP fails with -" + Kernel.errnoName(err));
                return err;
            }
        }
        return 0;
    }

    // ---- GUP-fast --------------------------------------------------------------------------------------

    private static final int FAST_GRAB = 0;
    private static final int FAST_RECHECK = 1;
    private static final int FAST_SLOW = 2;
    private static final int FAST_SAW_WRITE = 4;

    private static int fastSub(int phase, int k, boolean sawWrite) {
        return phase | (sawWrite ? FAST_SAW_WRITE : 0) | (k << 3);
    }

    /** Whether a GUP-fast call at {@code sub} is in its slow path (which takes the mmap_lock). */
    static boolean fastInSlowPath(int sub) {
        return (sub & 3) == FAST_SLOW;
    }

    /**
     * One step of a GUP-fast call (get_user_pages_fast, pin_user_pages_fast): the first step reads
     * write_protect_seq (5.11+, FOLL_PIN) and grabs page 0; then each page is re-checked in a step of its own and
     * the next one grabbed in the step after; what GUP-fast could not take goes to the slow path, one step.
     * Returns the next {@code sub}, or {@link Kernel#DONE}; {@link #result} then gives the call's return value.
     */
    int fastStep(World w, int p, Op.Gup g, int sub) {
        int h = g.holder();
        if (sub == 0) {
            int flags = begin(w, p, g);
            if (flags < 0) {
                return Kernel.DONE;
            }
            use(Rule.GUP_FAST);
            boolean pin = (flags & Holder.PIN) != 0;
            w.setHolder(h, Holder.make(Holder.EMPTY, flags, 0));
            if ((flags & Holder.REVOCABLE) != 0 || ((flags & Holder.LONGTERM) != 0 && on(Rule.KARA_BOUNCE))) {
                note("the proposal's references are taken by the slow path");
                return fastSub(FAST_SLOW, 0, false);
            }
            if (pin && on(Rule.GUP_FAST_SEQ) && (w.proc(p) & World.PROC_FORKING) != 0) {
                use(Rule.GUP_FAST_SEQ);
                note("write_protect_seq is odd (a fork is copying the page tables): GUP-fast gives up at once");
                return fastSub(FAST_SLOW, 0, false);
            }
            return grab(w, p, g, 0);
        }
        int k = sub >>> 3;
        return switch (sub & 3) {
            case FAST_GRAB -> grab(w, p, g, k);
            case FAST_RECHECK -> recheck(w, p, g, k, (sub & FAST_SAW_WRITE) != 0);
            default -> slowRest(w, p, g, k);
        };
    }

    /** The return value of a finished GUP-fast call. */
    static int result(World w, Op.Gup g) {
        int word = w.holder(g.holder());
        return Holder.status(word) == Holder.FAILED ? -Holder.errno(word) : 0;
    }

    private int grab(World w, int p, Op.Gup g, int k) {
        int h = g.holder();
        int flags = Holder.flags(w.holder(h));
        int i = g.page() + k;
        int pte = w.pte(p, g.vma(), i);
        boolean write = (flags & Holder.WRITE) != 0;
        // 5.8 (17839856fd58): the fast path asks for a writable PTE even for reads, so that the slow path can
        // break COW first
        boolean needWrite = write || on(Rule.GUP_READ_BREAKS_COW);
        String why = null;
        if (!Pte.present(pte)) {
            why = "no PTE";
        } else if (!Pte.isFolio(Pte.ref(pte))) {
            why = "the zero page (a special PTE)";
        } else if (needWrite && !Pte.writable(pte)) {
            if (!write) {
                use(Rule.GUP_READ_BREAKS_COW);
            }
            why = write ? "a read-only PTE and FOLL_WRITE" : "a read-only PTE (5.8: the fast path wants it writable)";
        } else if (!Vma.has(w.vma(p, g.vma()), Vma.READ)) {
            why = "a PROT_NONE PTE";
        }
        if (why != null) {
            use(Rule.GUP_FAST);
            note("GUP-fast finds " + why + " at page " + i + ": the rest goes to the slow path");
            return endFast(w, g, k);
        }
        int f = Pte.folio(Pte.ref(pte));
        boolean pin = (flags & Holder.PIN) != 0;
        w.addRef(f, pin ? Folio.PIN_BIAS : 1);
        w.setSlot(h, k, Pte.ofFolio(f));
        use(Rule.GUP_FAST);
        note("GUP-fast reads the PTE without a lock and " + (pin ? "pins " : "grabs ") + folioName(f));
        return fastSub(FAST_RECHECK, k, Pte.writable(pte));
    }

    private int recheck(World w, int p, Op.Gup g, int k, boolean sawWrite) {
        int h = g.holder();
        int word = w.holder(h);
        int flags = Holder.flags(word);
        int i = g.page() + k;
        int pte = w.pte(p, g.vma(), i);
        int ref = w.slot(h, k);
        use(Rule.GUP_FAST);
        String why = null;
        Rule rule = Rule.GUP_FAST;
        int vword = w.vma(p, g.vma());
        if (!Pte.present(pte) || Pte.ref(pte) != ref || Pte.writable(pte) != sawWrite) {
            why = "the PTE changed since GUP-fast read it";
        } else if ((flags & (Holder.PIN | Holder.WRITE)) == Holder.PIN && !sawWrite && on(Rule.GUP_UNSHARE_ANON)
                && w.test(Pte.folio(ref), Folio.ANON) && !w.test(Pte.folio(ref), Folio.ANON_EXCLUSIVE)) {
            why = "a read-only pin of a shared anonymous page must unshare it (gup_must_unshare())";
            rule = Rule.GUP_UNSHARE_ANON;
        } else if ((flags & (Holder.PIN | Holder.LONGTERM | Holder.WRITE)) == (Holder.PIN | Holder.LONGTERM)
                && !sawWrite && on(Rule.GUP_UNSHARE_COW_LONGTERM) && !w.test(Pte.folio(ref), Folio.ANON)) {
            why = "a read-only long-term pin of a non-anonymous page: without the VMA gup_must_unshare() cannot"
                    + " tell, so GUP-fast leaves it to the slow path";
            rule = Rule.GUP_UNSHARE_COW_LONGTERM;
        } else if ((flags & Holder.LONGTERM) != 0 && w.test(Pte.folio(ref), Folio.MOVABLE)
                && on(Rule.LONGTERM_MIGRATE_MOVABLE)) {
            why = "folio_is_longterm_pinnable() is false for a ZONE_MOVABLE page";
            rule = Rule.LONGTERM_MIGRATE_MOVABLE;
        } else if ((flags & (Holder.PIN | Holder.LONGTERM | Holder.WRITE))
                == (Holder.PIN | Holder.LONGTERM | Holder.WRITE) && Vma.has(vword, Vma.SHARED)
                && cache.dirtyTracked(vword) && on(Rule.GUP_LONGTERM_FILE_WRITE)) {
            why = "gup_fast_folio_allowed() refuses a long-term writable pin of a dirty-tracked file page";
            rule = Rule.GUP_LONGTERM_FILE_WRITE;
        }
        if (why != null) {
            use(rule);
            holders.dropRef(w, ref, flags);
            w.setSlot(h, k, Pte.NONE);
            note(why + ": it drops its reference on " + folioName(Pte.folio(ref)) + " and falls back to the"
                    + " slow path");
            return endFast(w, g, k);
        }
        if (k + 1 < g.count()) {
            return fastSub(FAST_GRAB, k + 1, false);
        }
        int next = endFast(w, g, g.count());
        if (next != Kernel.DONE) {
            return next;
        }
        w.setHolder(h, Holder.make(Holder.HELD, flags, 0));
        note("the PTE is unchanged: GUP-fast keeps " + folioName(Pte.folio(ref)));
        return Kernel.DONE;
    }

    /**
     * The end of gup_fast()'s walk, after {@code taken} pages: for FOLL_PIN with write_protect_seq (5.11+), if a
     * fork ran meanwhile everything is unpinned and the whole range goes to the slow path; otherwise the pages
     * from {@code taken} on do. Returns {@link Kernel#DONE} if nothing is left for the slow path.
     */
    private int endFast(World w, Op.Gup g, int taken) {
        int h = g.holder();
        int word = w.holder(h);
        int flags = Holder.flags(word);
        if ((word & Holder.SEQ_CHANGED) != 0 && (flags & Holder.PIN) != 0 && on(Rule.GUP_FAST_SEQ)) {
            use(Rule.GUP_FAST_SEQ);
            dropTaken(w, g, flags, taken);
            w.setHolder(h, word & ~Holder.SEQ_CHANGED);
            note("write_protect_seq changed (a fork ran): GUP-fast unpins everything and takes the slow path");
            return fastSub(FAST_SLOW, 0, false);
        }
        return taken < g.count() ? fastSub(FAST_SLOW, taken, false) : Kernel.DONE;
    }

    /** get_user_pages_unlocked() for the pages GUP-fast did not take, from page {@code k} on. */
    private int slowRest(World w, int p, Op.Gup g, int k) {
        int h = g.holder();
        int flags = Holder.flags(w.holder(h));
        use(Rule.GUP_FAST);
        note("the slow path takes the mmap_lock and the PT lock for pages " + (g.page() + k) + ".."
                + (g.page() + g.count() - 1));
        takeRest(w, p, g, flags, k);
        return Kernel.DONE;
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
        if (write && !Vma.has(word, Vma.WRITE) && (!force || Vma.has(word, Vma.NOMAYWRITE)
                || (Vma.has(word, Vma.SHARED) && !on(Rule.GUP_FORCE_SHARED_COW)))) {
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
            } else if (!Vma.has(word, Vma.SHARED) || on(Rule.GUP_FORCE_SHARED_COW)) {
                // Every GUP call faults first: FOLL_COW is set per call (19be0eaffa3a); 6.0+ follows without a
                // fault only an exclusive page, which do_wp_page would reuse anyway (5535be309971).
                use(Vma.has(word, Vma.SHARED) ? Rule.GUP_FORCE_SHARED_COW : Rule.GUP_FORCE);
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
