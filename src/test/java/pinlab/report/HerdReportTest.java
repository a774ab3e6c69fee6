package pinlab.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import pinlab.Pinlab;
import pinlab.engine.Limits;
import pinlab.policy.Policies;
import pinlab.scenario.Parser;
import pinlab.scenario.Scenario;
import pinlab.scenario.ScenarioException;

/** {@code --format herd} writes herd7's result block, line for line. */
class HerdReportTest {
    private static final String BODY = """
            name %s
            process P
            setup {
              P: mmap buf 1 rw private
            }
            thread A @ P {
              buf[0] = 1
            }
            thread B @ P {
              buf[0] = 2
            }
            %s
            """;

    private static String[] block(String name, String condition) throws ScenarioException {
        String text = BODY.formatted(name, condition);
        Scenario sc = Parser.parse(name + ".pin", text);
        CheckResult r = Pinlab.check(sc, Policies.byName("linux-6.18"), Limits.NONE, false).withoutTimings();
        return HerdReport.render(List.of(r), Map.of(name, text)).split("\n", -1);
    }

    @Test
    void aBlock_hasHerdsLinesInHerdsOrder() throws ScenarioException {
        String[] b = block("race", "exists \"B wrote last\" (P:buf[0] = 2)");
        assertEquals("Test race Allowed", b[0]);
        assertEquals("States 2", b[1]);
        assertEquals("P:buf[0]=1;", b[2]);
        assertEquals("P:buf[0]=2;", b[3]);
        assertEquals("Ok", b[4]);
        assertEquals("Witnesses", b[5]);
        assertEquals("Positive: 1 Negative: 1", b[6]);
        assertEquals("Condition exists (P:buf[0] = 2)", b[7], "herd conditions carry no label");
        assertEquals("Observation race Sometimes 1 1", b[8]);
        assertEquals("Time race 0.00", b[9]);
        assertTrue(b[10].matches("Hash=[0-9a-f]{32}"), b[10]);
        assertEquals(HerdReport.md5(BODY.formatted("race", "exists \"B wrote last\" (P:buf[0] = 2)")),
                b[10].substring(5));
    }

    @Test
    void theKindAndOk_followTheQuantifier_asInHerd() throws ScenarioException {
        // ~exists is Forbidden, and Ok when no final state satisfies the expression
        assertEquals("Test never3 Forbidden", block("never3", "~exists (P:buf[0] = 3)")[0]);
        assertEquals("Ok", block("never3", "~exists (P:buf[0] = 3)")[4]);
        assertEquals("No", block("never2", "~exists (P:buf[0] = 2)")[4]);
        // forall is Required, and Ok when every final state satisfies it
        assertEquals("Test all Required", block("all", "forall (P:buf[0] = 1 \\/ P:buf[0] = 2)")[0]);
        assertEquals("Ok", block("all", "forall (P:buf[0] = 1 \\/ P:buf[0] = 2)")[4]);
        assertEquals("No", block("one", "forall (P:buf[0] = 1)")[4]);
    }
}
