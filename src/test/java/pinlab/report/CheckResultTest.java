package pinlab.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import pinlab.Pinlab;
import pinlab.scenario.Observation;

/** The typed result: the headline cell, the verdict and the observation, from seeds' and commits' results. */
class CheckResultTest {
    private static CheckResult check(String name, String policy) throws pinlab.scenario.ScenarioException {
        return Pinlab.check(Path.of("corpus", name + ".pin"), policy);
    }

    @Test
    void earlyCowOfPinnedPages_endsTheDataLossOfFork() throws Exception {
        // 70e806e4e645 (5.9) copies pinned pages at fork: before it the parent loses the DMA in every run
        CheckResult before = check("fork-longterm-pin", "linux-5.8");
        assertEquals(Cell.Kind.FAILURE, before.headline().kind());
        assertTrue(before.headline().everyRun());
        assertEquals("DATA LOSS", before.headline().result());
        assertEquals("DATA LOSS*", before.cell());
        assertEquals(Observation.NEVER, before.observation()); // a forall observed Never: the bad result
        assertEquals(Verdict.OK, before.verdict());
        CheckResult after = check("fork-longterm-pin", "linux-5.18");
        assertEquals(Cell.Kind.SAFE, after.headline().kind());
        assertEquals(Observation.ALWAYS, after.observation());
        assertFalse(after.headline().everyRun());
    }

    @Test
    void kernelReportsAndRefusals_haveTheirOwnKinds() throws Exception {
        // seed 004: ext4 warns where it used to BUG, and 6.5 refuses long-term pins of file pages
        CheckResult warned = check("longterm-pin-file-writeback", "linux-5.18");
        assertEquals(Cell.Kind.FAILURE, warned.headline().kind());
        assertEquals(List.of("WARN"), warned.headline().kernelEvents());
        assertEquals("WARN + DATA LOSS (disk)", warned.cell());
        CheckResult refused = check("longterm-pin-file-writeback", "linux-6.5");
        assertEquals(Cell.Kind.REFUSED, refused.headline().kind());
        assertEquals("REFUSED", refused.headline().text());
    }

    @Test
    void aScenarioForANewerKernel_isNotApplicable_withNoObservation() throws Exception {
        CheckResult r = check("btrfs-dio-buffer-changes", "linux-2.6");
        assertEquals(Cell.Kind.NOT_APPLICABLE, r.headline().kind());
        assertEquals(Verdict.NOT_APPLICABLE, r.verdict());
        assertNull(r.observation());
        assertEquals("n/a", r.observationWord());
        assertEquals("N/A", r.verdict().toString());
    }

    @Test
    void aStoppedSearch_isIncomplete_neverAResult() throws Exception {
        pinlab.scenario.Scenario sc = pinlab.scenario.Parser.parse(Path.of("corpus/odirect-fork-thread-write.pin"));
        CheckResult r = Pinlab.check(sc, pinlab.policy.Policies.resolve("linux-2.6"),
                new pinlab.engine.Limits(3, 0), false);
        assertEquals(Cell.Kind.INCOMPLETE, r.headline().kind());
        assertEquals(Verdict.INCOMPLETE, r.verdict());
        assertNull(r.observation());
        assertNull(r.matches());
        assertFalse(r.verdict().fails());
        assertEquals("incomplete", r.observationWord());
    }

    @Test
    void outcomesAreStructuredValues_thatSayWhatTheTextSays() throws Exception {
        int seen = 0;
        for (pinlab.scenario.Corpus.Entry f : pinlab.scenario.Corpus.bundled()) {
            pinlab.scenario.Scenario sc = pinlab.scenario.Parser.parse(f.file(), f.text());
            for (String policy : List.of("linux-2.6", "linux-5.8", "linux-6.18")) {
                for (CheckResult.OutcomeRow o : Pinlab.check(sc, pinlab.policy.Policies.resolve(policy),
                        pinlab.engine.Limits.NONE, false).outcomes()) {
                    StringBuilder text = new StringBuilder();
                    for (CheckResult.Value v : o.values()) {
                        text.append(text.length() > 0 ? "; " : "");
                        text.append(switch (v.value()) {
                            case List<?> l -> "kernel: " + String.join(", ", l.stream().map(Object::toString).toList());
                            case null -> v.name() + "=none";
                            default -> v.name() + "=" + v.value();
                        });
                        assertTrue(v.value() == null || v.value() instanceof Long || v.value() instanceof Boolean
                                || v.value() instanceof List, v.toString());
                    }
                    assertEquals(o.outcome(), text.toString());
                    seen++;
                }
            }
        }
        assertTrue(seen > 100, "outcomes seen: " + seen);
        CheckResult r = check("fork-longterm-pin", "linux-5.8");
        assertEquals(List.of(new CheckResult.Value("P:buf[0]", 1L), new CheckResult.Value("P:buf[1]", 2L),
                new CheckResult.Value("C:buf[0]", 7L), new CheckResult.Value("C:buf[1]", 0L)),
                r.outcomes().get(0).values());
    }

    @Test
    void aSafeResult_saysWhatWasEstablished_andTheChecksFollowThePolicy() throws Exception {
        CheckResult safe = check("fork-longterm-pin", "linux-6.18");
        // PageAnonExclusive exists from 5.19 (6c287605fd56 "mm: remember exclusively mapped anonymous pages")
        assertTrue(safe.search().checked().contains("inv-anon-exclusive"), safe.search().checked().toString());
        assertFalse(check("fork-longterm-pin", "linux-5.8").search().checked().contains("inv-anon-exclusive"));
        assertEquals(List.of("stall", "deadlock"), safe.search().checked().subList(
                safe.search().checked().size() - 2, safe.search().checked().size()));
        String text = TextReport.render(safe);
        assertTrue(text.contains("Established: every interleaving was explored (4 states, 1 final); the condition"
                + " holds in all of them; no violation: uaf,"), text);
        assertFalse(TextReport.render(check("fork-longterm-pin", "linux-5.8")).contains("holds in all of them"));
    }
}
