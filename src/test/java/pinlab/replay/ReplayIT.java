package pinlab.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import pinlab.policy.Policies;
import pinlab.report.ReplayReport;
import pinlab.report.ReplayResult;
import pinlab.scenario.Corpus;
import pinlab.scenario.Parser;
import pinlab.scenario.Scenario;

/**
 * Replays every replayable corpus scenario (anonymous memory and files: ext4, xfs, btrfs, tmpfs, memfd) on this
 * machine's kernel under the host policy, each schedule twice, and fails on any disagreement between the model and
 * the kernel. Outside CI it is skipped when the machine lacks what replay needs; in CI (CI=true) a missing
 * requirement fails it.
 */
class ReplayIT {
    private static Path agent;

    @BeforeAll
    static void prepare() throws Exception {
        List<String> missing = Preflight.missing();
        if (System.getenv("CI") == null) {
            assumeTrue(missing.isEmpty(), () -> "replay needs: " + missing);
        }
        agent = Agent.prepare();
    }

    static Stream<Arguments> replayable() throws Exception {
        List<Arguments> out = new ArrayList<>();
        for (Corpus.Entry e : Corpus.bundled()) {
            Scenario sc = Parser.parse(e.file(), e.text());
            if (ReplayPlan.of(sc).replayable()) {
                out.add(Arguments.of(sc.name(), sc));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("replayable")
    void corpusScenario_kernelAgreesWithModel(String name, Scenario sc) throws Exception {
        ReplayResult r = new Replayer(agent, 5000).replay(sc, Policies.host(), 50, 2);
        assertFalse(r.skipped());
        assertFalse(r.runs().isEmpty());
        assertEquals(0, r.disagree(), () -> ReplayReport.render(r));
        assertTrue(r.agree() > 0);
    }

    /**
     * Replay has teeth: 5.9's refcount-only COW rule copies a pinned page after mprotect(R)+mprotect(RW), this
     * machine's kernel (PageAnonExclusive, 5.19+) reuses it; the comparison must say they disagree.
     */
    @org.junit.jupiter.api.Test
    void olderPolicy_onThisKernel_disagrees() throws Exception {
        Scenario sc = pinlab.TestSupport.corpus("pin-mprotect-cycle");
        ReplayResult r = new Replayer(agent, 5000).replay(sc, Policies.byName("linux-5.9"), 50, 1);
        assertEquals(1, r.disagree(), () -> ReplayReport.render(r));
        ReplayResult.Run run = r.runs().get(0);
        assertEquals("P:buf[0]=7; P:buf[1]=2", run.realOutcomes().keySet().iterator().next());
        // the pages say why: the kernel's NIC holds the page the process maps, 5.9's model a copied-away one
        assertEquals("page1 held", run.realPages().get("nic page 0"), () -> ReplayReport.render(r));
        assertEquals("page2 held", run.modelPages().get("nic page 0"), () -> ReplayReport.render(r));
        assertTrue(ReplayReport.render(r).contains("| DIFFER"), () -> ReplayReport.render(r));
    }

    /**
     * The O_DIRECT write path has teeth too: under 6.2 direct I/O takes FOLL_GET, which never unshares, so the
     * model predicts the device reads the old page; this kernel pins and unshares, so it reads the new one.
     */
    @org.junit.jupiter.api.Test
    void dioWriteUnderFollGetPolicy_disagrees() throws Exception {
        Scenario sc = pinlab.TestSupport.corpus("dio-write-ro-pin-cow-shared");
        ReplayResult r = new Replayer(agent, 5000).replay(sc, Policies.byName("linux-6.2"), 50, 1);
        assertEquals(1, r.disagree(), () -> ReplayReport.render(r));
        assertEquals("DISK:r0=2", r.runs().get(0).realOutcomes().keySet().iterator().next());
    }

    /**
     * Replay has teeth on files: under 6.4 direct I/O takes FOLL_GET, which 6.4's reclaim check does not see, so
     * the model lets reclaim strip the buffers of the page an O_DIRECT read is filling, and ext4 drops the data
     * the completion dirtied (Jan Kara's race); this kernel pins (6.5), reclaim keeps the buffers, and the data
     * reaches the disk.
     */
    @org.junit.jupiter.api.Test
    void karaDioReclaimUnder64_disagrees() throws Exception {
        ReplayResult r = new Replayer(agent, 5000).replay(pinlab.TestSupport.corpus("kara-dio-reclaim"),
                Policies.byName("linux-6.4"), 50, 1);
        assertEquals(1, r.disagree(), () -> ReplayReport.render(r));
        ReplayResult.Run lost = r.runs().stream().filter(run -> !run.agree()).findFirst().orElseThrow();
        assertEquals("disk F[0]=0; cache F[0]=none; kernel: WARN", lost.modelOutcome());
        assertEquals("disk F[0]=7; cache F[0]=none", lost.realOutcomes().keySet().iterator().next());
    }

    /**
     * And on long-term pins of files: 6.4 lets io_uring pin a shared ext4 page long-term, this kernel refuses it
     * (8ac268436e6d, 6.5), so the NIC's receive never reaches the file.
     */
    @org.junit.jupiter.api.Test
    void longtermPinFileWritebackUnder64_disagrees() throws Exception {
        ReplayResult r = new Replayer(agent, 5000).replay(pinlab.TestSupport.corpus("longterm-pin-file-writeback"),
                Policies.byName("linux-6.4"), 50, 1);
        assertEquals(1, r.disagree(), () -> ReplayReport.render(r));
        assertEquals("disk F[0]=1; T:r1=1", r.runs().get(0).realOutcomes().keySet().iterator().next());
    }

    /**
     * Outcomes that need a CPU write between an O_DIRECT write's submission and its completion are in the model
     * but cannot be forced on a real file system: they are reported, neither agreeing nor disagreeing.
     */
    @org.junit.jupiter.api.Test
    void mmapDioMix_outcomesInsideTheDirectWrite_areNotRealisable() throws Exception {
        ReplayResult r = new Replayer(agent, 5000).replay(pinlab.TestSupport.corpus("mmap-dio-mix"), Policies.host(),
                50, 1);
        assertEquals(0, r.disagree(), () -> ReplayReport.render(r));
        assertEquals(2, r.notRealisable(), () -> ReplayReport.render(r));
        assertTrue(r.runs().stream().filter(run -> !run.replayed())
                .allMatch(run -> run.notRealisable().contains("O_DIRECT request of wr is in flight")));
    }

    /**
     * Free runs: every replayable scenario that can run free is run a few times without barriers. The counts are
     * nondeterministic, so only properties are asserted: the histogram sums to the runs, and every real outcome is
     * one the host's model reaches (else the model has a bug), with its condition value as the model has it.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("replayable")
    void corpusScenario_freeRuns_reachOnlyModelOutcomes(String name, Scenario sc) throws Exception {
        pinlab.report.ReplayStress s = new Replayer(agent, 5000).stress(sc, Policies.host(), 3, false);
        if (!s.ran()) {
            assertTrue(s.unavailable().stream().allMatch(u -> u.startsWith("no free runs: ")), s.unavailable()::toString);
            return;
        }
        assertEquals(3, s.histogram().values().stream().mapToInt(Integer::intValue).sum());
        assertEquals(List.of(), s.unpredicted(), () -> ReplayReport.renderStress(s));
        s.histogram().keySet().forEach(k -> assertEquals(s.predicted().get(k), s.satisfied().get(k), k));
        String text = ReplayReport.renderStress(s);
        assertTrue(text.contains("Observation " + name + " " + s.observation() + " " + s.positive() + " "
                + (3 - s.positive())), text);
        assertTrue(text.contains("nondeterministic"), text);
    }

    /**
     * Message passing between two threads of one process, free on every CPU: the model (sequentially consistent,
     * as x86 is for this pattern) reaches three outcomes and forbids seeing the flag without the data. Whatever
     * mix the kernel shows, every outcome must be one of the model's and the counts must add up.
     */
    @org.junit.jupiter.api.Test
    void freeRuns_messagePassing_onEveryCpu_stayWithinTheModel() throws Exception {
        Scenario sc = pinlab.TestSupport.parse("""
                name free-mp
                process P
                setup {
                  P: mmap buf 1 rw private
                  P: buf[0] = 0
                }
                thread W @ P {
                  buf[0] = 1
                  buf[1] = 1
                }
                thread R @ P {
                  r0 = buf[1]
                  r1 = buf[0]
                }
                exists (R:r0 = 1 /\\ R:r1 = 0)
                """);
        pinlab.report.ReplayStress s = new Replayer(agent, 5000).stress(sc, Policies.host(), 20, true);
        assertTrue(s.ran(), s.unavailable()::toString);
        assertEquals(3, s.predicted().size(), s.predicted()::toString);
        assertEquals(20, s.histogram().values().stream().mapToInt(Integer::intValue).sum());
        assertEquals(List.of(), s.unpredicted(), () -> ReplayReport.renderStress(s));
        assertEquals("Never", s.observation(), () -> ReplayReport.renderStress(s));
        assertTrue(ReplayReport.renderStress(s).contains("on every CPU"), () -> ReplayReport.renderStress(s));
    }

    /**
     * A model of an older kernel gets flagged by free runs: 5.9's model says the process never sees the NIC's
     * write after mprotect(R)+mprotect(RW), this kernel always shows it, so every free run is an outcome the
     * model calls unreachable.
     */
    @org.junit.jupiter.api.Test
    void freeRuns_underAnOlderPolicy_flagTheUnreachableOutcome() throws Exception {
        pinlab.report.ReplayStress s = new Replayer(agent, 5000).stress(pinlab.TestSupport.corpus("pin-mprotect-cycle"),
                Policies.byName("linux-5.9"), 2, false);
        assertTrue(s.ran(), s.unavailable()::toString);
        assertEquals(List.of("P:buf[0]=7; P:buf[1]=2"), s.unpredicted());
        assertTrue(ReplayReport.renderStress(s).contains("NOT IN THE MODEL: 1 real outcome"),
                ReplayReport.renderStress(s));
    }

    /** The agent's own self-test (native/test-agent.sh): hand-written schedules with known kernel answers. */
    @org.junit.jupiter.api.Test
    void agentSelfTest_passes() throws Exception {
        Path script = Agent.home().resolve("native/test-agent.sh");
        Process p = new ProcessBuilder("bash", script.toString(), agent.toString()).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS), "self-test timed out");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains(" passed, 0 failed"), out);
    }
}
