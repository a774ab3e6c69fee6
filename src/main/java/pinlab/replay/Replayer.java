package pinlab.replay;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import pinlab.engine.Explorer;
import pinlab.engine.Limits;
import pinlab.engine.SearchResult;
import pinlab.model.Event;
import pinlab.policy.Policies;
import pinlab.policy.Policy;
import pinlab.report.ReplayResult;
import pinlab.report.ReplayStress;
import pinlab.scenario.Scenario;
import pinlab.scenario.ScenarioModel;

/**
 * Replays a scenario on the machine's kernel. The replay model is the scenario with replay's atomic merges
 * ({@link ReplayPlan}) whose disk completes each writeback write in the step that submits it (user space can only
 * ask for writeback that waits). Each of its outcomes is replayed through the shortest schedule to it that user
 * space can force ({@link Realisable}); the real outcome and page identities are compared with the model's
 * prediction. An outcome with no such schedule is reported as not realisable, and outcomes only the full model
 * reaches as unreached.
 */
public final class Replayer {
    private final java.nio.file.Path agentBinary;
    private final long stepTimeoutMs;

    /** Creates a replayer; {@link Agent#prepare()} gives the binary. */
    public Replayer(java.nio.file.Path agentBinary, long stepTimeoutMs) {
        this.agentBinary = agentBinary;
        this.stepTimeoutMs = stepTimeoutMs;
    }

    /** Replays up to {@code limit} outcome schedules, each {@code repeat} times. */
    public ReplayResult replay(Scenario sc, Policy policy, int limit, int repeat) throws AgentException {
        ReplayPlan plan = ReplayPlan.of(sc);
        String kernel = kernelRelease();
        List<String> why = refusals(sc, plan);
        if (!why.isEmpty()) {
            return new ReplayResult(sc.name(), sc.file(), policy.name(), kernel, why, List.of(), List.of(), 0, 0);
        }
        ScenarioModel model = new ScenarioModel(plan.scenario(), policy, true);
        SearchResult restricted = explore(model);
        Realisable forceable = new Realisable(model, plan);
        SearchResult realisable = explore(forceable);
        List<String> unreached = new ArrayList<>(explore(new ScenarioModel(sc, policy)).outcomes().keySet());
        unreached.removeAll(restricted.outcomes().keySet());
        List<ReplayResult.Run> runs = new ArrayList<>();
        for (Map.Entry<String, SearchResult.OutcomeStats> e : restricted.outcomes().entrySet()) {
            if (runs.size() >= limit) {
                break;
            }
            SearchResult.OutcomeStats forced = realisable.outcomes().get(e.getKey());
            runs.add(forced == null ? notRealisable(model, forceable, e.getKey(), e.getValue().schedule())
                    : run(plan, model, e.getKey(), forced.schedule(), repeat));
        }
        int agree = (int) runs.stream().filter(r -> r.replayed() && r.agree()).count();
        int disagree = (int) runs.stream().filter(r -> r.replayed() && !r.agree()).count();
        return new ReplayResult(sc.name(), sc.file(), policy.name(), kernel, List.of(), runs, unreached, agree,
                disagree);
    }

