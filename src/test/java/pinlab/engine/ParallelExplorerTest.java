package pinlab.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import pinlab.policy.Policies;
import pinlab.scenario.Generator;
import pinlab.scenario.Parser;
import pinlab.scenario.ScenarioException;
import pinlab.scenario.ScenarioModel;

/**
 * The level-synchronous search gives the same result on any number of workers, and the right one: exact counts
 * and least-switching shortest schedules on a system whose answers are known, and field-for-field equality of
 * one and several workers on generated scenarios, with every level forced through the parallel merge.
 */
class ParallelExplorerTest {

    /** N counters 0..K, thread t increments counter t; thread 0 may not step while counter 1 is odd if gated. */
    private record Lattice(int n, int k, boolean gated) implements TransitionSystem {
        @Override
        public int[] initial() {
            return new int[n];
        }

        @Override
        public int threads() {
            return n;
        }

        @Override
        public int[] step(int[] s, int t) {
            if (s[t] == k || (gated && t == 0 && n > 1 && s[1] % 2 == 1 && s[1] < k)) {
                return null;
            }
            int[] c = s.clone();
            c[t]++;
            return c;
        }

        @Override
        public boolean finished(int[] s) {
            for (int v : s) {
                if (v != k) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int violations(int[] s) {
            return n > 1 && s[0] == 1 && s[1] == 1 ? 1 : 0;
        }

        @Override
        public String violationName(int bit) {
            return "both-one";
        }

        @Override
        public Outcome outcome(int[] s) {
            return new Outcome("done", true, false, 0);
        }
    }

    private static SearchResult run(TransitionSystem ts, int workers, int parallelMin) {
        return new Explorer(ts, new Limits(0, 0).withWorkers(workers), Progress.NONE, parallelMin, 0).run();
    }

    /** Every field but the time. */
    private static String fields(SearchResult r) {
        return List.of(r.states(), r.transitions(), r.finalStates(), r.positive(), r.negative(), r.markedFinals(),
                r.outcomes(), r.violations(), r.complete(), String.valueOf(r.stopReason()), r.maxDepth()).toString();
    }

    @Test
    void lattice_countsAndSchedulesAreExact_onAnyWorkerCount() {
        // 4 counters 0..5: 6^4 states; the violation state (1,1,..) is not expanded
        Lattice l = new Lattice(4, 5, false);
        SearchResult one = run(l, 1, Integer.MAX_VALUE);
        assertTrue(one.complete());
        assertEquals(1296, one.states());
        assertEquals(20, one.maxDepth());
        assertEquals(1, one.finalStates(), "one final state: every counter at 5");
        // shortest run to the end has 20 steps; the fewest switches is 3, lowest-numbered threads first
        List<Integer> expect = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            for (int i = 0; i < 5; i++) {
                expect.add(t);
            }
        }
        assertEquals(expect, one.outcomes().get("done").schedule());
        assertEquals(List.of(0, 1), one.violations().get("both-one"));
        for (int w : new int[] {2, 3, 5}) {
            assertEquals(fields(one), fields(run(l, w, 1)), "workers " + w);
        }
        Explorer spilling = new Explorer(l, new Limits(0, 0).withWorkers(2), Progress.NONE, 1, 32);
        assertEquals(fields(one), fields(spilling.run()), "frontier on disk");
        assertTrue(spilling.spilledBytes() > 0);
    }

    @Test
    void transitionsCount_everyStepOfEveryExpandedState() {
        // no violations when n = 1: k + 1 states, k transitions
        SearchResult r = run(new Lattice(1, 7, false), 2, 1);
        assertEquals(8, r.states());
        assertEquals(7, r.transitions());
        assertEquals(7, r.maxDepth());
    }

    @Test
    void stateLimit_stopsAtExactlyTheLimit_onAnyWorkerCount() {
        Lattice l = new Lattice(4, 5, true);
        Limits lim = new Limits(500, 0);
        SearchResult one = new Explorer(l, lim.withWorkers(1), Progress.NONE, Integer.MAX_VALUE, 0).run();
        SearchResult two = new Explorer(l, lim.withWorkers(2), Progress.NONE, 1, 64).run();
        assertFalse(one.complete());
        assertEquals(500, one.states());
        assertEquals(fields(one), fields(two));
    }

