package example;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import pinlab.Expectations;

/**
 * How a project that pins memory (an RDMA library, a database using O_DIRECT) keeps its own scenarios in its test
 * suite: one line per scenario file, using only pinlab's public API. This package is not pinlab's own.
 */
class DownstreamProjectTest {
    @Test
    void ourForkScenario_behavesAsItsExpectLinesSay() {
        Expectations.assertHold(Path.of("corpus/fork-child-exits-first.pin"));
    }

    @Test
    void aWrongExpectation_failsTheTest_andSaysWhatHappenedInstead() {
        String scenario = """
                name our-buffer
                process P
                setup {
                  P: mmap buf 1 rw private
                }
                thread T @ P {
                  buf[0] = 1
                }
                forall (P:buf[0] = 1)
                expect linux-6.18, linux-5.15: Never
                """;
        AssertionError e = assertThrows(AssertionError.class, () -> Expectations.assertHold("our-buffer.pin", scenario));
        assertTrue(e.getMessage().startsWith("our-buffer: 2 of 2 expectations do not hold"), e.getMessage());
        assertTrue(e.getMessage().contains("expected Never, got Always"), e.getMessage());
        AssertionError bad = assertThrows(AssertionError.class, () -> Expectations.assertHold("x.pin", "name x\n"));
        assertTrue(bad.getMessage().startsWith("x.pin:"), bad.getMessage());
    }
}
