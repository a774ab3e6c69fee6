package pinlab.op;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.Folio;
import pinlab.model.Holder;
import pinlab.model.Pte;
import pinlab.model.World;
import pinlab.policy.Rule;

/**
 * The reverse map (mm/rmap.c): walking every PTE that maps a folio, to write-protect and clean them
 * (folio_mkclean) or to remove them (try_to_unmap, unmap_mapping_folio); and the PG_anon_exclusive invariant 5.19+
 * needs, "GUP is only allowed to take a pin on anonymous pages that are exclusive".
 */
final class Rmap extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.ANON_EXCLUSIVE_FLAG);

    private Notifier notifier;

    Rmap(Kernel owner) {
        super(owner);
    }

    void wire(Notifier n) {
        this.notifier = n;
    }

    /**
     * folio_mkclean(): makes every PTE that maps folio {@code c} read-only and clean, after the MMU notifiers
     * (revocable device mappings) have been told. Returns whether any PTE was dirty.
     */
    boolean mkclean(World w, int c) {
        notifier.invalidateFolio(w, c);
        boolean dirty = false;
        for (int p = 0; p < w.layout().processes(); p++) {
            for (int v = 0; v < w.layout().vmas(); v++) {
                for (int i = 0; i < w.layout().vmaPages(v); i++) {
                    int pte = w.pte(p, v, i);
                    if (Pte.present(pte) && Pte.ref(pte) == Pte.ofFolio(c)) {
                        dirty |= Pte.dirty(pte);
                        w.setPte(p, v, i, pte & ~(Pte.WRITE | Pte.DIRTY));
                    }
                }
            }
        }
        return dirty;
    }

    /**
     * try_to_unmap() / unmap_mapping_folio(): removes every PTE that maps folio {@code c}; a dirty PTE dirties the
     * folio. Returns how many PTEs were removed.
     */
    int unmapFolio(World w, int c) {
        notifier.invalidateFolio(w, c);
        int n = 0;
        for (int p = 0; p < w.layout().processes(); p++) {
            for (int v = 0; v < w.layout().vmas(); v++) {
                for (int i = 0; i < w.layout().vmaPages(v); i++) {
                    int pte = w.pte(p, v, i);
                    if (Pte.present(pte) && Pte.ref(pte) == Pte.ofFolio(c)) {
                        if (Pte.dirty(pte)) {
                            w.setFlags(c, Folio.DIRTY);
                        }
                        w.setPte(p, v, i, 0);
                        w.addMap(c, -1);
                        put(w, c, 1);
                        n++;
                    }
                }
            }
        }
        return n;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    /** Whether the policy tracks PageAnonExclusive (see {@code World.checkingAnonExclusive}). */
    boolean tracksAnonExclusive() {
        return on(Rule.ANON_EXCLUSIVE_FLAG);
    }
}
