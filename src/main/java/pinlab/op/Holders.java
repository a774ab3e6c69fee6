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
    private static final Set<Rule> RULES = EnumSet.of(Rule.DMA, Rule.RELEASE);

    Holders(Kernel owner) {
        super(owner);
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
            w.raise(Event.DMA_AFTER_RELEASE);
            note("DMA after the references were released");
            return -1;
        }
        return w.slot(h, cell / Folio.CELLS);
    }

    void dmaWrite(World w, int h, int cell, int value) {
        int ref = heldRef(w, h, cell);
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
        int ref = heldRef(w, h, cell);
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
        for (int i = 0; i < w.layout().holderSlots(h); i++) {
            int ref = w.slot(h, i);
            if (Pte.isFolio(ref) && dirty) {
                w.setFlags(Pte.folio(ref), Folio.DIRTY);
            }
            dropRef(w, ref, flags);
            w.setSlot(h, i, Pte.NONE);
        }
        w.setHolder(h, Holder.make(Holder.RELEASED, flags, 0));
        note(((flags & Holder.PIN) != 0 ? "unpinned" : "put") + (dirty ? " after set_page_dirty_lock()" : ""));
    }

    /** Drops one holder reference: 1 for FOLL_GET, the pin bias for FOLL_PIN; the zero page is not counted. */
    void dropRef(World w, int ref, int flags) {
        if (Pte.isFolio(ref)) {
            put(w, Pte.folio(ref), (flags & Holder.PIN) != 0 ? Folio.PIN_BIAS : 1);
        }
    }
}
