package pinlab.replay;

import java.util.List;
import pinlab.engine.TransitionSystem;
import pinlab.model.FileSystem;
import pinlab.model.Folio;
import pinlab.model.Holder;
import pinlab.model.Layout;
import pinlab.model.World;
import pinlab.scenario.Scenario;
import pinlab.scenario.ScenarioModel;

/**
 * The replay model (the scenario with replay's atomic merges, its disk writing synchronously) restricted to the
 * steps user space can force on the real kernel, one agent command per step:
 * <ul>
 *   <li>an operation the model takes in several steps (fsync over several dirty pages) is one system call, so
 *       nothing else steps until it is done;</li>
 *   <li>an O_DIRECT request on a file runs from submission to completion inside the submitting call, so while
 *       it is held only its device thread steps (its transfer and completion, {@link
 *       ReplayPlan#fileDioDevice});</li>
 *   <li>a daemon step must be one {@link DaemonAction} other than {@link DaemonAction.Impossible};</li>
 *   <li>btrfs writes back a page that was dirtied without page_mkwrite only after its COW-fixup worker has run,
 *       at a moment user space cannot choose (native/test-agent.sh, probe p4b), so no step may do that.</li>
 * </ul>
 * Final states are those of the replay model: a state where only steps user space cannot force remain is not
 * final, so every outcome found here is one the replay model reaches, by a schedule the agent can run.
 */
final class Realisable implements TransitionSystem {
    private final ScenarioModel model;
    private final ReplayPlan plan;
    private final Scenario sc;
    private final Layout lay;
    private final int scenarioThreads;

    /** Restricts {@code model}, the model of {@code plan}'s scenario. */
    Realisable(ScenarioModel model, ReplayPlan plan) {
        this.model = model;
        this.plan = plan;
        this.sc = model.scenario();
        this.lay = model.layout();
        this.scenarioThreads = model.scenarioThreads();
    }

    @Override
    public int[] initial() {
        return model.initial();
    }

    @Override
    public int threads() {
        return model.threads();
    }

    @Override
    public int[] step(int[] state, int t) {
        int[] next = model.step(state, t);
        return next == null || obstacle(state, next, t) != null ? null : next;
    }

    @Override
    public boolean finished(int[] state) {
        for (int t = 0; t < model.threads(); t++) {
            if (model.step(state, t) != null) {
                return false;
            }
        }
        return model.finished(state);
    }

    @Override
    public String stuck(int[] state) {
        return model.stuck(state);
    }

    @Override
    public int violations(int[] state) {
        return model.violations(state);
    }

    @Override
    public String violationName(int bit) {
        return model.violationName(bit);
    }

    @Override
    public Outcome outcome(int[] state) {
        return model.outcome(state);
    }


    /**
     * Returns why the model's schedule cannot be run on the real kernel: its first step user space cannot force,
     * as "step N (ACTOR): reason"; null if every step can be.
     */
    String firstObstacle(List<Integer> schedule) {
        int[] state = model.initial();
        List<String> actors = model.threadNames();
        for (int k = 0; k < schedule.size(); k++) {
            int t = schedule.get(k);
            int[] next = model.step(state, t);
            String why = obstacle(state, next, t);
            if (why != null) {
                return "step " + (k + 1) + " (" + actors.get(t) + "): " + why;
            }
            state = next;
        }
        return null;
    }

    /** Whether a scenario thread other than {@code t} is in the middle of a multi-step operation. */
    private boolean busyOtherThan(World w, int t) {
        for (int u = 0; u < scenarioThreads; u++) {
            if (u != t && w.sub(u) != 0) {
                return true;
            }
        }
        return false;
    }

    /** Why the step of actor {@code t} from {@code before} to {@code after} cannot be forced, or null. */
    private String obstacle(int[] before, int[] after, int t) {
        World w = World.view(lay, before);
        if (busyOtherThan(w, t)) {
            return "another thread is inside a system call that the model takes in several steps";
        }
        String dio = fileDioInFlight(w, t);
        if (dio != null) {
            return dio;
        }
        if (t >= scenarioThreads) {
            DaemonAction a = DaemonAction.of(sc, lay, t - scenarioThreads, before, after);
            if (a instanceof DaemonAction.Impossible i) {
                return i.reason();
            }
        }
        return btrfsFixup(World.view(lay, before), World.view(lay, after));
    }

    /** Why actor {@code t} cannot step while an O_DIRECT request on a file is held, or null. */
    private String fileDioInFlight(World w, int t) {
        for (int h = 0; h < lay.holders(); h++) {
            int device = plan.fileDioDevice(h);
            if (device >= 0 && device != t && Holder.status(w.holder(h)) == Holder.HELD) {
                return "the O_DIRECT request of " + sc.holders().get(h).name() + " is in flight; on a real file"
                        + " system it runs from submission to completion inside the submitting call";
            }
        }
        return null;
    }

    /** A btrfs page dirtied without page_mkwrite (no fs-private state) that the step wrote back, or null. */
    private String btrfsFixup(World w0, World w1) {
        for (int f = 0; f < lay.files(); f++) {
            if (sc.files().get(f).fs() != FileSystem.BTRFS) {
                continue;
            }
            for (int i = 0; i < lay.filePages(f); i++) {
                int c0 = DaemonAction.cached(w0, f, i);
                int c1 = DaemonAction.cached(w1, f, i);
                if (c0 >= 0 && c1 >= 0 && w0.test(c0, Folio.DIRTY) && !w0.test(c0, Folio.PRIVATE)
                        && !w1.test(c1, Folio.DIRTY)) {
                    return "btrfs writes back " + sc.files().get(f).name() + " page " + i + ", dirtied without"
                            + " page_mkwrite, only after its COW-fixup worker has run, at a moment user space"
                            + " cannot choose (the next fsync usually leaves it dirty)";
                }
            }
        }
        return null;
    }
}
