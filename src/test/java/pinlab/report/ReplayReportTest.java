package pinlab.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The replay report's marks: which terms and pages disagree, the free runs' histogram and the summary. */
class ReplayReportTest {
    @Test
    void outcomeDiff_marksOnlyTheTermsThatDiffer() {
        StringBuilder sb = new StringBuilder();
        ReplayReport.outcomeDiff(sb, "P:buf[0]=1; P:buf[1]=2; kernel: WARN", "P:buf[0]=7; P:buf[1]=2");
        String text = ReplayReport.plain(sb.toString());
        assertEquals("""
                  model:  P:buf[0]=1; P:buf[1]=2; kernel: WARN
                          ^^^^^^^^^^              ^^^^^^^^^^^^
                  kernel: P:buf[0]=7; P:buf[1]=2
                          ^^^^^^^^^^
                """, text);
        assertTrue(sb.toString().contains(ReplayReport.HIGHLIGHT_ON + "P:buf[0]=7" + ReplayReport.HIGHLIGHT_OFF));
        assertEquals("\u001b[1mx\u001b[22m", ReplayReport.ansi(ReplayReport.HIGHLIGHT_ON + "x"
                + ReplayReport.HIGHLIGHT_OFF));
    }

    @Test
    void differingPages_includeHolderPagesOnlyOneSideRelates() {
        Map<String, String> model = Map.of("P:buf page 0", "page1 mapped-once", "nic page 0", "page2 held");
        Map<String, String> real = Map.of("P:buf page 0", "page1 mapped-once", "nic page 0", "page1 held");
        assertEquals(List.of("nic page 0"), ReplayReport.differingPages(model, real));
        assertEquals(List.of(), ReplayReport.differingPages(real, real));
    }

    @Test
    void stress_histogramAndObservation_likeKlitmus() {
        ReplayStress s = new ReplayStress("t", "linux-6.18", List.of(), 5, false,
                new java.util.TreeMap<>(Map.of("x=0", 2, "x=1", 3)), Map.of("x=0", false, "x=1", true),
                Map.of("x=1", true, "x=0", false, "x=2", false), List.of(), true);
        String text = ReplayReport.renderStress(s);
        assertTrue(text.contains("2 :>x=0    (model: reachable)\n3 *>x=1    (model: reachable)\n"), text);
        assertTrue(text.contains("Observation t Sometimes 3 2\n"), text);
        assertTrue(text.contains("every real outcome is reachable (1 of its 3 outcomes not seen"), text);
        assertTrue(text.contains("nondeterministic"), text);
        ReplayStress bug = new ReplayStress("t", "linux-6.18", List.of(), 1, true, Map.of("x=3", 1),
                Map.of("x=3", true), Map.of("x=1", true), List.of(), true);
        String loud = ReplayReport.renderStress(bug);
        assertTrue(loud.contains("MODEL BUG: 1 real outcome that the linux-6.18 model says cannot happen:\n  x=3\n"),
                loud);
        // under another release's model, the same difference is the two kernels', not a model bug
        ReplayStress other = new ReplayStress("t", "linux-5.9", List.of(), 1, true, Map.of("x=3", 1),
                Map.of("x=3", true), Map.of("x=1", true), List.of(), false);
        String older = ReplayReport.renderStress(other);
        assertTrue(older.contains("NOT IN THE MODEL: 1 real outcome that the linux-5.9 model says cannot happen (this"
                + " kernel is not linux-5.9"), older);
        assertFalse(older.contains("MODEL BUG"), older);
        ReplayResult none = new ReplayResult("t", "t.pin", "linux-5.9", "6.18", List.of(), List.of(), List.of(), 0, 0);
        assertEquals("DISAGREE", ReplayReport.summaryLine(none, other).verdict());
        assertEquals("MODEL BUG", ReplayReport.summaryLine(none, bug).verdict());
        assertTrue(loud.contains("Observation t Always 1 0"), loud);
        assertFalse(loud.contains("\u001b"), loud);
    }

    @Test
    void summary_countsAndOneLinePerScenario() {
        ReplayResult agree = new ReplayResult("a", "a.pin", "linux-6.18", "6.18", List.of(), List.of(), List.of(), 2,
                0);
        ReplayResult skipped = new ReplayResult("b", "b.pin", "linux-6.18", "6.18", List.of("no"), List.of(),
                List.of(), 0, 0);
        ReplayResult disagree = new ReplayResult("c", "c.pin", "linux-5.9", "6.18", List.of(), List.of(), List.of(),
                0, 1);
        String text = ReplayReport.renderSummary(List.of(ReplayReport.summaryLine(agree, null),
                ReplayReport.summaryLine(skipped, null), ReplayReport.summaryLine(disagree, null)), List.of("d"));
        assertTrue(text.startsWith("== replay summary: 4 scenarios: 1 agree, 1 disagree, 1 unavailable, 1 failed ==\n"),
                text);
        assertTrue(text.contains("  a        | agree    | runs=2 agree=2 disagree=0\n"), text);
        assertTrue(text.contains("  c        | DISAGREE | runs=1 agree=0 disagree=1\n"), text);
        assertTrue(text.contains("  d        | FAILED   |"), text);
    }
}
