package pinlab.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static pinlab.TestSupport.check;
import static pinlab.TestSupport.parse;

import java.util.List;
import org.junit.jupiter.api.Test;
import pinlab.Pinlab;
import pinlab.policy.Policies;
import pinlab.report.CheckResult;
import pinlab.report.JsonReport;

/** The search: finals vs stalls, limits, shortest and least-switching traces, determinism. */
class ExplorerTest {

    @Test
    void awaitNeverSignalled_isTheScenariosOwnDeadlock() {
        String s = """
                name stall
                process P
                setup {
                  P: mmap buf 1 rw private
                }
                thread T @ P {
                  await never
                }
                exists (P:buf[0] = 0)
                expect linux-6.18: Never with deadlock
                """;
        CheckResult r = check(s, "linux-6.18");
        assertEquals(List.of("deadlock"), r.violations().stream().map(CheckResult.ViolationRow::kind).toList());
        assertEquals(0, r.search().finalStates());
        assertEquals("OK", r.verdict().word(), "the deadlock is expected by the scenario");
    }

    @Test
    void unexpectedStall_isAMismatch() {
        String s = """
                name stall
                process P
                holder dio d
                setup {
                  P: mmap buf 1 rw private
                }
                thread T @ P {
                  wait d
                }
                exists (P:buf[0] = 0)
                expect linux-6.18: Never
                """;
        assertEquals("MISMATCH", check(s, "linux-6.18").verdict().word());
    }

    @Test
    void stateLimit_makesTheRunIncomplete_neverSafe() {
        String s = """
                name limited
                process P
                setup {
                  P: mmap buf 1 rw private
                }
                thread A @ P {
                  buf[0] = 1
                  buf[0] = 2
                }
                thread B @ P {
                  buf[1] = 3
                  buf[1] = 4
                }
                forall (P:buf[0] = 2)
                expect linux-6.18: Always
                """;
        CheckResult r = Pinlab.check(parse(s), Policies.byName("linux-6.18"), new Limits(3, 0), false);
        assertFalse(r.complete());
        assertEquals("INCOMPLETE", r.verdict().word());
        assertNull(r.matches(), "an incomplete run neither matches nor contradicts its expectation");
        assertEquals("incomplete", r.observationWord());
        CheckResult full = Pinlab.check(parse(s), Policies.byName("linux-6.18"), Limits.NONE.withPor(false), false);
        assertTrue(full.complete());
        assertEquals("OK", full.verdict().word());
        assertEquals(9, full.search().states(), "3 x 3 program counters, one state each");
        // the two threads store to different cells of one page: once it is mapped writable, their stores commute
        CheckResult reduced = check(s, "linux-6.18");
        assertEquals("OK", reduced.verdict().word());
        assertTrue(reduced.search().states() < 9, "reduced: " + reduced.search().states());
    }

    @Test
    void witness_isShortest_andHasFewestContextSwitches() {
        String s = """
                name witness
                process P
                setup {
                  P: mmap buf 1 rw private
                }
                thread A @ P {
                  buf[0] = 1
                  buf[0] = 2
                }
                thread B @ P {
                  r0 = buf[0]
                }
                exists (B:r0 = 2)
                """;
        CheckResult r = check(s, "linux-6.18");
        assertEquals("Sometimes", r.observationWord());
        var steps = r.witness().steps();
        assertEquals(3, steps.size());
        assertEquals(List.of(0, 0, 1), steps.stream().map(x -> x.thread()).toList());
    }

    @Test
    void results_areDeterministic() {
        String s = """
                name det
                process P
                holder dio rd
                setup {
                  P: mmap buf 1 rw private
                  P: buf[1] = 5
                }
                thread T1 @ P {
                  dio_read rd buf
                  wait rd
                }
                thread DISK @ device {
                  dma rd[0] = 7
                  dio_complete rd
                }
                thread T2 @ P {
                  fork C
                }
                thread T3 @ P {
                  buf[1] = 2
                }
                exists (P:buf[0] = 0)
                """;
        String a = JsonReport.render(List.of(check(s, "linux-5.9"))).replaceAll("\"millis\" : \\d+", "");
        String b = JsonReport.render(List.of(check(s, "linux-5.9"))).replaceAll("\"millis\" : \\d+", "");
        assertEquals(a, b);
    }

    @Test
    void noSatisfyingState_noWitness() {
        String s = """
                name none
                process P
                setup {
                  P: mmap buf 1 rw private
                }
                thread T @ P {
                  buf[0] = 1
                }
                exists (P:buf[0] = 2)
                """;
        CheckResult r = check(s, "linux-6.18");
        assertEquals("Never", r.observationWord());
        assertNull(r.witness());
    }
}
