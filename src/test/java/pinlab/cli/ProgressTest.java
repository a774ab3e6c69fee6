package pinlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import pinlab.engine.Explorer;
import pinlab.engine.Limits;
import pinlab.engine.Progress;
import pinlab.engine.SearchResult;
import pinlab.policy.Policies;
import pinlab.scenario.Parser;
import pinlab.scenario.ScenarioModel;

/** Progress of long searches: how far the level is, and only the estimates that can be made. */
class ProgressTest {
    @Test
    void theSearchReportsItsLevel_andHowMuchOfItIsExpanded() throws Exception {
        ScenarioModel m = new ScenarioModel(Parser.parse("bench.pin", Benchmark.generate(4, 4)),
                Policies.byName("linux-6.18"));
        List<long[]> calls = new ArrayList<>();
        Progress p = new Progress() {
            @Override
            public void update(long states, long transitions, int depth, long queue, long expanded, double secs) {
                calls.add(new long[] {states, transitions, depth, queue, expanded});
            }

            @Override
            public double intervalSeconds() {
                return 0.1;
            }
        };
        SearchResult r = new Explorer(m, new Limits(0, 0).withWorkers(1).withPor(false), p).run();
        assertTrue(r.complete());
        assertTrue(!calls.isEmpty(), "a search of " + r.states() + " states reports at 0.1 s");
        long lastStates = 0;
        for (long[] c : calls) {
            assertTrue(c[4] >= 0 && c[4] <= c[3], "expanded within the level: " + java.util.Arrays.toString(c));
            assertTrue(c[0] >= lastStates && c[0] <= r.states(), "states grow and stay within the total");
            assertTrue(c[2] >= 0 && c[2] <= r.maxDepth());
            lastStates = c[0];
        }
    }

    @Test
    void theLine_saysTheLevelsShare_andEstimatesOnlyWhatItCan() {
        Main.ProgressLine none = new Main.ProgressLine(Limits.NONE);
        String first = none.text(1000, 2000, 7, 400, 100, 10);
        assertEquals("1,000 states, 2,000 transitions, 10 s (100 states/s); level 7: 25% of its 400 states", first);
        // 100 more of the level's 400 in 10 s: the remaining 200 take about 20 s
        assertEquals("1,500 states, 3,000 transitions, 20 s (75 states/s); level 7: 50% of its 400 states, about"
                + " 20 s left in it", none.text(1500, 3000, 7, 400, 200, 20));
        // a new level starts its own estimate
        assertTrue(none.text(1600, 3100, 8, 900, 0, 21).endsWith("level 8: 0% of its 900 states"));
        Main.ProgressLine limited = new Main.ProgressLine(new Limits(10_000, 600));
        assertEquals("1,000 states, 0 transitions, 10 s (100 states/s); level 3: 100% of its 0 states; the state"
                + " limit in about 90 s; the time limit in 10 min",
                limited.text(1000, 0, 3, 0, 0, 10));
        assertEquals("2.0 h", Main.ProgressLine.duration(7200));
    }
}
