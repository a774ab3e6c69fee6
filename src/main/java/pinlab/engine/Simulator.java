package pinlab.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Past exhaustive search: {@link Limits#simulate()} random schedules from the initial state, each stepping a
 * uniformly chosen enabled actor until the run is final, stuck or violates an invariant. Deterministic for a given
 * seed. A violation's schedule is shrunk (steps dropped one at a time while the run still ends in that violation),
 * and each outcome keeps the shortest schedule seen. The result is never complete: a simulation proves nothing
 * safe.
 */
public final class Simulator {
    private final TransitionSystem ts;
    private final Limits limits;

    /** Creates a simulator of {@code ts}. */
    public Simulator(TransitionSystem ts, Limits limits) {
        this.ts = ts;
        this.limits = limits;
    }

    /** Runs the schedules. */
    public SearchResult run() {
        long t0 = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(limits.seed());
        Map<String, long[]> counts = new TreeMap<>();
        Map<String, TransitionSystem.Outcome> first = new TreeMap<>();
        Map<String, List<Integer>> shortest = new TreeMap<>();
        Map<String, List<Integer>> violations = new LinkedHashMap<>();
        long transitions = 0;
        long finals = 0;
        long positive = 0;
        long negative = 0;
        long marked = 0;
        int maxDepth = 0;
        int threads = ts.threads();
        long deadline = limits.maxSeconds() > 0 ? t0 + (long) (limits.maxSeconds() * 1e9) : Long.MAX_VALUE;
        long runs = 0;
        for (; runs < limits.simulate() && System.nanoTime() < deadline; runs++) {
            int[] s = ts.initial();
            List<Integer> schedule = new ArrayList<>();
            int[] enabled = new int[threads];
            while (true) {
                String violation = violation(s);
                if (violation != null) {
                    violations.merge(violation, shrink(schedule, violation), (a, b) -> a.size() <= b.size() ? a : b);
                    break;
                }
                int n = 0;
                int[][] next = new int[threads][];
                for (int t = 0; t < threads; t++) {
                    next[t] = ts.step(s, t);
                    if (next[t] != null) {
                        enabled[n++] = t;
                    }
                }
                if (n == 0) {
                    if (ts.finished(s)) {
                        finals++;
                        TransitionSystem.Outcome o = ts.outcome(s);
                        counts.computeIfAbsent(o.key(), x -> new long[1])[0]++;
                        first.putIfAbsent(o.key(), o);
                        shortest.merge(o.key(), List.copyOf(schedule), (a, b) -> a.size() <= b.size() ? a : b);
                        positive += o.satisfied() ? 1 : 0;
                        negative += o.satisfied() ? 0 : 1;
                        marked += o.marked() ? 1 : 0;
                    } else {
                        String why = ts.stuck(s);
                        violations.merge(why, shrink(schedule, why), (a, b) -> a.size() <= b.size() ? a : b);
                    }
                    break;
                }
                int t = enabled[rnd.nextInt(n)];
                s = next[t];
                schedule.add(t);
                transitions++;
                maxDepth = Math.max(maxDepth, schedule.size());
            }
        }
        Map<String, SearchResult.OutcomeStats> outcomes = new TreeMap<>();
        for (Map.Entry<String, long[]> e : counts.entrySet()) {
            TransitionSystem.Outcome o = first.get(e.getKey());
            outcomes.put(e.getKey(), new SearchResult.OutcomeStats(e.getValue()[0], o.satisfied(),
                    shortest.get(e.getKey()), o.tags()));
        }
        String stop = "simulation: " + runs + " random run(s) from seed " + limits.seed() + ", not every interleaving"
                + (violations.isEmpty() ? "; no violation in them" : "");
        return new SearchResult(transitions, transitions, finals, positive, negative, marked, outcomes, violations,
                false, stop, maxDepth, System.nanoTime() - t0);
    }

    private String violation(int[] s) {
        int v = ts.violations(s);
        if (v == 0) {
            return null;
        }
        for (int bit = 0; bit < 31; bit++) {
            if ((v & (1 << bit)) != 0) {
                return ts.violationName(bit);
            }
        }
        return null;
    }

    /** Drops steps one at a time while the schedule still ends in {@code violation}. */
    private List<Integer> shrink(List<Integer> schedule, String violation) {
        List<Integer> best = new ArrayList<>(schedule);
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int i = best.size() - 1; i >= 0; i--) {
                List<Integer> cand = new ArrayList<>(best);
                cand.remove(i);
                if (endsIn(cand, violation)) {
                    best = cand;
                    changed = true;
                }
            }
        }
        return List.copyOf(best);
    }

    private boolean endsIn(List<Integer> schedule, String violation) {
        int[] s = ts.initial();
        for (int k = 0; k < schedule.size(); k++) {
            if (violation(s) != null) {
                return false; // an earlier violation: another run
            }
            s = ts.step(s, schedule.get(k));
            if (s == null) {
                return false;
            }
        }
        String v = violation(s);
        if (v != null) {
            return v.equals(violation);
        }
        for (int t = 0; t < ts.threads(); t++) {
            if (ts.step(s, t) != null) {
                return false;
            }
        }
        return !ts.finished(s) && ts.stuck(s).equals(violation);
    }
}
