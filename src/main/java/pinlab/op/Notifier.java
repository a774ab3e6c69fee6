package pinlab.op;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.Folio;
import pinlab.model.Holder;
import pinlab.model.Pte;
import pinlab.model.World;
import pinlab.policy.Rule;

/**
 * MMU notifiers (mm/mmu_notifier.c) as the revocable proposal uses them: a device mapping registered like ODP
 * holds plain references to the pages of a range of a process; any invalidation of a PTE in that range (zap,
 * COW, write-protection, writeback's folio_mkclean, reclaim's unmap) makes the driver drop its reference, dirtying
 * the page if the mapping was writable. The device's next access faults the page in again ({@link Gup#refault}).
 */
final class Notifier extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.REVOCABLE);

    private final Machine machine;

    Notifier(Kernel owner, Machine machine) {
        super(owner);
        this.machine = machine;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    private static boolean revocable(int word) {
        return Holder.status(word) == Holder.HELD && (Holder.flags(word) & Holder.REVOCABLE) != 0;
    }

    /** invalidate_range_start for page {@code i} of VMA {@code v} of process {@code p}. */
    void invalidate(World w, int p, int v, int i) {
        if (!on(Rule.REVOCABLE)) {
            return;
        }
        for (int h = 0; h < w.layout().holders(); h++) {
            int word = w.holder(h);
            Op.Gup g = machine.gupOf(h);
            if (!revocable(word) || g == null || machine.procOf(h) != p || g.vma() != v) {
                continue;
            }
            int k = i - g.page();
            if (k >= 0 && k < g.count()) {
                revoke(w, h, k);
            }
        }
    }

    /** The invalidation of every mapping of folio {@code c} (folio_mkclean, try_to_unmap). */
    void invalidateFolio(World w, int c) {
        if (!on(Rule.REVOCABLE)) {
            return;
        }
        for (int h = 0; h < w.layout().holders(); h++) {
            if (!revocable(w.holder(h))) {
                continue;
            }
            for (int k = 0; k < w.layout().holderSlots(h); k++) {
                if (w.slot(h, k) == Pte.ofFolio(c)) {
                    revoke(w, h, k);
                }
            }
        }
    }

    private void revoke(World w, int h, int k) {
        int ref = w.slot(h, k);
        if (!Pte.isFolio(ref)) {
            return;
        }
        use(Rule.REVOCABLE);
        int c = Pte.folio(ref);
        if ((Holder.flags(w.holder(h)) & Holder.WRITE) != 0) {
            w.setFlags(c, Folio.DIRTY);
        }
        w.setSlot(h, k, Pte.NONE);
        put(w, c, 1);
        note("MMU notifier: the device drops its mapping of " + folioName(c) + (
                (Holder.flags(w.holder(h)) & Holder.WRITE) != 0 ? " (set_page_dirty)" : ""));
    }
}
