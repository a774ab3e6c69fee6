package pinlab.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Past exhaustive search: {@link Limits#simulate()} random schedules from the initial state, each stepping an
 * enabled actor until the run is final, stuck or violates an invariant. Deterministic for a given seed. A
 * violation's schedule is shrunk (steps dropped one at a time while the run still ends in that violation), and each
 * outcome keeps the shortest schedule seen. The result is never complete: a simulation proves nothing safe.
 *
 * <p>Plain simulation picks uniformly among the enabled actors. With {@link Limits#swarm()} the runs are split over
 * {@value #SWARM} configurations, as in swarm testing: each has its own seed, its own weight per actor (some actors
 * favoured, some starved, so that rare orders get their turn) and, in three of four, a bound on preemptions (runs
 * that switch away from a runnable actor only that many times, where most concurrency bugs are found). Configurations
 * run on the workers side by side and are merged in their order, so results do not depend on the worker count.
 */
public final class Simulator {
    /** Configurations of a swarm. */
    static final int SWARM = 16;

    private final TransitionSystem ts;
    private final Limits limits;

    /** Creates a simulator of {@code ts}. */
    public Simulator(TransitionSystem ts, Limits limits) {
        this.ts = ts;
        this.limits = limits;
    }

    /**
     * One way of choosing the next actor.
     *
     * @param seed the seed of its random choices
     * @param weights per actor, its relative chance when enabled; null for uniform
     * @param preemptions at most this many switches away from a runnable actor per run; -1 for no bound
     */
    @SuppressWarnings("ArrayRecordComponent") // private to the simulator, never compared or hashed
    record Config(long seed, double[] weights, int preemptions) {}

    /** What some runs found. */
    private static final class Found {
        long runs;
        long transitions;
        long finals;
        long positive;
        long negative;
        long marked;
        int maxDepth;
        final Map<String, long[]> counts = new TreeMap<>();
        final Map<String, TransitionSystem.Outcome> first = new TreeMap<>();
        final Map<String, List<Integer>> shortest = new TreeMap<>();
        final Map<String, List<Integer>> violations = new LinkedHashMap<>();

        void merge(Found f) {
            runs += f.runs;
            transitions += f.transitions;
            finals += f.finals;
            positive += f.positive;
            negative += f.negative;
            marked += f.marked;
            maxDepth = Math.max(maxDepth, f.maxDepth);
            f.counts.forEach((k, v) -> counts.computeIfAbsent(k, x -> new long[1])[0] += v[0]);
            f.first.forEach(first::putIfAbsent);
            f.shortest.forEach((k, v) -> shortest.merge(k, v, Simulator::shorter));
            f.violations.forEach((k, v) -> violations.merge(k, v, Simulator::shorter));
        }
    }

    private static List<Integer> shorter(List<Integer> a, List<Integer> b) {
        return a.size() <= b.size() ? a : b;
    }

    /** Returns the configurations of this run: one uniform one, or the swarm's. */
    List<Config> configs() {
        int threads = ts.threads();
        if (!limits.swarm()) {
            return List.of(new Config(limits.seed(), null, -1)); // uniform
        }
        List<Config> out = new ArrayList<>();
        SplittableRandom meta = new SplittableRandom(limits.seed());
        for (int c = 0; c < SWARM; c++) {
            long seed = meta.nextLong();
            double[] w = new double[threads];
            for (int t = 0; t < threads; t++) {
                double r = meta.nextDouble();
                w[t] = r < 0.25 ? 0.05 : r < 0.5 ? 8 : 1; // starved, favoured, or plain
            }
            int bound = c % 4 == 0 ? -1 : meta.nextInt(3);
            out.add(new Config(seed, w, bound));
        }
        return out;
    }

    /** Runs the schedules. */
    public SearchResult run() {
        long t0 = System.nanoTime();
        long deadline = limits.maxSeconds() > 0 ? t0 + (long) (limits.maxSeconds() * 1e9) : Long.MAX_VALUE;
        List<Config> configs = configs();
        long total = limits.simulate();
        Found all = new Found();
        Found[] parts = new Found[configs.size()];
        try (Workers w = new Workers(Math.min(configs.size(), limits.resolvedWorkers()), "pinlab-simulate")) {
            w.forEach(true, configs.size(),
                    (worker, c) -> parts[c] = runConfig(configs.get(c), share(total, c, configs.size()), deadline));
        }
        for (Found f : parts) {
            all.merge(f);
        }
        Map<String, SearchResult.OutcomeStats> outcomes = new TreeMap<>();
        for (Map.Entry<String, long[]> e : all.counts.entrySet()) {
            TransitionSystem.Outcome o = all.first.get(e.getKey());
            outcomes.put(e.getKey(), new SearchResult.OutcomeStats(e.getValue()[0], o.satisfied(),
                    all.shortest.get(e.getKey()), o.tags()));
        }
        String how = limits.swarm()
                ? "swarm simulation: " + all.runs + " random run(s) over " + configs.size()
                        + " configurations (seeds, actor weights, preemption bounds) from seed " + limits.seed()
                : "simulation: " + all.runs + " random run(s) from seed " + limits.seed();
        String stop = how + ", not every interleaving"
                + (all.violations.isEmpty() ? "; no violation in " + all.runs + " runs" : "");
        return new SearchResult(all.transitions, all.transitions, all.finals, all.positive, all.negative, all.marked,
                outcomes, all.violations, false, stop, all.maxDepth, System.nanoTime() - t0);
    }

    private static long share(long total, int c, int n) {
        return total / n + (c < total % n ? 1 : 0);
    }

    private Found runConfig(Config cfg, long runs, long deadline) {
        Found f = new Found();
        SplittableRandom rnd = new SplittableRandom(cfg.seed());
        int threads = ts.threads();
        int[] enabled = new int[threads];
        for (; f.runs < runs && System.nanoTime() < deadline; f.runs++) {
            int[] s = ts.initial();
            List<Integer> schedule = new ArrayList<>();
            int last = -1;
            int preemptions = 0;
            while (true) {
                String violation = violation(s);
                if (violation != null) {
                    f.violations.merge(violation, shrink(schedule, violation), Simulator::shorter);
                    break;
                }
                int n = 0;
                int[][] next = new int[threads][];
                boolean lastEnabled = false;
                for (int t = 0; t < threads; t++) {
                    next[t] = ts.step(s, t);
                    if (next[t] != null) {
                        enabled[n++] = t;
                        lastEnabled |= t == last;
                    }
                }
                if (n == 0) {
                    if (ts.finished(s)) {
                        f.finals++;
                        TransitionSystem.Outcome o = ts.outcome(s);
                        f.counts.computeIfAbsent(o.key(), x -> new long[1])[0]++;
                        f.first.putIfAbsent(o.key(), o);
                        f.shortest.merge(o.key(), List.copyOf(schedule), Simulator::shorter);
                        f.positive += o.satisfied() ? 1 : 0;
                        f.negative += o.satisfied() ? 0 : 1;
                        f.marked += o.marked() ? 1 : 0;
                    } else {
                        String why = ts.stuck(s);
                        f.violations.merge(why, shrink(schedule, why), Simulator::shorter);
                    }
                    break;
                }
                int t;
                if (lastEnabled && cfg.preemptions() >= 0 && preemptions >= cfg.preemptions()) {
                    t = last; // out of preemptions: the running actor goes on while it can
                } else {
                    t = pick(rnd, enabled, n, cfg.weights());
                    if (lastEnabled && t != last) {
                        preemptions++;
                    }
                }
                s = next[t];
                schedule.add(t);
                last = t;
                f.transitions++;
                f.maxDepth = Math.max(f.maxDepth, schedule.size());
            }
        }
        return f;
    }

    private static int pick(SplittableRandom rnd, int[] enabled, int n, double[] weights) {
        if (weights == null) {
            return enabled[rnd.nextInt(n)];
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += weights[enabled[i]];
        }
        double r = rnd.nextDouble() * sum;
        for (int i = 0; i < n - 1; i++) {
            r -= weights[enabled[i]];
            if (r < 0) {
                return enabled[i];
            }
        }
        return enabled[n - 1];
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
