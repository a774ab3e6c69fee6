package pinlab.engine;

import com.dynatrace.hash4j.hashing.Hasher64;
import com.dynatrace.hash4j.hashing.Hashing;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import pinlab.policy.Policies;
import pinlab.scenario.Parser;
import pinlab.scenario.ScenarioModel;

/**
 * The engine's three inner costs, each per operation: one model step (guard, kernel, invariants, canonical form)
 * on states of {@code pinlab bench}'s scenario, packing and fingerprinting a successor, and the visited set's probe
 * and insert. Run with {@code scripts/bench 'pinlab.engine.EngineBench'}; compare the figures with each other and
 * with the same run's {@code FingerprintSet} numbers, not across machines.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class EngineBench {
    private ScenarioModel model;
    private Stepper stepper;
    private int[][] states;
    private int[][] succs;
    private int next;
    private final byte[] packed = new byte[4096];
    private static final Hasher64 HASH = Hashing.xxh3_64();

    /** Collects the first 20,000 states of the bench scenario (3 threads x 4 ops) by random walks. */
    @Setup
    public void setup() throws Exception {
        String text = pinlab.cli.BenchAccess.scenario(3, 4);
        model = new ScenarioModel(Parser.parse("bench", text), Policies.byName("linux-6.18"));
        stepper = model.stepper();
        List<int[]> s = new ArrayList<>();
        List<int[]> t = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(1);
        while (s.size() < 20_000) {
            int[] c = model.initial();
            for (int k = 0; k < 30; k++) {
                int a = r.nextInt(model.threads());
                int[] n = model.step(c, a);
                if (n != null) {
                    s.add(c);
                    t.add(n);
                    c = n;
                }
            }
        }
        states = s.toArray(new int[0][]);
        succs = t.toArray(new int[0][]);
    }

    /** One step attempt of every actor from one state (enabled or not), as the explorer makes them. */
    @Benchmark
    public void stepAllActors(Blackhole bh) {
        int[] s = states[next++ % states.length];
        for (int t = 0; t < model.threads(); t++) {
            bh.consume(stepper.step(s, s.length, t));
        }
    }

    /** Packs a successor and fingerprints the packed bytes. */
    @Benchmark
    public long packAndFingerprint() {
        int[] s = succs[next++ % succs.length];
        int len = StateCodec.encode(s, s.length, packed, 0);
        return HASH.hashBytesToLong(packed, 0, len);
    }

    /** A visited set of one million fingerprints, probed and grown the way the merge does. */
    @State(Scope.Thread)
    public static class Visited {
        @Param({"1000000"})
        public int size;
        FingerprintSet set;
        long[] keys;
        int at;

        @Setup(Level.Iteration)
        public void fill() {
            set = new FingerprintSet();
            SplittableRandom r = new SplittableRandom(7);
            keys = new long[size];
            for (int i = 0; i < size; i++) {
                keys[i] = FingerprintSet.normal(r.nextLong());
                set.add(keys[i]);
            }
        }
    }

    /** A probe for a fingerprint that is present. */
    @Benchmark
    public boolean visitedHit(Visited v) {
        return v.set.contains(v.keys[v.at++ % v.keys.length]);
    }

    /** A probe and insert of a new fingerprint. */
    @Benchmark
    public boolean visitedInsert(Visited v) {
        return v.set.add(FingerprintSet.normal(v.keys[v.at++ % v.keys.length] * 0x9E3779B97F4A7C15L + 1));
    }
}
