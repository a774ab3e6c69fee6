package pinlab.replay;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import pinlab.engine.Explorer;
import pinlab.engine.Limits;
import pinlab.engine.SearchResult;
import pinlab.policy.Policy;
import pinlab.report.ReplayResult;
import pinlab.scenario.Scenario;
import pinlab.scenario.ScenarioModel;

/**
 * Replays a scenario on the machine's kernel: the model (restricted to what the kernel can be made to do step
 * by step) gives the shortest schedule to each outcome; each schedule runs on the real kernel through the
 * agent, and its outcome and page identities are compared with the model's prediction.
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
        if (!plan.replayable()) {
            List<String> why = new ArrayList<>();
            for (ReplayPlan.Problem p : plan.problems()) {
                why.add((p.line() > 0 ? "line " + p.line() + ": " : "") + p.what() + ": " + p.reason());
            }
            return new ReplayResult(sc.name(), sc.file(), policy.name(), kernel, why, List.of(), List.of(), 0, 0);
        }
        ScenarioModel model = new ScenarioModel(plan.scenario(), policy);
        SearchResult restricted = new Explorer(model, Limits.NONE).run();
        SearchResult full = new Explorer(new ScenarioModel(sc, policy), Limits.NONE).run();
        List<String> unreached = new ArrayList<>();
        for (String o : full.outcomes().keySet()) {
            if (!restricted.outcomes().containsKey(o)) {
                unreached.add(o);
            }
        }
        List<ReplayResult.Run> runs = new ArrayList<>();
        int agree = 0;
        int disagree = 0;
        int n = 0;
        for (Map.Entry<String, SearchResult.OutcomeStats> e : restricted.outcomes().entrySet()) {
            if (n++ >= limit) {
                break;
            }
            List<Integer> schedule = e.getValue().schedule();
            Map<String, String> modelPages = Executor.modelPages(plan.scenario(), model.finalWorld(schedule));
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
                ok &= real.outcome().equals(e.getKey()) && real.pages().equals(modelPages);
            }
            runs.add(new ReplayResult.Run(e.getKey(), seen, modelPages, firstPages, ok, model.replay(schedule),
                    List.copyOf(notes)));
            if (ok) {
                agree++;
            } else {
                disagree++;
            }
        }
        return new ReplayResult(sc.name(), sc.file(), policy.name(), kernel, List.of(), runs, unreached, agree,
                disagree);
    }

    private static String kernelRelease() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (java.io.IOException e) {
            return System.getProperty("os.version");
        }
    }
}
