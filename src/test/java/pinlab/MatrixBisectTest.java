package pinlab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static pinlab.TestSupport.corpus;
import static pinlab.TestSupport.parse;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import pinlab.engine.Limits;
import pinlab.policy.Policies;
import pinlab.policy.Policy;
import pinlab.policy.Rule;
import pinlab.report.BisectResult;
import pinlab.report.CheckResult;
import pinlab.report.Matrix;
import pinlab.scenario.Corpus;
import pinlab.scenario.Parser;
import pinlab.scenario.Scenario;

/** The matrix, bisect and explain, against the kernel history the corpus encodes. */
class MatrixBisectTest {
    private static List<Scenario> corpusAll() throws Exception {
        List<Scenario> out = new ArrayList<>();
        for (Corpus.Entry e : Corpus.bundled()) {
            out.add(Parser.parse(e.file(), e.text()));
        }
        return out;
    }

    @Test
    void matrix_isTheSameWhateverTheThreadCount() throws Exception {
        List<Scenario> sc = corpusAll();
        Matrix one = Pinlab.matrix(sc, Policies.all(), Limits.NONE, 1, (a, b, c, d) -> { });
        Matrix two = Pinlab.matrix(sc, Policies.all(), Limits.NONE, 2, (a, b, c, d) -> { });
        assertEquals(pinlab.report.MatrixReport.markdown(one).replaceAll("\\d+\\.\\d s", ""),
                pinlab.report.MatrixReport.markdown(two).replaceAll("\\d+\\.\\d s", ""));
        assertFalse(one.anyMismatch());
    }

    @Test
    void cells_sayWhatHappened() throws Exception {
        Matrix m = Pinlab.matrix(List.of(corpus("odirect-fork-thread-write"), corpus("uring-fixed-buffer-fork"),
                corpus("fork-longterm-pin")), Policies.all(), Limits.NONE, 2, (a, b, c, d) -> { });
        List<CheckResult> odirect = m.rows().get(0).cells();
        assertEquals("DATA LOSS", Matrix.cellText(odirect.get(0)), "sometimes, so no *");
        assertEquals("SAFE", Matrix.cellText(odirect.get(Policies.all().indexOf(Policies.byName("linux-6.5")))),
                "linux-6.5");
        assertEquals("REFUSED", Matrix.cellText(m.rows().get(1).cells().get(0)), "no io_uring in 2.6");
        assertEquals("DATA LOSS*", Matrix.cellText(m.rows().get(2).cells().get(0)), "always lost in 2.6");
    }

    @Test
    void cell_mismatch_isMarkedWithTheExpectation() {
        Scenario sc = parse("""
                name wrong
                failure data-loss
                process P
                setup {
                  P: mmap buf 1 rw private
                }
                thread T @ P {
                  buf[0] = 1
                }
                forall (P:buf[0] = 1)
                expect linux-6.18: Never
                """);
        Matrix m = Pinlab.matrix(List.of(sc), List.of(Policies.host()), Limits.NONE, 1, (a, b, c, d) -> { });
        assertEquals("SAFE (expected Never, got Always)", Matrix.cellText(m.rows().get(0).cells().get(0)));
        assertTrue(m.anyMismatch());
    }

    private static List<Policy> linux() {
        return Policies.all().stream().filter(p -> p.name().startsWith("linux-")).toList();
    }

    /** Seed 003: lost until direct I/O pinned (6.5); the deciding rule is dio-foll-pin. */
    @Test
    void bisect_odirect_flipsAt65_decidedByDioFollPin() throws Exception {
        BisectResult b = Pinlab.bisect(corpus("odirect-fork-thread-write"), linux(), Limits.NONE);
        assertEquals(1, b.flips().size());
        BisectResult.Flip f = b.flips().get(0);
        assertEquals("linux-6.4", f.from());
        assertEquals("linux-6.5", f.to());
        assertEquals(1, f.deciding().size());
        assertTrue(f.deciding().get(0).startsWith("dio-foll-pin"), f.deciding().toString());
    }

    /** 70e806e4e645 needs 008cfe4418b3 (has_pinned) from the same series: the deciding set is the pair. */
    @Test
    void bisect_forkLongtermPin_decidedByEarlyCowTogetherWithHasPinned() throws Exception {
        BisectResult b = Pinlab.bisect(corpus("fork-longterm-pin"), linux(), Limits.NONE);
        assertEquals(1, b.flips().size());
        assertEquals("linux-5.9", b.flips().get(0).to());
        assertTrue(b.flips().get(0).deciding().get(0).startsWith("fork-copy-maybe-pinned + mmf-has-pinned"),
                b.flips().get(0).deciding().toString());
    }

    /** pin-mprotect-cycle breaks in 5.9 (refcount rule) and is mended in 5.19 (PageAnonExclusive). */
    @Test
    void bisect_mprotectCycle_breaksIn59_mendedIn519() throws Exception {
        BisectResult b = Pinlab.bisect(corpus("pin-mprotect-cycle"), linux(), Limits.NONE);
        assertEquals(2, b.flips().size());
        assertTrue(b.flips().get(0).deciding().get(0).startsWith("wp-reuse-refcount"));
        assertEquals("linux-5.19", b.flips().get(1).to());
    }

    @Test
    void explain_dioFollPin_isWhatKeepsODirectSafeIn618() throws Exception {
        List<Pinlab.RuleEffect> e = Pinlab.dependents(Policies.host(), Rule.DIO_FOLL_PIN, corpusAll(), Limits.NONE);
        assertEquals(List.of("dio-write-ro-pin-cow-shared", "fork-child-exits-first", "kara-dio-reclaim",
                "ksm-ro-pin-unshare", "odirect-fork-thread-write"),
                e.stream().map(Pinlab.RuleEffect::scenario).toList());
        // with FOLL_GET the O_DIRECT reference keeps the refcount at 2 after the child's exit: the write copies
        assertEquals("DATA LOSS", e.get(1).without());
        assertEquals("WARN + DATA LOSS (disk)", e.get(2).without(), "6.4's reclaim check needs direct I/O to pin");
        // a FOLL_GET O_DIRECT write leaves the KSM page shared; the FOLL_PIN one unshares it (5.19's rule)
        assertEquals("Always", e.get(3).without());
        assertEquals("DATA LOSS", e.get(4).without());
    }
}
