package pinlab;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import pinlab.engine.Explorer;
import pinlab.engine.Limits;
import pinlab.engine.Progress;
import pinlab.engine.SearchResult;
import pinlab.model.Event;
import pinlab.policy.Policy;
import pinlab.report.CheckResult;
import pinlab.report.Trace;
import pinlab.scenario.Condition;
import pinlab.scenario.Observation;
import pinlab.scenario.Scenario;
import pinlab.scenario.ScenarioModel;

/** The one Java entry point: checks a scenario under a policy and returns the result value. */
public final class Pinlab {
    private Pinlab() {}

    /**
     * Explores every interleaving of {@code scenario} under {@code policy}.
     *
     * @param allTraces whether to rebuild the shortest trace to every outcome, not just the witness
     */
    public static CheckResult check(Scenario scenario, Policy policy, Limits limits, boolean allTraces) {
        return check(scenario, policy, limits, allTraces, Progress.NONE);
    }

    /** Like {@link #check(Scenario, Policy, Limits, boolean)}, reporting progress of long searches. */
    public static CheckResult check(Scenario scenario, Policy policy, Limits limits, boolean allTraces,
            Progress progress) {
        ScenarioModel model = new ScenarioModel(scenario, policy);
        SearchResult r = new Explorer(model, limits, progress).run();
        Scenario.Expectation exp = scenario.expectationFor(policy.name());
        Set<String> expectedViolations = exp == null ? Set.of() : new HashSet<>(exp.violations());

        List<CheckResult.OutcomeRow> outcomes = new ArrayList<>();
        Condition.Quantifier q = scenario.condition().quantifier();
        boolean wantSatisfied = q != Condition.Quantifier.FORALL;
        Map.Entry<String, SearchResult.OutcomeStats> witness = null;
        for (Map.Entry<String, SearchResult.OutcomeStats> e : r.outcomes().entrySet()) {
            SearchResult.OutcomeStats s = e.getValue();
            outcomes.add(new CheckResult.OutcomeRow(e.getKey(), s.count(), s.satisfied(),
                    allTraces ? model.replay(s.schedule()) : null));
            if (s.satisfied() == wantSatisfied
                    && (witness == null || s.schedule().size() < witness.getValue().schedule().size())) {
                witness = e;
            }
        }
        List<CheckResult.ViolationRow> violations = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> e : r.violations().entrySet()) {
            Event ev = Event.byId(e.getKey());
            String desc = ev == null ? "stall: no thread can step, yet some have not finished" : ev.description();
            violations.add(new CheckResult.ViolationRow(e.getKey(), desc, expectedViolations.contains(e.getKey()),
                    model.replay(e.getValue())));
        }
        Observation obs = Observation.of(r.positive(), r.negative());
        Boolean matches = null;
        CheckResult.Expected expected = null;
        if (exp != null) {
            expected = new CheckResult.Expected(exp.observation().word(), exp.violations(), exp.line());
            Set<String> found = new HashSet<>(r.violations().keySet());
            matches = r.complete() && obs == exp.observation() && found.equals(expectedViolations);
        }
        Trace witnessTrace = witness == null ? null : model.replay(witness.getValue().schedule());
        return new CheckResult(scenario.name(), scenario.file(), scenario.title(), scenario.sources(), policy.name(),
                scenario.condition().text(), q.word(), obs.word(), r.positive(), r.negative(), List.copyOf(outcomes),
                List.copyOf(violations), witnessTrace, expected, matches, r.complete(), r.stopReason(), r.states(),
                r.transitions(), r.finalStates(), r.maxDepth(), r.nanos() / 1_000_000, r.collisionProbability());
    }
}
