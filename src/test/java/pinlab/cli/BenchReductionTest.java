package pinlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import pinlab.engine.Explorer;
import pinlab.engine.Limits;
import pinlab.engine.SearchResult;
import pinlab.policy.Policies;
import pinlab.scenario.Parser;
import pinlab.scenario.ScenarioException;
import pinlab.scenario.ScenarioModel;

/** The bench scenario keeps its outcomes, violations and traces under partial-order reduction. */
class BenchReductionTest {
    @Test
    void benchScenarios_keepOutcomesAndViolations_withFarFewerTransitions() throws ScenarioException {
        Limits full = new Limits(0, 0).withWorkers(1).withPor(false);
        Limits reduced = new Limits(0, 0).withWorkers(1);
        for (int[] size : new int[][] {{3, 3}, {3, 4}, {4, 3}}) {
            String text = Benchmark.generate(size[0], size[1]);
            for (String pol : List.of("linux-6.18", "linux-5.9", "linux-2.6")) {
                ScenarioModel m = new ScenarioModel(Parser.parse("bench.pin", text), Policies.byName(pol));
                SearchResult f = new Explorer(m, full).run();
                SearchResult r = new Explorer(m, reduced).run();
                String what = size[0] + "x" + size[1] + " under " + pol;
                assertEquals(List.of(f.finalStates(), f.positive(), f.negative(), f.violations()).toString(),
                        List.of(r.finalStates(), r.positive(), r.negative(), r.violations()).toString(), what);
                f.outcomes().forEach((k, o) -> {
                    SearchResult.OutcomeStats x = r.outcomes().get(k);
                    assertEquals(List.of(o.count(), o.satisfied(), o.tags(), o.schedule().size()),
                            List.of(x.count(), x.satisfied(), x.tags(), x.schedule().size()), what + " " + k);
                });
                assertEquals(f.outcomes().keySet(), r.outcomes().keySet(), what);
                assertTrue(r.transitions() * 3 < f.transitions() * 2, what + ": " + r.transitions() + " of "
                        + f.transitions() + " transitions");
            }
        }
    }
}
