package pinlab.cli;

/** Gives the JMH benchmarks the text of {@code pinlab bench}'s generated scenario. */
public final class BenchAccess {
    private BenchAccess() {}

    /** Returns the bench scenario with {@code threads} threads of {@code ops} operations. */
    public static String scenario(int threads, int ops) {
        return Benchmark.generate(threads, ops);
    }
}