    /**
     * Runs the scenario {@code n} times free (no barriers: each thread's operations back to back, released
     * together; with {@code spread} on every CPU rather than the agent's one) and collects the real outcomes, against every outcome the full model reaches under
     * {@code policy}. A scenario that is not replayable, or whose steps need the agent between them, gets the
     * reasons instead.
     */
    public ReplayStress stress(Scenario sc, Policy policy, int n, boolean spread) throws AgentException {
        ReplayPlan plan = ReplayPlan.of(sc);
        List<String> why = refusals(sc, plan);
        if (why.isEmpty()) {
            String obstacle = Executor.freeRunObstacle(plan);
            if (obstacle != null) {
                why.add("no free runs: " + obstacle);
            }
        }
        if (!why.isEmpty()) {
            return new ReplayStress(sc.name(), policy.name(), why, 0, spread, Map.of(), Map.of(), Map.of(), List.of(),
                    hostModel(policy));
        }
        ScenarioModel model = new ScenarioModel(plan.scenario(), policy, true);
        Map<String, Boolean> predicted = new TreeMap<>();
        explore(new ScenarioModel(sc, policy)).outcomes().forEach((k, v) -> predicted.put(k, v.satisfied()));
        Map<String, Integer> histogram = new TreeMap<>();
        Map<String, Boolean> satisfied = new TreeMap<>();
        java.util.Set<String> notes = new java.util.LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
            Executor.RealRun real;
            try (Agent agent = Agent.start(agentBinary, stepTimeoutMs)) {
                real = new Executor(agent, plan, model).runFree(spread);
            }
            histogram.merge(real.outcome(), 1, Integer::sum);
            satisfied.put(real.outcome(), real.satisfied());
            notes.addAll(real.notes());
        }
        return new ReplayStress(sc.name(), policy.name(), List.of(), n, spread, histogram, satisfied, predicted,
                List.copyOf(notes), hostModel(policy));
    }

    /** Why the scenario is not replayed at all: the plan's problems, else a kernel BUG the host's model reaches. */
    private static List<String> refusals(Scenario sc, ReplayPlan plan) {
        List<String> why = new ArrayList<>();
        for (ReplayPlan.Problem p : plan.problems()) {
            why.add((p.line() > 0 ? "line " + p.line() + ": " : "") + p.what() + ": " + p.reason());
        }
        String bug = why.isEmpty() ? kernelBug(sc, Policies.host()) : null;
        if (bug != null) {
            why.add(bug);
        }
        return why;
    }

    private static SearchResult explore(pinlab.engine.TransitionSystem ts) {
        return new Explorer(ts, Limits.NONE).run();
    }

    /**
     * Returns why the scenario must not run on this machine: the model of its kernel ({@code host}) reaches a
     * kernel BUG in some run, which could crash the machine; null otherwise.
     */
    static String kernelBug(Scenario sc, Policy host) {
        for (Map.Entry<String, SearchResult.OutcomeStats> e : explore(new ScenarioModel(sc, host)).outcomes()
                .entrySet()) {
            if ((e.getValue().tags() & Event.KERNEL_BUG.bit()) != 0) {
                return "the " + host.name() + " model reaches a kernel BUG (" + e.getKey() + "): replaying it could"
                        + " crash this machine";
            }
        }
        return null;
    }

    /** An outcome no schedule user space can force reaches: the model's own schedule and its first obstacle. */
    private static ReplayResult.Run notRealisable(ScenarioModel model, Realisable forceable, String outcome,
            List<Integer> schedule) {
        String why = forceable.firstObstacle(schedule);
        return new ReplayResult.Run(outcome, Map.of(), Map.of(), Map.of(), false, model.replay(schedule), List.of(),
                why == null ? "no schedule to it can be forced" : why);
    }

    /** Runs one schedule {@code repeat} times on a fresh agent each time and compares it with the model. */
    private ReplayResult.Run run(ReplayPlan plan, ScenarioModel model, String outcome, List<Integer> schedule,
            int repeat) throws AgentException {
        Map<String, String> modelPages = Executor.modelPages(plan, model.finalWorld(schedule));
        Map<String, Integer> seen = new LinkedHashMap<>();
        Map<String, String> firstPages = null;
        List<String> notes = new ArrayList<>();
        boolean ok = true;
        for (int r = 0; r < repeat; r++) {
            Executor.RealRun real;
            try (Agent agent = Agent.start(agentBinary, stepTimeoutMs)) {
                real = new Executor(agent, plan, model).run(schedule);
            }
            seen.merge(real.outcome(), 1, Integer::sum);
            if (firstPages == null) {
                firstPages = real.pages();
                notes.addAll(real.notes());
            }
            ok &= real.outcome().equals(outcome) && real.pages().equals(modelPages);
        }
        return new ReplayResult.Run(outcome, seen, modelPages, firstPages, ok, model.replay(schedule),
                List.copyOf(notes), null);
    }

    private static String kernelRelease() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (java.io.IOException e) {
            return System.getProperty("os.version");
        }
    }

    /** Whether {@code policy} is this machine's kernel's model ({@code --policy host}, the default). */
    static boolean hostModel(pinlab.policy.Policy policy) {
        return policy.name().equals(pinlab.policy.Policies.host().name());
    }
}
