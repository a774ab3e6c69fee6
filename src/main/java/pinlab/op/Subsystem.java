package pinlab.op;

import java.util.Set;
import pinlab.model.World;
import pinlab.policy.Policy;
import pinlab.policy.Rule;

/**
 * One part of the kernel model, as the kernel divides the work between its source files. A subsystem names the
 * rules it uses ({@link #rules()}); {@link #use} refuses, under assertions, a rule the subsystem did not name, so
 * that the list stays the truth about where each rule is decided.
 */
abstract class Subsystem {
    private final boolean[] enabled;
    private final Kernel owner;

    // Rules are tested at every decision of every step: an array indexed by ordinal, built once per kernel.
    @SuppressWarnings("EnumOrdinal")
    Subsystem(Kernel owner) {
        this.owner = owner;
        Policy pol = owner.policy();
        this.enabled = new boolean[Rule.values().length];
        for (Rule r : pol.rules()) {
            enabled[r.ordinal()] = true;
        }
    }

    /** Returns the rules this subsystem decides with. */
    abstract Set<Rule> rules();

    /** Returns whether the policy enables {@code r}. */
    @SuppressWarnings("EnumOrdinal")
    final boolean on(Rule r) {
        return enabled[r.ordinal()];
    }

    /** Reports that {@code r} decided part of the step. */
    final void use(Rule r) {
        assert rules().contains(r) : getClass().getSimpleName() + " does not name rule " + r.id();
        owner.recorder().rule(r);
    }

    /** Reports what happened, in words (only built when someone listens). */
    final void note(String s) {
        Kernel.Recorder rec = owner.recorder();
        if (rec.active()) {
            rec.note(s);
        }
    }

    /** Returns whether notes are wanted, so callers can skip building them. */
    final boolean noting() {
        return owner.recorder().active();
    }

    /** Drops {@code n} references on folio {@code f}; at zero it is freed. */
    final void put(World w, int f, int n) {
        w.addRef(f, -n);
        if (w.test(f, pinlab.model.Folio.FREED)) {
            note(Kernel.folioName(f) + " freed");
        }
    }

    /**
     * Takes folio {@code c} out of the page cache at page {@code i} of file {@code f} and drops the cache's
     * reference (__filemap_remove_folio() and the folio_put() that follows it); at zero it is freed.
     */
    final void removeFromCache(World w, int f, int i, int c) {
        w.setCacheSlot(f, i, pinlab.model.Pte.NONE);
        w.clearFlags(c, pinlab.model.Folio.PAGECACHE);
        w.setMapping(c, 0);
        put(w, c, 1);
    }

    static String folioName(int f) {
        return Kernel.folioName(f);
    }
}
