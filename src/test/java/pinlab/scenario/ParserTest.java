package pinlab.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static pinlab.TestSupport.parse;

import org.junit.jupiter.api.Test;

/** What the parser resolves, and where it points when it refuses. */
class ParserTest {
    private static final String BODY = """
            name p
            process P
            setup {
              P: mmap buf 1 rw private
            }
            thread T @ P {
              buf[0] = 1
            }
            """;

    @Test
    void conditionText_withoutParentheses_stopsAtTheCondition() {
        Scenario sc = parse(BODY + "exists \"issue #12: (x)\" P:buf[0] = 1 /\\ ~(P:buf[1] = -EFAULT)\n"
                + "locations [P:buf[1]]\nexpect linux-6.18: Always\n");
        assertEquals("exists \"issue #12: (x)\" P:buf[0] = 1 /\\ ~(P:buf[1] = -EFAULT)", sc.condition().text());
        assertEquals(1, sc.locations().size());
    }

    @Test
    void expectLines_nameKernelReleases_underTheirPolicyNames() {
        Scenario sc = parse(BODY + "exists (P:buf[0] = 1)\nexpect linux-6.1, linux-5.15: Always\n"
                + "expect linux-5.10: Never\n");
        assertEquals(java.util.List.of("linux-6.1", "linux-5.15"), sc.expectations().get(0).policies());
        // a release that has a preset is the preset's name
        assertEquals(java.util.List.of("linux-5.10"), sc.expectations().get(1).policies());
        assertEquals(Observation.NEVER, sc.expectationFor("linux-5.10").observation());
    }

    @Test
    void expectLines_takeBareReleases_asTheCommandLineDoes() {
        Scenario sc = parse(BODY + "exists (P:buf[0] = 1)\nexpect 6.1, 5.15: Always\nexpect 5.8+kara-block: Never\n");
        assertEquals(java.util.List.of("linux-6.1", "linux-5.15"), sc.expectations().get(0).policies());
        assertEquals(java.util.List.of("linux-5.8+kara-block"), sc.expectations().get(1).policies());
        ScenarioException e = org.junit.jupiter.api.Assertions.assertThrows(ScenarioException.class,
                () -> Parser.parse("t.pin", BODY + "exists (P:buf[0] = 1)\nexpect 5.90: Always\n"));
        assertEquals("PL018", e.code());
        assertEquals(8, e.col());
    }

    @Test
    void errors_showTheLine_withACaretUnderTheColumn() {
        ScenarioException e = org.junit.jupiter.api.Assertions.assertThrows(ScenarioException.class,
                () -> Parser.parse("t.pin", "name t\nprocess P\nthread T @ P {\n\t\u00e9 = 1\n}\nforall (P:x = 1)\n"));
        String[] lines = e.render().split("\n", -1);
        assertEquals(" 4 |  \u00e9 = 1", lines[1], e.render());
        // the tab shows as one space, so the caret stays under the code point the column counts ('1')
        assertEquals(6, e.col());
        assertEquals("   |      ^", lines[2], e.render());
        assertEquals('1', lines[1].charAt(lines[2].indexOf('^')));
    }

    @Test
    void likelyMistakes_getHintsThatNameWhatTheFormatHas() {
        String head = "name t\nprocess P\nholder device nic\nsetup {\n  P: mmap buf 1 rw private\n}\n";
        String[][] cases = {
            {"thread N @ nic {\n  dma nic[0] = 1\n}\nforall (P:buf[0] = 0)\n", "'thread NAME @ device'"},
            {"thread T @ P {\n  buf[0] = 1\n}\nforall (P:buf[0] >= 1)\n", "compares with '=' only"},
            {"thread T @ P {\n  buf[0] = 1\n}\nforall (P:buf[0] = 1 && P:buf[0] = 2)\n", "'and' as '/\\'"},
            {"thread T @ P {\n  buf[0] = 1\n}\nforall (P:buf[0] = 1 || P:buf[0] = 2)\n", "'or' as '\\/'"},
            {"thread T @ P {\n  buf[0] = 1\n}\nforall (P:buf[0] == 1)\n", "a single '='"},
            {"thread T @ P {\n  pin nic buf 0 1\n  unpin nic\n}\nforall (P:buf[0] = 0)\n", "'release HOLDER'"},
        };
        for (String[] c : cases) {
            ScenarioException e = org.junit.jupiter.api.Assertions.assertThrows(ScenarioException.class,
                    () -> Parser.parse("t.pin", head + c[0]), c[0]);
            org.junit.jupiter.api.Assertions.assertTrue(e.hint() != null && e.hint().contains(c[1]),
                    c[0] + " -> " + e.render());
        }
    }

    @Test
    void conditionText_acrossLines_isJoined() {
        Scenario sc = parse(BODY + "forall (P:buf[0] = 1\n  /\\ same(P:buf[0], P:buf[1]))\n");
        assertEquals("forall (P:buf[0] = 1 /\\ same(P:buf[0], P:buf[1]))", sc.condition().text());
    }

    @Test
    void forkInSetup_pointsAtFork() {
        ScenarioException e = assertThrows(ScenarioException.class, () -> Parser.parse("f.pin",
                "name a\nprocess P\nsetup {\n  P: mmap buf 1 rw private\n  P: fork C\n}\n"));
        assertEquals("PL022", e.code());
        assertEquals(5, e.line());
        assertEquals(6, e.col());
    }

    @Test
    void unclosedThread_pointsAtItsBrace() {
        ScenarioException e = assertThrows(ScenarioException.class, () -> Parser.parse("f.pin",
                "name a\nprocess P\nthread T @ P {\n  exit\n"));
        assertEquals("PL028", e.code());
        assertEquals(3, e.line());
    }

    @Test
    void byteOrderMark_isIgnored() {
        assertEquals("p", parse("\uFEFF" + BODY + "exists (P:buf[0] = 1)\n").name());
    }

    @Test
    void resolves_processesThreadsHoldersAndCells() {
        Scenario sc = parse("""
                name r
                process P
                holder device nic
                setup {
                  P: mmap buf 2 rw private
                  P: pin nic buf 1 1 write longterm
                }
                thread T @ P {
                  fork C
                }
                thread U @ C {
                  r0 = buf[3]
                }
                thread NIC @ device {
                  dma nic[1] = 4
                }
                exists (U:r0 = 4 /\\ nic[1] = 4)
                """);
        assertEquals(java.util.List.of("P", "C"), sc.processes());
        assertEquals(1, sc.initialProcesses());
        assertEquals(1, sc.holders().get(0).slots());
        assertEquals(-1, sc.threads().get(2).process());
        assertEquals(java.util.List.of("r0"), sc.threads().get(1).registers());
    }
}
