package pinlab.op;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.Event;
import pinlab.model.Folio;
import pinlab.model.Holder;
import pinlab.model.Pte;
import pinlab.model.World;
import pinlab.policy.Rule;

/**
 * What holds references outside the page tables and what it does with them: devices doing DMA through the
 * pages they took (an RDMA NIC, a disk serving a bio, a pipe, an io_uring fixed buffer), and the release of
 * those references (put_page, unpin_user_pages_dirty_lock, bio_release_pages).
 */
final class Holders extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.DMA, Rule.RELEASE, Rule.KARA_BOUNCE);

    private final Machine machine;
    private final PageCache cache;
    private Gup gup;
    private DirectIo dio;

    Holders(Kernel owner, Machine machine, PageCache cache) {
        super(owner);
        this.machine = machine;
        this.cache = cache;
    }

    void wire(Gup g, DirectIo d) {
        this.gup = g;
        this.dio = d;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    private int heldRef(World w, int h, int cell) {
        use(Rule.DMA);
        int word = w.holder(h);
        int status = Holder.status(word);
        if (status == Holder.FAILED) {
            note("the holder took no references (its GUP failed): nothing to transfer");
            return -1;
        }
        if (status == Holder.RELEASED) {
            if ((Holder.flags(word) & Holder.SERVED) != 0) {
                note("the request was served without pinned pages: nothing to transfer");
                return -1;
            }
            w.raise(Event.DMA_AFTER_RELEASE);
            note("DMA after the references were released");
            return -1;
        }
        return w.slot(h, cell / Folio.CELLS);
    }

    /**
     * Whether a device access through holder {@code h} would wait now: a revocable device whose mapping was
     * invalidated faults the page in again, and that fault can wait (page_mkwrite on a locked folio, or on one
     * under writeback when the file needs stable pages).
     */
    boolean deviceBlocks(World w, int h, int cell, boolean write) {
        int word = w.holder(h);
        if (Holder.status(word) != Holder.HELD || (Holder.flags(word) & Holder.REVOCABLE) == 0 || !write) {
            return false;
        }
        int k = cell / Folio.CELLS;
        if (w.slot(h, k) != Pte.NONE) {
            return false;
        }
        Op.Gup g = machine.gupOf(h);
        int p = machine.procOf(h);
        return p >= 0 && w.alive(p) && cache.writeFaultBlocks(w, p, g.vma(), g.page() + k);
    }

    /** Whether releasing holder {@code h} would wait: a bounce page's copy-back waits like a buffered write. */
    boolean releaseBlocks(World w, int h, boolean dirty) {
        if (!dirty || Holder.status(w.holder(h)) != Holder.HELD) {
            return false;
        }
        for (int k = 0; k < w.layout().holderSlots(h); k++) {
            int ref = w.slot(h, k);
            if (Pte.isFolio(ref) && w.test(Pte.folio(ref), Folio.BOUNCE)) {
                int b = Pte.folio(ref);
                int f = Folio.mappingFile(w.mapping(b));
                if (cache.writeBlocks(w, f, Folio.mappingIndex(w.mapping(b)))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The slot's page for a device access; a revocable device whose mapping was invalidated faults it in again. */
    private int deviceRef(World w, int h, int cell, boolean write) {
        int ref = heldRef(w, h, cell);
        if (ref == Pte.NONE && (Holder.flags(w.holder(h)) & Holder.REVOCABLE) != 0) {
            if (!gup.refault(w, h, cell / Folio.CELLS, write)) {
                return -1;
            }
            ref = w.slot(h, cell / Folio.CELLS);
        }
        return ref;
    }

    void dmaWrite(World w, int h, int cell, int value) {
        int ref = deviceRef(w, h, cell, true);
        if (ref < 0) {
            return;
        }
        if ((Holder.flags(w.holder(h)) & Holder.WRITE) == 0) {
            w.raise(Event.RO_DMA_WRITE);
            note("the reference was taken without FOLL_WRITE");
        }
        if (!Pte.isFolio(ref)) {
            note("write to the zero page dropped");
            return;
        }
        int f = Pte.folio(ref);
        if (w.test(f, Folio.FREED)) {
            w.raise(Event.UAF);
        }
        w.setContent(f, Folio.withCell(w.content(f), cell % Folio.CELLS, value));
        note("DMA writes " + value + " into " + folioName(f));
    }

    int dmaRead(World w, int h, int cell) {
        int ref = deviceRef(w, h, cell, false);
        if (ref < 0) {
            return Kernel.NONE;
        }
        return Faults.cellOf(w, ref, cell % Folio.CELLS);
    }

    void release(World w, int h, boolean dirty) {
        int word = w.holder(h);
        if (Holder.status(word) != Holder.HELD) {
            if (Holder.status(word) == Holder.RELEASED) {
                note("already released");
            }
            return;
        }
        use(Rule.RELEASE);
        int flags = Holder.flags(word);
        // A direct-I/O completion dirties only the pages the device wrote: a read (FOLL_WRITE) request.
        boolean makeDirty = dirty && (!dio(h) || (flags & Holder.WRITE) != 0);
        for (int i = 0; i < w.layout().holderSlots(h); i++) {
            int ref = w.slot(h, i);
            if (Pte.isFolio(ref) && w.test(Pte.folio(ref), Folio.BOUNCE)) {
                bounceBack(w, Pte.folio(ref), makeDirty);
            } else if (Pte.isFolio(ref) && makeDirty) {
                w.setFlags(Pte.folio(ref), Folio.DIRTY);
            }
            dropRef(w, ref, flags);
            w.setSlot(h, i, Pte.NONE);
        }
        w.setHolder(h, Holder.make(Holder.RELEASED, flags, 0));
        note(((flags & Holder.PIN) != 0 ? "unpinned" : "put") + (makeDirty ? " after set_page_dirty_lock()" : ""));
        dio.complete(w, h);
    }

    /** Whether holder {@code h} is an O_DIRECT request (its completion dirties only what the device wrote). */
    private boolean dio(int h) {
        Op.Gup g = machine.gupOf(h);
        return g != null && g.via() == Op.Via.DIO;
    }

    /**
     * kara-bounce: set_page_dirty_lock() on a bounce page copies it into the page cache through the filesystem
     * (write_begin: buffers, block; then dirty), so the file shows the device's data from now on.
     */
    private void bounceBack(World w, int b, boolean dirty) {
        if (!dirty) {
            note("bounce page " + folioName(b) + " dropped without set_page_dirty_lock(): its data is discarded");
            return;
        }
        use(Rule.KARA_BOUNCE);
        int f = Folio.mappingFile(w.mapping(b));
        int i = Folio.mappingIndex(w.mapping(b));
        if (i >= cache.size(w, f)) {
            note("bounce page " + folioName(b) + ": the file no longer reaches page " + i);
            return;
        }
        int c = cache.getFolio(w, f, i);
        if (c < 0) {
            return;
        }
        cache.writeFolio(w, f, i, c, w.content(b));
        note("kara-bounce: " + folioName(b) + " copied into the page cache folio " + folioName(c));
    }

    /** Drops one holder reference: 1 for FOLL_GET, the pin bias for FOLL_PIN; the zero page is not counted. */
    void dropRef(World w, int ref, int flags) {
        if (Pte.isFolio(ref)) {
            put(w, Pte.folio(ref), (flags & Holder.PIN) != 0 ? Folio.PIN_BIAS : 1);
        }
    }
}
