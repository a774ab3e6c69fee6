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

    // The shapes below come from herdtools7 7.58 (commit 1ca343e16a2038e406d1ac674e7e3a1b722b36c7): how herd7
    // prints a block (herd/top_herd.ml, the output after "Now output"; a state by do_dump_rstate in
    // herd/archExtra_herd.ml) and how mcompare7 reads one (tools/lexLog_tools.mll, rules main, pstate, plines,
    // pline, pwitnesses, pcond, phash), checked against a real herd7 run of a store-buffering test.

    /** A location as rule pline reads it: {@code num ':' reg}, a name, or a name indexed {@code [num]}. */
    private static final String NAME = "[A-Za-z_.$][A-Za-z0-9_.]*";
    private static final String LOC = "(?:[0-9]+:" + NAME + "|" + NAME + "|" + NAME + "\\[[0-9]+])";
    /** A value as pline reads it (the forms pinlab can write): a decimal or a name. */
    private static final String VAL = "(?:-?[0-9]+|" + NAME + ")";
    /** herd7 joins the bindings {@code loc=v;} with one space (do_dump_rstate, pp_nice_rstate st " "). */
    private static final String STATE = LOC + "=" + VAL + ";(?: " + LOC + "=" + VAL + ";)*";
    /** The Test line: testname and kind (lexLog_tools.mll, main; kinds by LogState.parse_kind). */
    private static final String TEST = "Test [A-Za-z0-9_/.+\\[\\]-]+ (?:Allowed|Forbidden|Required)";

    @Test
    void aBlock_hasHerdsLinesInHerdsOrder() throws ScenarioException {
        String[] b = block("race", "exists \"B wrote last\" (P:buf[0] = 2)");
        assertEquals("Test race Allowed", b[0]);
        assertTrue(b[0].matches(TEST), b[0]);
        assertEquals("States 2", b[1]);
        assertTrue(b[2].matches(STATE), b[2]);
        assertTrue(b[3].matches(STATE), b[3]);
        assertEquals("Ok", b[4]);
        assertEquals("Witnesses", b[5]);
        // top_herd.ml: printf "Positive: %i Negative: %i\n"
        assertEquals("Positive: 1 Negative: 1", b[6]);
        assertTrue(b[7].startsWith("Condition exists ("), "herd conditions carry no label: " + b[7]);
        assertEquals("Observation race Sometimes 1 1", b[8]);
        // top_herd.ml: printf "Time %s %0.2f\n"; lexLog_tools.mll, phash: "Time" testname num '.' num
        assertEquals("Time race 0.00", b[9]);
        assertTrue(b[10].matches("Hash=[0-9a-f]{32}"), b[10]);
        assertEquals(HerdReport.md5(BODY.formatted("race", "exists \"B wrote last\" (P:buf[0] = 2)")),
                b[10].substring(5));
        // print_newline () after the Hash line: one blank line ends the block
        assertEquals("", b[11]);
        assertEquals(12, b.length - 1);
    }

    @Test
    void pinlabsTerms_becomeLocationsHerdsLexerReads() {
        // pline has no space in a location and a colon only after a processor number (0:r0)
        assertEquals("T.r1", HerdReport.location("T:r1"));
        assertEquals("P.buf[0]", HerdReport.location("P:buf[0]"));
        assertEquals("disk.F[0]", HerdReport.location("disk F[0]"));
        assertEquals("same_P.a.0_b.0", HerdReport.location("same(P:a[0],b[0])"));
        assertEquals("event_x", HerdReport.location("event(x)"));
        for (String t : List.of("T:r1", "P:buf[0]", "disk F[0]", "cache F[1]", "nic[1]", "r1", "same(P:a[0],b[0])")) {
            assertTrue(HerdReport.location(t).matches(LOC), t + " -> " + HerdReport.location(t));
        }
    }

    @Test
    void everyState_bindsTheSameLocations_asMcompareRequires() throws ScenarioException {
        // tools/logState.ml, compare_env raises StateMismatch when one final state binds a location another lacks,
        // within a log and across logs; so kernel is bound in every state, none where nothing was reported
        String[] b = block("race", "exists (P:buf[0] = 2)");
        java.util.Set<String> first = null;
        for (int i = 2; i < 4; i++) {
            assertTrue(b[i].matches(STATE), b[i]);
            java.util.Set<String> locs = new java.util.TreeSet<>();
            for (String binding : b[i].split(" ", -1)) {
                locs.add(binding.substring(0, binding.indexOf('=')));
            }
            assertTrue(locs.contains("kernel"), b[i]);
            if (first == null) {
                first = locs;
            }
            assertEquals(first, locs);
        }
    }

    @Test
    void theCondition_isInHerdsConditionSyntax() {
        // lib/stateLexer.mll has no '-' before a name and no ':' after a name; mcompare7 -show r re-evaluates
        // the condition (tools/logConstr.ml, parse) against the states, so it names the states' locations
        assertEquals("disk.F[0] != -5", HerdReport.condition("disk F[0] != -EIO"));
        assertEquals("T.r0 = -95 /\\ T.r1 = 0", HerdReport.condition("T:r0 = -EOPNOTSUPP /\\ T:r1 = 0"));
        assertEquals("(same_P.a.0_P.a.2 = 1) /\\ ~(same_P.b.0_b.0 = 1)",
                HerdReport.condition("same(P:a[0], P:a[2]) /\\ ~same(P:b[0], b[0])"));
    }

    @Test
    void theKindAndOk_followTheQuantifier_asInHerd() throws ScenarioException {
        // constrGen.ml, pp_kind: exists Allowed, ~exists Forbidden, forall Required;
        // top_herd.ml, check_cond: exists Ok when pos > 0, ~exists when pos = 0, forall when neg = 0
        assertEquals("Test never3 Forbidden", block("never3", "~exists (P:buf[0] = 3)")[0]);
        assertEquals("Ok", block("never3", "~exists (P:buf[0] = 3)")[4]);
        assertEquals("No", block("never2", "~exists (P:buf[0] = 2)")[4]);
        assertEquals("Test all Required", block("all", "forall (P:buf[0] = 1 \\/ P:buf[0] = 2)")[0]);
        assertEquals("Ok", block("all", "forall (P:buf[0] = 1 \\/ P:buf[0] = 2)")[4]);
        assertEquals("No", block("one", "forall (P:buf[0] = 1)")[4]);
    }

    @Test
    void forNotExists_theWitnessesAreSwapped_butNotTheObservation() throws ScenarioException {
        // top_herd.ml, check_wit: NotExistsState -> c.neg,c.pos, while Observation prints c.pos c.neg. herd7 7.58 on
        // SB with ~exists (0:r0=1 /\ 1:r0=1), 1 of 4 executions satisfying it, prints
        // "Positive: 3 Negative: 1" and "Observation SBn Sometimes 1 3". Here 1 of 2 final states has buf[0] = 2,
        // so an expression that holds in one (=2) and one that holds in none (=3) tell the two apart
        String[] b = block("never3", "~exists (P:buf[0] = 3)");
        assertEquals("Positive: 2 Negative: 0", b[6]);
        assertEquals("Observation never3 Never 0 2", b[8]);
        String[] a = block("all", "~exists (P:buf[0] = 1 \\/ P:buf[0] = 2)");
        assertEquals("Positive: 0 Negative: 2", a[6]);
        assertEquals("Observation all Always 2 0", a[8]);
    }
}
