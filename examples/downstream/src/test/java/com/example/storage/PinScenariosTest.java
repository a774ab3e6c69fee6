package com.example.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import pinlab.Expectations;
import pinlab.Pinlab;
import pinlab.report.Cell;
import pinlab.report.CheckResult;
import pinlab.report.Verdict;
import pinlab.scenario.Observation;

/** The storage engine's pinning scenarios, asserted with pinlab's public API only. */
class PinScenariosTest {
    static final Path SCENARIO = Path.of("src/test/pin/dio-read-across-fork.pin");

    @Test
    void dioReadAcrossFork_behavesAsItsExpectLinesSay() {
        Expectations.assertHold(SCENARIO);
    }

    @Test
    void aWrongExpectation_failsWithWhatHappenedInstead() throws IOException {
        // Claim that 5.9 never loses the read: it does (reuse needs page_count 1 there), so the assertion fails.
        String text = Files.readString(SCENARIO)
                .replace("expect linux-5.9, linux-5.10,", "expect linux-5.9: Never\nexpect linux-5.10,");
        AssertionError e = assertThrows(AssertionError.class, () -> Expectations.assertHold("wrong.pin", text));
        assertTrue(e.getMessage().startsWith("engine-dio-read-across-fork: 1 of 14 expectations do not hold"),
                e.getMessage());
        assertTrue(e.getMessage().contains("expected Never, got Sometimes"), e.getMessage());
    }

    @Test
    void theTypedResult_saysWhatTheMatrixSays() throws Exception {
        // 5.9 still loses the read in some runs; 6.5's FOLL_PIN for O_DIRECT and the maybe-pinned copy at fork end it
        CheckResult old = Pinlab.check(SCENARIO, "linux-5.9");
        assertEquals(Cell.Kind.FAILURE, old.headline().kind());
        assertEquals("DATA LOSS", old.headline().text());
        assertEquals(Observation.SOMETIMES, old.observation());
        assertEquals(Verdict.OK, old.verdict());
        assertTrue(old.outcomes().stream().anyMatch(o -> o.values().contains(new CheckResult.Value("P:buf[0]", 0L))));
        CheckResult now = Pinlab.check(SCENARIO, "linux-6.18");
        assertEquals(Cell.Kind.SAFE, now.headline().kind());
        assertEquals(Observation.NEVER, now.observation());
    }

    @Test
    void aScenarioThatDoesNotParse_failsWithItsFileAndLine() {
        AssertionError e = assertThrows(AssertionError.class,
                () -> Expectations.assertHold("broken.pin", "name broken\nprocess P\nsetup {\n  P: mmap\n}\n"));
        assertTrue(e.getMessage().startsWith("broken.pin:4:"), e.getMessage());
    }

    /** pinlab comes as a thin jar with declared dependencies: one copy of each library on the class path. */
    @Test
    void pinlabsDependencies_areOnTheClassPathOnce_andNotInsidePinlabsJar() throws IOException {
        ClassLoader cl = PinScenariosTest.class.getClassLoader();
        URL pinlab = cl.getResource("pinlab/Expectations.class");
        String pinlabJar = pinlab.toString().substring(0, pinlab.toString().indexOf('!'));
        for (String cls : List.of("picocli/CommandLine.class", "com/fasterxml/jackson/databind/ObjectMapper.class",
                "it/unimi/dsi/fastutil/ints/IntArrayList.class", "com/dynatrace/hash4j/hashing/Hashing.class",
                "me/tongfei/progressbar/ProgressBar.class")) {
            List<URL> copies = Collections.list(cl.getResources(cls));
            assertEquals(1, copies.size(), cls + ": " + copies);
            assertNotEquals(pinlabJar, copies.get(0).toString().substring(0, copies.get(0).toString().indexOf('!')),
                    cls + " comes from pinlab's own jar");
        }
    }
}
