package pinlab.cli;

import com.dynatrace.hash4j.hashing.HashStream64;
import com.dynatrace.hash4j.hashing.Hashing;
import it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap;
import java.io.PrintWriter;
import java.util.Locale;
import pinlab.engine.Explorer;
import pinlab.engine.Limits;
import pinlab.engine.SearchResult;
import pinlab.policy.Policy;
import pinlab.scenario.Parser;
import pinlab.scenario.Scenario;
import pinlab.scenario.ScenarioException;
import pinlab.scenario.ScenarioModel;

/**
 * {@code pinlab bench}: explores a generated scenario and reports states/s and transitions/s, next to a baseline
 * measured in the same run (hashing states of the same size into the same kind of visited map), so figures can
 * be compared across machines as ratios.
 */
final class Benchmark {
    private Benchmark() {}

    /** Returns a scenario with {@code threads} threads of {@code ops} operations each on shared pages. */
    static String generate(int threads, int ops) {
        StringBuilder sb = new StringBuilder();
        sb.append("name bench-").append(threads).append('x').append(ops).append('\n');
        sb.append("title \"generated benchmark\"\nprocess P\n");
        sb.append("holder device d\n");
        sb.append("setup {\n  P: mmap buf 2 rw private\n  P: buf[0] = 1\n}\n");
        for (int t = 0; t < threads; t++) {
            sb.append("thread T").append(t).append(" @ P {\n");
            for (int k = 0; k < ops; k++) {
                int cell = (t + k) % 4;
                String op;
                if (t == 0 && k == 1) {
                    op = "fork C";
                } else if (t == 1 && k == 0) {
                    op = "pin d buf 0 1 write longterm";
                } else if (t == 1 && k == ops - 1) {
                    op = "release d dirty";
                } else if (k % 2 == 0) {
                    op = "buf[" + cell + "] = " + (t * ops + k + 1) % 200;
                } else {
                    op = "r" + k + " = buf[" + cell + "]";
                }
                sb.append("  ").append(op).append('\n');
            }
            sb.append("}\n");
        }
        if (threads > 1) {
            sb.append("thread DEV @ device {\n  dma d[0] = 9\n  dma d[1] = 8\n}\n");
        }
        sb.append("exists (P:buf[0] = 9)\n");
        return sb.toString();
    }

    static int run(PrintWriter out, Policy policy, int threads, int ops, int repeat) {
        Scenario sc;
        try {
            sc = Parser.parse("bench", generate(threads, ops));
        } catch (ScenarioException e) {
            throw new IllegalStateException(e.render(), e);
        }
        ScenarioModel model = new ScenarioModel(sc, policy);
        int all = Runtime.getRuntime().availableProcessors();
        out.printf(Locale.ROOT, "pinlab bench: %d threads x %d ops under %s (1 warm-up + %d measured runs, on 1 and on %d"
                + " workers)%n", threads, ops, policy.name(), repeat, all);
        out.flush();
        Limits full = Limits.NONE.withPor(false);
        new Explorer(model, full).run();
        double[] best1 = measure(out, model, full.withWorkers(1), repeat);
        double[] bestN = measure(out, model, full.withWorkers(all), repeat);
        double[] bestPor = measure(out, model, Limits.NONE.withPor(true).withWorkers(all), repeat);
        Explorer probe = new Explorer(model, full.withWorkers(1));
        SearchResult last = probe.run();
        int len = model.initial().length;
        double base = baseline(last.states(), len);
        out.printf(Locale.ROOT, "states/s      1 worker %,.0f   %d workers %,.0f   (x%.2f)%n", best1[0], all, bestN[0],
                bestN[0] / best1[0]);
        out.printf(Locale.ROOT, "transitions/s 1 worker %,.0f   %d workers %,.0f%n", best1[1], all, bestN[1]);
        out.printf(Locale.ROOT, "stored per state: %.1f bytes (fingerprint set and parent log; the frontier is"
                + " transient)%n", probe.storeBytes() / (double) last.states());
        out.printf(Locale.ROOT, "baseline: xxh3 fingerprint + visited-map insert of %d-int states: %,.0f/s%n", len,
                base);
        out.printf(Locale.ROOT, "ratio states/s / baseline = %.3f (1 worker), %.3f (%d workers)%n", best1[0] / base,
                bestN[0] / base, all);
        out.printf(Locale.ROOT, "partial-order reduction (%d workers, full search on the same workers as baseline):"
                + " time to verdict %.2f s vs %.2f s (x%.2f); states %,d vs %,d (x%.2f); transitions %,d vs %,d"
                + " (x%.2f)%n", all, bestPor[2], bestN[2], bestN[2] / bestPor[2], (long) bestPor[3], last.states(),
                last.states() / bestPor[3], (long) bestPor[4], last.transitions(), last.transitions() / bestPor[4]);
        out.flush();
        return Main.OK;
    }

    /**
     * Runs the search {@code repeat} times under {@code limits}; returns the best states/s, transitions/s and
     * seconds, and the states and transitions of the last run.
     */
    private static double[] measure(PrintWriter out, ScenarioModel model, Limits limits, int repeat) {
        double bestStates = 0;
        double bestTrans = 0;
        double bestSecs = Double.MAX_VALUE;
        SearchResult r = null;
        for (int i = 0; i < repeat; i++) {
            r = new Explorer(model, limits).run();
            double secs = r.nanos() / 1e9;
            bestStates = Math.max(bestStates, r.states() / secs);
            bestTrans = Math.max(bestTrans, r.transitions() / secs);
            bestSecs = Math.min(bestSecs, secs);
            int workers = limits.resolvedWorkers();
            out.printf(Locale.ROOT, "  %d worker%s%s, run %d: %,d states, %,d transitions in %.2f s%n", workers,
                    workers == 1 ? "" : "s", limits.por() ? ", reduced" : "", i + 1, r.states(), r.transitions(),
                    secs);
            out.flush();
        }
        return new double[] {bestStates, bestTrans, bestSecs, r.states(), r.transitions()};
    }

    /** Inserts {@code n} distinct states' fingerprints into a visited map and returns inserts per second. */
    private static double baseline(long n, int len) {
        HashStream64 h = Hashing.xxh3_64().hashStream();
        int[] state = new int[len];
        double best = 0;
        for (int round = 0; round < 3; round++) {
            Long2IntOpenHashMap seen = new Long2IntOpenHashMap();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                state[i % len] = i;
                h.reset();
                h.putInts(state);
                seen.put(h.getAsLong(), i);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            best = Math.max(best, seen.size() / secs);
        }
        return best;
    }
}
