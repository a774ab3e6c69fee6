package pinlab.op;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.Folio;
import pinlab.model.Holder;
import pinlab.model.Pte;
import pinlab.model.World;
import pinlab.policy.Rule;

/**
 * The reverse-map bookkeeping of anonymous pages (mm/rmap.c): whether PG_anon_exclusive is kept the way 5.19+
 * needs it, "GUP is only allowed to take a pin on anonymous pages that are exclusive".
 */
final class Rmap extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.ANON_EXCLUSIVE_FLAG);

    Rmap(Kernel owner) {
        super(owner);
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    /**
     * Returns whether every FOLL_PIN and every writable PTE on an anonymous page is on a PageAnonExclusive page
     * (checked only for policies that track the flag).
     */
    boolean anonExclusiveHolds(World w) {
        if (!on(Rule.ANON_EXCLUSIVE_FLAG)) {
            return true;
        }
        for (int h = 0; h < w.layout().holders(); h++) {
            int word = w.holder(h);
            if (Holder.status(word) != Holder.HELD || (Holder.flags(word) & Holder.PIN) == 0) {
                continue;
            }
            for (int i = 0; i < w.layout().holderSlots(h); i++) {
                int ref = w.slot(h, i);
                if (Pte.isFolio(ref) && isNonExclusiveAnon(w, Pte.folio(ref))) {
                    return false;
                }
            }
        }
        for (int p = 0; p < w.layout().processes(); p++) {
            for (int v = 0; v < w.layout().vmas(); v++) {
                for (int i = 0; i < w.layout().vmaPages(v); i++) {
                    int pte = w.pte(p, v, i);
                    if (Pte.writable(pte) && Pte.isFolio(Pte.ref(pte))
                            && isNonExclusiveAnon(w, Pte.folio(Pte.ref(pte)))) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    private static boolean isNonExclusiveAnon(World w, int f) {
        return w.test(f, Folio.ANON) && !w.test(f, Folio.ANON_EXCLUSIVE) && !w.test(f, Folio.FREED);
    }
}
