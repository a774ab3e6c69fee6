package pinlab.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import pinlab.policy.Policies;
import pinlab.policy.Policy;
import pinlab.scenario.Corpus;
import pinlab.scenario.Generator;
import pinlab.scenario.Parser;
import pinlab.scenario.ScenarioException;
import pinlab.scenario.ScenarioModel;

/**
 * Partial-order reduction keeps what a search reports: the same final states and outcome counts, the same
 * violations with the same traces, and outcome traces of the same length, on the corpus and on generated
 * scenarios, for any worker count.
 */
class ReductionTest {
    private static final Limits FULL = new Limits(0, 0).withWorkers(1).withPor(false);
    private static final Limits REDUCED = new Limits(0, 0).withWorkers(1);

    /** What the reduction must not change. */
    private static String verdict(SearchResult r) {
        List<Object> out = new ArrayList<>(List.of(r.finalStates(), r.positive(), r.negative(), r.markedFinals(),
                r.violations(), r.complete()));
        for (Map.Entry<String, SearchResult.OutcomeStats> e : r.outcomes().entrySet()) {
            SearchResult.OutcomeStats s = e.getValue();
            out.add(List.of(e.getKey(), s.count(), s.satisfied(), s.tags(), s.schedule().size()));
        }
        return out.toString();
    }

    private static long[] compare(ScenarioModel m, String what) {
        SearchResult full = new Explorer(m, FULL).run();
        Explorer ex = new Explorer(m, REDUCED);
        SearchResult red = ex.run();
        assertEquals(verdict(full), verdict(red), what);
        assertTrue(red.states() <= full.states() && red.transitions() <= full.transitions(), what);
        return new long[] {full.states(), red.states(), ex.reducedStates()};
    }

    @Test
    void corpus_underEveryPolicy_keepsOutcomesAndViolations() throws ScenarioException {
        long full = 0;
        long red = 0;
        for (Corpus.Entry e : Corpus.bundled()) {
            for (Policy p : Policies.all()) {
                ScenarioModel m;
                try {
                    m = new ScenarioModel(Parser.parse(e.file(), e.text()), p);
                } catch (ScenarioModel.SetupBlocked x) {
                    continue;
                }
                long[] c = compare(m, e.file() + " under " + p.name());
                full += c[0];
                red += c[1];
            }
        }
        assertTrue(red < full, "the corpus gets some reduction: " + red + " of " + full + " states");
    }

    @Test
    void generatedAnonymousScenarios_keepOutcomesAndViolations_andMostAreReduced() throws ScenarioException {
        Generator.Bounds anon = new Generator.Bounds(4, 4, 2, false, false);
        int checked = 0;
        int reduced = 0;
        long full = 0;
        long red = 0;
        for (long seed = 0; seed < 400; seed++) {
            String text = Generator.generate(seed, anon);
            for (String pol : List.of("linux-6.18", "linux-5.9", "linux-2.6")) {
                ScenarioModel m;
                try {
                    m = new ScenarioModel(Parser.parse(Generator.name(seed) + ".pin", text), Policies.byName(pol));
                } catch (ScenarioModel.SetupBlocked x) {
                    continue;
                }
                long[] c = compare(m, "seed " + seed + " under " + pol + "\n" + text);
                checked++;
                reduced += c[2] > 0 ? 1 : 0;
                full += c[0];
                red += c[1];
            }
        }
        assertTrue(checked > 900, "most generated setups run: " + checked);
        // most generated scenarios use an operation the footprints leave unclassified (fork, mremap, KSM,
        // GUP-fast, direct I/O, remote access): those searches are full ones
        assertTrue(reduced >= 60, reduced + " of " + checked + " searches were reduced");
        assertTrue(red < full, "fewer states: " + red + " of " + full);
    }

    @Test
    void reducedSearch_isTheSameOnOneAndThreeWorkers() throws ScenarioException {
        Generator.Bounds anon = new Generator.Bounds(4, 4, 2, false, false);
        for (long seed = 0; seed < 60; seed++) {
            String text = Generator.generate(seed, anon);
            ScenarioModel m;
            try {
                m = new ScenarioModel(Parser.parse(Generator.name(seed) + ".pin", text), Policies.byName("linux-6.18"));
            } catch (ScenarioModel.SetupBlocked x) {
                continue;
            }
            SearchResult one = new Explorer(m, REDUCED, Progress.NONE, Integer.MAX_VALUE, 0).run();
            SearchResult three = new Explorer(m, REDUCED.withWorkers(3), Progress.NONE, 1, 200).run();
            assertEquals(List.of(one.states(), one.transitions(), one.outcomes(), one.violations(), one.maxDepth())
                    .toString(), List.of(three.states(), three.transitions(), three.outcomes(), three.violations(),
                            three.maxDepth()).toString(), "seed " + seed);
        }
    }

    @Test
    void persistentSet_growsByClashesWithFutureSteps() {
        // resources: bit 0 = x, bit 1 = y, bit 2 = z
        long[] nowR = {0, 1, 0};
        long[] nowW = {1, 0, 4};
        long[] laterR = {0, 1, 0};
        long[] laterW = {1, 2, 4};
        // thread 0 writes x, which thread 1 reads later; thread 2 touches only z: {2} alone is persistent
        assertEquals(1L << 2, PersistentSet.choose(3, 7, 7, nowR, nowW, laterR, laterW));
        // if thread 2 writes x now as well, every closure is all three threads: nothing to reduce
        assertEquals(Reduction.ALL, PersistentSet.choose(3, 7, 7, nowR, new long[] {1, 0, 5}, laterR,
                new long[] {1, 2, 5}));
        // thread 1 is finished (not active): thread 0 alone is persistent, and it comes first
        assertEquals(1L, PersistentSet.choose(3, 5, 5, nowR, nowW, laterR, laterW));
        // thread 1 cannot step; its guard reads y. Thread 0 writes x, which thread 1 reads later, so 1 joins;
        // nobody writes y, so nobody else is needed to enable it: {0} (the first seed of size 1)
        long[] guardR = {0, 2, 0};
        assertEquals(1L, PersistentSet.choose(3, 7, 5, guardR, nowW, laterR, new long[] {1, 0, 4}));
        // if thread 2 may write y later, it can enable thread 1 and joins that set; {2} alone is smaller
        assertEquals(4L, PersistentSet.choose(3, 7, 5, guardR, nowW, laterR, new long[] {1, 0, 6}));
        // one enabled thread: nothing to reduce
        assertEquals(Reduction.ALL, PersistentSet.choose(3, 7, 4, nowR, nowW, laterR, laterW));
    }
}
