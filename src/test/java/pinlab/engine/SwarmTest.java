package pinlab.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Swarm simulation: diversified runs find a rare order, shrink it, never claim completeness, and do not depend on
 * the worker count. */
class SwarmTest {
    /** Four counters 0..6; the violation is thread 0 reaching 5 before any other thread has stepped. */
    private record Rare() implements TransitionSystem {
        @Override
        public int[] initial() {
            return new int[4];
        }

        @Override
        public int threads() {
            return 4;
        }

        @Override
        public int[] step(int[] s, int t) {
            if (s[t] == 6) {
                return null;
            }
            int[] c = s.clone();
            c[t]++;
            return c;
        }

        @Override
        public boolean finished(int[] s) {
            return s[0] == 6 && s[1] == 6 && s[2] == 6 && s[3] == 6;
        }

        @Override
        public int violations(int[] s) {
            return s[0] == 5 && s[1] == 0 && s[2] == 0 && s[3] == 0 ? 1 : 0;
        }

        @Override
        public String violationName(int bit) {
            return "rare";
        }

        @Override
        public Outcome outcome(int[] s) {
            return new Outcome("end", true, false, 0);
        }
    }

    private static Limits swarm(long runs, int workers) {
        return new Limits(0, 0, runs, 7, workers, true);
    }

    @Test
    void swarm_findsTheRareOrder_andShrinksIt() {
        SearchResult r = new Simulator(new Rare(), swarm(400, 1)).run();
        assertFalse(r.complete(), "a simulation is never complete");
        assertEquals(List.of(0, 0, 0, 0, 0), r.violations().get("rare"), "shrunk to the five steps it needs");
        assertTrue(r.stopReason().startsWith("swarm simulation: 400 random run(s) over 16 configurations"));
    }

    @Test
    void swarm_oneAndTwoWorkers_giveTheSameResult() {
        SearchResult one = new Simulator(new Rare(), swarm(300, 1)).run();
        SearchResult two = new Simulator(new Rare(), swarm(300, 2)).run();
        assertEquals(List.of(one.states(), one.transitions(), one.finalStates(), one.outcomes(), one.violations(),
                one.stopReason(), one.maxDepth()), List.of(two.states(), two.transitions(), two.finalStates(),
                two.outcomes(), two.violations(), two.stopReason(), two.maxDepth()));
    }

    @Test
    void noViolation_saysHowManyRuns_neverSafe() {
        Limits l = new Limits(0, 0, 50, 1, 1, true);
        SearchResult r = new Simulator(new TransitionSystem() {
            @Override
            public int[] initial() {
                return new int[1];
            }

            @Override
            public int threads() {
                return 1;
            }

            @Override
            public int[] step(int[] s, int t) {
                return s[0] < 3 ? new int[] {s[0] + 1} : null;
            }

            @Override
            public boolean finished(int[] s) {
                return true;
            }

            @Override
            public int violations(int[] s) {
                return 0;
            }

            @Override
            public String violationName(int bit) {
                return "x";
            }

            @Override
            public Outcome outcome(int[] s) {
                return new Outcome("v=" + s[0], true, false, 0);
            }
        }, l).run();
        assertFalse(r.complete());
        assertEquals(50, r.finalStates());
        assertTrue(r.stopReason().endsWith("no violation in 50 runs"), r.stopReason());
    }
}