    @Test
    void generatedScenarios_oneAndSeveralWorkers_giveTheSameResult() throws ScenarioException {
        int checked = 0;
        boolean spilled = false;
        for (long seed = 0; seed < 150; seed++) {
            String text = Generator.generate(seed, Generator.Bounds.DEFAULT);
            ScenarioModel m;
            try {
                m = new ScenarioModel(Parser.parse(Generator.name(seed) + ".pin", text), Policies.byName(
                        seed % 2 == 0 ? "linux-6.18" : "linux-5.9"));
            } catch (ScenarioModel.SetupBlocked e) {
                continue;
            }
            Limits lim = new Limits(50_000, 0);
            SearchResult one = new Explorer(m, lim.withWorkers(1), Progress.NONE, Integer.MAX_VALUE, 0).run();
            // three workers, every level through the merge, and all but 200 bytes of frontier on disk
            Explorer e3 = new Explorer(m, lim.withWorkers(3), Progress.NONE, 1, 200);
            SearchResult three = e3.run();
            spilled |= e3.spilledBytes() > 0;
            long s = seed;
            assertEquals(fields(one), fields(three), () -> "seed " + s + "\n" + text);
            checked++;
        }
        assertTrue(checked > 100, "most generated setups run");
        assertTrue(spilled, "the frontier went to disk at least once");
    }

    /** Counters 0..k where thread 0 may also jump by two: states are reached at several depths. */
    private record Jumps(int n, int k) implements TransitionSystem {
        @Override
        public int[] initial() {
            return new int[n];
        }

        @Override
        public int threads() {
            return n + 1; // actor n is thread 0's jump
        }

        @Override
        public int[] step(int[] s, int t) {
            int c = t == n ? 0 : t;
            int by = t == n ? 2 : 1;
            if (s[c] + by > k || (t == n && s[1 % n] % 3 == 1)) {
                return null;
            }
            int[] x = s.clone();
            x[c] += by;
            return x;
        }

        @Override
        public boolean finished(int[] s) {
            return java.util.Arrays.stream(s).allMatch(v -> v == k);
        }

        @Override
        public int violations(int[] s) {
            return 0;
        }

        @Override
        public String violationName(int bit) {
            return "none";
        }

        @Override
        public Outcome outcome(int[] s) {
            return new Outcome("end", true, false, 0);
        }
    }

    @Test
    void statesReachedAtSeveralDepths_countedOnce_likeAPlainBfs() {
        Jumps j = new Jumps(3, 6);
        // a plain breadth-first search, written independently, for the expected counts
        java.util.Map<List<Integer>, Integer> depth = new java.util.HashMap<>();
        java.util.ArrayDeque<int[]> queue = new java.util.ArrayDeque<>();
        queue.add(j.initial());
        depth.put(List.of(0, 0, 0), 0);
        long transitions = 0;
        int maxDepth = 0;
        while (!queue.isEmpty()) {
            int[] s = queue.poll();
            int d = depth.get(java.util.Arrays.stream(s).boxed().toList());
            for (int t = 0; t < j.threads(); t++) {
                int[] x = j.step(s, t);
                if (x == null) {
                    continue;
                }
                transitions++;
                List<Integer> key = java.util.Arrays.stream(x).boxed().toList();
                if (depth.putIfAbsent(key, d + 1) == null) {
                    queue.add(x);
                    maxDepth = Math.max(maxDepth, d + 1);
                }
            }
        }
        SearchResult one = run(j, 1, Integer.MAX_VALUE);
        assertEquals(depth.size(), one.states());
        assertEquals(transitions, one.transitions());
        assertEquals(maxDepth, one.maxDepth());
        // thread 0 needs three jumps, the other two six steps each
        assertEquals(15, one.outcomes().get("end").schedule().size(), "the jumps make the shortest run 15 steps");
        for (int w : new int[] {2, 3}) {
            assertEquals(fields(one), fields(run(j, w, 1)), "workers " + w);
        }
    }
}
