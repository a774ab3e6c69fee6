package pinlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static pinlab.cli.CliRun.run;

import org.junit.jupiter.api.Test;

/**
 * {@code pinlab replay} on this machine's kernel through the command line: the marks of a disagreement, the free
 * runs, the summary and the exit codes. Skipped outside CI where the machine lacks what replay needs.
 */
class ReplayCliIT {
    private static void needReplay() {
        try {
            pinlab.replay.Agent.prepare();
        } catch (pinlab.replay.ReplayUnavailable e) {
            if (System.getenv("CI") != null) {
                throw new AssertionError(e.getMessage(), e);
            }
            assumeTrue(false, e.getMessage());
        }
    }

    @Test
    void olderPolicy_marksTheTermsAndPages_flagsFreeRuns_andSummarises() {
        needReplay();
        String home = java.nio.file.Path.of("").toAbsolutePath().toString();
        CliRun r = run("replay", home + "/corpus/pin-mprotect-cycle.pin", home + "/corpus/fork-longterm-pin.pin",
                "--policy", "linux-5.9", "--stress", "2");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("""
                  model:  P:buf[0]=1; P:buf[1]=2
                          ^^^^^^^^^^
                  kernel: P:buf[0]=7; P:buf[1]=2
                          ^^^^^^^^^^
                """), r.out());
        assertTrue(r.out().contains("  1 | P:buf[0]=1; P:buf[1]=2 | P:buf[0]=7; P:buf[1]=2 (1) | DIFFER | DISAGREE"),
                r.out());
        assertTrue(r.out().contains("  pages differ at: nic page 0\n"), r.out());
        assertTrue(r.out().contains("Histogram (1 state)\n2 *>P:buf[0]=7; P:buf[1]=2    (model: UNREACHABLE)\n"),
                r.out());
        assertTrue(r.out().contains("Observation pin-mprotect-cycle Always 2 0\n"), r.out());
        assertTrue(r.out().contains("NOT IN THE MODEL: 1 real outcome that the linux-5.9 model says cannot happen"
                + " (this kernel is not linux-5.9"), r.out());
        assertTrue(r.err().contains("pin-mprotect-cycle: not in the model"), r.err());
        assertFalse(r.out().contains("MODEL BUG"), "5.9's model is not this kernel's: " + r.out());
        assertTrue(r.out().contains("== replay summary: 2 scenarios: "), r.out());
        assertTrue(r.out().contains("  pin-mprotect-cycle | DISAGREE |"), r.out());
        assertFalse(r.out().contains("\u001b"), "no escape sequences outside a terminal");
        assertFalse(r.out().contains(String.valueOf(pinlab.report.ReplayReport.HIGHLIGHT_ON)), r.out());
    }

    @Test
    void oneScenario_noSummary_andBadStress_isUsage() {
        needReplay();
        String home = java.nio.file.Path.of("").toAbsolutePath().toString();
        CliRun r = run("replay", home + "/corpus/pin-mprotect-cycle.pin");
        assertEquals(0, r.code(), r.out() + r.err());
        assertFalse(r.out().contains("replay summary"), r.out());
        assertFalse(r.out().contains("free runs"), r.out());
        CliRun bad = run("replay", home + "/corpus/pin-mprotect-cycle.pin", "--stress", "-1");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--stress must be at least 0"), bad.err());
    }
}
