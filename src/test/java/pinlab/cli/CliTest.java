package pinlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static pinlab.cli.CliRun.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import pinlab.policy.Policies;

/** The command line: exit codes, formats and messages, as a user meets them. */
class CliTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    private static final String GOOD = """
            name cli
            process P
            setup {
              P: mmap buf 1 rw private
            }
            thread T @ P {
              buf[0] = 1
            }
            forall (P:buf[0] = 1)
            expect linux-6.18: %s
            """;

    @Test
    void check_matchingExpectation_exits0() throws Exception {
        CliRun r = run("check", write("a.pin", GOOD.formatted("Always")).toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("==  Always \u2014 as expected"), r.out());
        assertTrue(r.out().contains("Observation cli Always 1 0"), r.out());
    }

    @Test
    void check_underAKernelRelease_saysWhichRulesItGets() throws Exception {
        CliRun r = run("check", write("a.pin", GOOD.formatted("Always")).toString(), "--policy", "6.1", "-q");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| linux-6.1 "), r.out());
        assertTrue(r.err().contains("linux-6.1 → linux-5.19 rules +force-exclusive (6.0)"), r.err());
        CliRun host = run("check", write("b.pin", GOOD.formatted("Always")).toString(), "--policy", "host", "-q");
        assertEquals(0, host.code(), host.err());
        assertTrue(host.err().contains("host is " + pinlab.policy.Policies.host().name() + " (uname -r: "),
                host.err());
        CliRun typo = run("check", write("c.pin", GOOD.formatted("Always")).toString(), "--policy", "lnux-5.9");
        assertEquals(2, typo.code());
        assertTrue(typo.err().contains("did you mean linux-5.9"), typo.err());
        CliRun none = run("check", write("d.pin", GOOD.formatted("Always")).toString(), "--policy", "linux-5.90");
        assertEquals(2, none.code());
        assertTrue(none.err().contains("there is no Linux 5.90 (the 5.x releases end at 5.19)"), none.err());
    }

    @Test
    void list_namesTheCorpus_andCheckTakesANameFromIt() {
        CliRun list = run("list");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains("fork-child-exits-first  "), list.out());
        assertTrue(list.out().contains("    topic: "), list.out());
        assertTrue(list.out().contains("    source: "), list.out());
        CliRun one = run("check", "fork-child-exits-first", "--policy", "linux-5.9", "-q");
        assertEquals(0, one.code(), one.err());
        assertTrue(one.out().contains("fork-child-exits-first | linux-5.9 "), one.out());
        CliRun typo = run("check", "fork-child-exit");
        assertEquals(2, typo.code());
        assertTrue(typo.err().contains("no corpus scenario of that name (closest: fork-child-exits-first)"),
                typo.err());
    }

    @Test
    void scenarioAndTopicGlobs_filterCheckAndList() {
        CliRun forks = run("check", "--scenario", "fork-child-*", "--policy", "linux-6.18", "-q");
        assertEquals(0, forks.code(), forks.err());
        assertTrue(forks.out().contains("fork-child-exits-first"), forks.out());
        assertFalse(forks.out().contains("ksm-"), forks.out());
        CliRun ksm = run("list", "--topic", "KSM");
        assertEquals(0, ksm.code(), ksm.err());
        assertTrue(ksm.out().lines().filter(l -> l.startsWith("    topic: ")).allMatch(l -> l.contains("KSM")),
                ksm.out());
        CliRun none = run("check", "--scenario", "no-such-*");
        assertEquals(2, none.code());
        assertTrue(none.err().contains("no scenario matches --scenario [no-such-*]"), none.err());
    }

    @Test
    void check_readsAScenarioFromStandardInput() throws Exception {
        java.io.InputStream was = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream(GOOD.formatted("Always").getBytes(StandardCharsets.UTF_8)));
            CliRun r = run("check", "-");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("file: <stdin>"), r.out());
            System.setIn(new java.io.ByteArrayInputStream("name x\nprocess P\nbogus\n".getBytes(StandardCharsets.UTF_8)));
            CliRun bad = run("check", "-");
            assertEquals(2, bad.code());
            assertTrue(bad.err().contains("<stdin>:3:"), bad.err());
        } finally {
            System.setIn(was);
        }
    }

    @Test
    void checkOfSeveralScenarios_printsInFullOnlyWhatIsWorthReading() throws Exception {
        Path a = write("a.pin", GOOD.formatted("Always"));
        Path b = write("b.pin", GOOD.formatted("Never").replace("name cli", "name cli2"));
        CliRun brief = run("check", a.toString(), b.toString());
        assertEquals(1, brief.code());
        assertTrue(brief.out().contains("== cli2 under linux-6.18"), "the mismatch is printed: " + brief.out());
        assertFalse(brief.out().contains("== cli under linux-6.18"), "the safe match is not: " + brief.out());
        assertTrue(brief.out().contains("1 more result (safe and as expected) in the summary only"), brief.out());
        CliRun full = run("check", a.toString(), b.toString(), "--traces", "witness");
        assertTrue(full.out().contains("== cli under linux-6.18"), full.out());
    }

    @Test
    void matrix_exitingOnAnUnexpectedViolation_saysSoInItsSummary() throws Exception {
        Path p = write("dl.pin", """
                name dl
                process P
                setup {
                  P: mmap buf 1 rw private
                }
                thread T @ P {
                  await never
                }
                forall (P:buf[0] = 0)
                """);
        CliRun r = run("matrix", p.toString(), "--policies", "linux-6.18", "--html", dir.resolve("r.html").toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("0 mismatched, 1 with an unexpected violation, 0 incomplete"), r.out());
    }

    @Test
    void explain_takesTheRulesBisectPrints_andSaysWhatARuleNeeds() {
        CliRun choice = run("explain", "linux-5.9", "fork-copy-maybe-pinned", "--", "corpus/fork-child-exits-first.pin");
        assertEquals(0, choice.code(), choice.err());
        assertTrue(choice.out().contains("  needs mmf-has-pinned\n"), choice.out());
        assertTrue(choice.out().contains("linux-5.9's choice for fork-pinned; it cannot be switched off"), choice.out());
        assertFalse(choice.out().contains("FORK_PINNED") || choice.out().contains("fork_pinned"), choice.out());
        CliRun signed = run("explain", "linux-5.8", "+fork-copy-maybe-pinned", "corpus/fork-child-exits-first.pin");
        assertEquals(0, signed.code(), signed.err());
        assertTrue(signed.out().contains("needs mmf-has-pinned (which linux-5.8 lacks"), signed.out());
        assertTrue(signed.out().contains("changes none of the 1 scenario\n"), signed.out());
        CliRun base = run("explain", "linux-5.9", "wp-copy");
        assertEquals(0, base.code(), base.err());
        assertTrue(base.out().contains("a base rule"), base.out());
    }

    @Test
    void jsonFormats_carryTheVersion_andReportBadScenariosAsJson() throws Exception {
        Path bad = write("bad.pin", "name x\nprocess P\nbogus\n");
        Path good = write("a.pin", GOOD.formatted("Always"));
        ObjectMapper m = new ObjectMapper();
        CliRun json = run("check", bad.toString(), good.toString(), "--format", "json");
        assertEquals(2, json.code());
        JsonNode doc = m.readTree(json.out());
        assertEquals(pinlab.report.JsonReport.version(), doc.get("version").asText());
        assertEquals("PL004", doc.get("errors").get(0).get("code").asText());
        assertEquals(3, doc.get("errors").get(0).get("line").asInt());
        assertEquals(1, doc.get("results").size());
        assertFalse(json.err().contains("PL004"), "the error is in the JSON, not on stderr: " + json.err());
        CliRun lines = run("check", bad.toString(), good.toString(), "--format", "jsonl", "--no-timings");
        String[] ls = lines.out().strip().split("\n", -1);
        assertEquals(2, ls.length, lines.out());
        assertEquals("PL004", m.readTree(ls[0]).get("error").get("code").asText());
        assertEquals("cli", m.readTree(ls[1]).get("scenario").asText());
        assertEquals(2, m.readTree(ls[1]).get("schema").asInt());
        CliRun version = run("--version");
        assertEquals("pinlab " + pinlab.report.JsonReport.version(), version.out().strip());
    }

    @Test
    void herdFormat_writesOnePolicyPerLog() throws Exception {
        // mcompare7 unions the blocks of one test in one log, as runs of one test (herdtools7
        // tools/logState.ml, uniq): a second policy's block would be merged into the first, so it is refused
        Path good = write("a.pin", GOOD.formatted("Always"));
        CliRun two = run("check", good.toString(), "--format", "herd", "--policy", "linux-5.8", "--policy",
                "linux-6.18");
        assertEquals(2, two.code(), two.err());
        assertTrue(two.err().contains("one policy per log"), two.err());
        assertEquals("", two.out());
        CliRun one = run("check", good.toString(), "--format", "herd", "--policy", "linux-6.18", "--no-timings");
        assertEquals(0, one.code(), one.err());
        assertEquals(1, one.out().split("\nTest ", -1).length, one.out());
        assertTrue(one.out().startsWith("Test cli Required\n"), one.out());
    }

    @Test
    void diff_replaysTheFailingRunUnderTheSafePolicy_andNamesTheRulesWhereTheyPart() {
        CliRun r = run("diff", "fork-child-exits-first", "linux-6.5", "linux-5.9");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("linux-6.5 SAFE, linux-5.9 DATA LOSS"), r.out());
        // the failing run is linux-5.9's, whichever side it is named on
        assertTrue(r.out().contains("the run: linux-5.9's shortest run"), r.out());
        assertTrue(r.out().contains("<== first difference"), r.out());
        assertTrue(r.out().contains("only under linux-6.5: fork-copy-exclusive-pinned"), r.out());
        assertTrue(r.out().contains("      source: "), r.out());
        assertTrue(r.out().contains("linux-5.9 ends in P:buf[0]=0; linux-6.5 ends in P:buf[0]=7"), r.out());
        CliRun both = run("diff", "fork-child-exits-first", "linux-2.6", "linux-6.18");
        assertEquals(0, both.code(), both.err());
        assertTrue(both.out().contains("neither policy has a run where"), both.out());
    }

    @Test
    void completion_printsABashScript_withTheCommandsAndTheirChoices() throws Exception {
        CliRun r = run("completion");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("complete -F _complete_pinlab"), "a bash completion function");
        Path script = write("comp.sh", r.out());
        // bash itself completes 'pinlab check --format ' with check's formats
        Process p = new ProcessBuilder("bash", "-c", "source " + script + " && COMP_WORDS=(pinlab check --format '')"
                + " && COMP_CWORD=3 && _complete_pinlab 2>/dev/null; echo \"${COMPREPLY[@]}\"").start();
        String got = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor());
        assertEquals("text json jsonl herd", got);
    }

    @Test
    void check_mismatch_exits1() throws Exception {
        CliRun r = run("check", write("a.pin", GOOD.formatted("Never")).toString());
        assertEquals(1, r.code());
        assertTrue(r.out().contains("==  Always \u2014 expected Never, got Always"), r.out());
        assertTrue(r.out().contains("-> DOES NOT MATCH: expected Never, got Always"), r.out());
    }

    @Test
    void check_badScenario_exits2_withFileLineColAndCode() throws Exception {
        Path p = write("bad.pin", GOOD.formatted("Always").replace("buf[0] = 1\n}", "bof[0] = 1\n}"));
        CliRun r = run("check", p.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains(p + ":7:3: error PL012: unknown mapping 'bof'\n 7 |   bof[0] = 1\n   |   ^\n"),
                "the line, and a caret under column 3: " + r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void check_missingFile_exits2() {
        CliRun r = run("check", dir.resolve("nope.pin").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("PL000"), r.err());
    }

    @Test
    void check_unknownPolicy_exits2() throws Exception {
        assertEquals(2, run("check", write("a.pin", GOOD.formatted("Always")).toString(), "--policy", "linux-9").code());
    }

    @Test
    void check_badOption_exits2() {
        assertEquals(2, run("check", "--frobnicate").code());
    }

    @Test
    void check_stateLimit_exits3_andSaysIncomplete() throws Exception {
        CliRun r = run("check", "--max-states", "1", write("a.pin", GOOD.formatted("Always")).toString());
        assertEquals(3, r.code());
        assertTrue(r.out().contains("INCOMPLETE"), r.out());
    }

    @Test
    void aSafeCheck_pointsToTheDiffThatShowsWhy() throws Exception {
        CliRun r = run("check", "fork-longterm-pin", "--policy", "linux-6.1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Why it is safe here: pinlab diff fork-longterm-pin linux-5.8 linux-6.1 replays"
                + " the run that fails under linux-5.8 (line 34 expects Never)"), r.out());
        CliRun failing = run("check", "fork-longterm-pin", "--policy", "linux-5.8");
        assertFalse(failing.out().contains("Why it is safe"), failing.out());
    }

    @Test
    void check_json_hasTheDocumentedKeys() throws Exception {
        CliRun r = run("check", "--format", "json", "--traces", "all", write("a.pin", GOOD.formatted("Always"))
                .toString());
        assertEquals(0, r.code());
        JsonNode root = new ObjectMapper().readTree(r.out());
        assertEquals(2, root.get("schema").asInt());
        JsonNode res = root.get("results").get(0);
        for (String key : new String[] {"scenario", "policy", "observation", "outcomes", "violations", "expected",
            "matches", "complete", "states", "transitions", "trace", "verdict"}) {
            assertTrue(res.has(key), "missing key " + key);
        }
        assertEquals("Always", res.get("observation").asText());
        assertTrue(res.get("matches").asBoolean());
        assertEquals("as expected", res.get("status").asText());
        assertTrue(res.get("mismatch").isNull());
        assertEquals("Always", res.get("cell").get("text").asText(), "no failure meaning: the observation");
        assertEquals("Always", res.get("expected").get("observation").asText());
        assertEquals(1, res.get("outcomes").get(0).get("values").get("P:buf[0]").asInt());
        JsonNode end = res.get("outcomes").get(0).get("trace").get("endState");
        assertEquals("alive", end.get("processes").get(0).get("status").asText());
        JsonNode folio = end.get("folios").get(0);
        assertEquals(1, folio.get("refcount").asInt(), folio.toString());
        assertEquals(1, folio.get("mapcount").asInt());
        assertEquals(1, folio.get("cells").get(0).asInt(), "the write is in the folio: " + folio);
        assertEquals("pte", end.get("entries").get(0).get("kind").asText());
        assertEquals(folio.get("name").asText(), end.get("entries").get(0).get("target").asText());
        assertEquals(0, res.get("outcomes").get(0).get("trace").get("startState").get("folios").size(),
                "before the first write the mapping has no page");
        assertTrue(res.get("trace").isNull(), "a forall that always holds has no counterexample");
        JsonNode step = res.get("outcomes").get(0).get("trace").get("steps").get(0);
        assertEquals("T (P)", step.get("thread").asText());
        assertEquals("buf[0] = 1", step.get("op").asText());
    }

    @Test
    void check_noFiles_checksTheBundledCorpus() {
        CliRun r = run("check", "-q");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("odirect-fork-thread-write"), r.out());
    }

    @Test
    void policies_json_listsEveryPolicyWithSourcedRules() throws Exception {
        CliRun r = run("policies", "--format", "json");
        assertEquals(0, r.code());
        JsonNode pols = new ObjectMapper().readTree(r.out()).get("policies");
        assertEquals(Policies.all().size(), pols.size());
        for (JsonNode p : pols) {
            assertFalse(p.get("name").asText().isEmpty());
            assertTrue(p.has("extends"));
            for (JsonNode rule : p.get("rules")) {
                assertFalse(rule.get("id").asText().isEmpty());
                assertFalse(rule.get("summary").asText().isEmpty());
                assertFalse(rule.get("source").asText().isEmpty());
            }
        }
        JsonNode l58 = null;
        for (JsonNode p : pols) {
            if (p.get("name").asText().equals("linux-5.8")) {
                l58 = p;
            }
        }
        assertEquals("linux-5.2", l58.get("extends").asText(), "linux-5.8 extends linux-5.2");
        assertEquals("linux-2.6", pols.get(1).get("extends").asText(), "linux-4.8 extends linux-2.6");
    }

    @Test
    void compare_showsProposalsSideBySide() {
        CliRun r = run("compare", "corpus/longterm-pin-file-writeback.pin", "--policies",
                "linux-5.18,linux-5.18+kara-block,linux-5.18+kara-bounce,linux-6.5");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("linux-5.18+kara-block"), r.out());
        assertTrue(r.out().contains("STALL"), r.out());
        assertTrue(r.out().contains("REFUSED"), r.out());
        assertTrue(r.out().contains("+kara-bounce"), "the rule delta is listed: " + r.out());
    }

    @Test
    void policyExpressions_resolveOrFailCleanly() {
        CliRun ok = run("check", "corpus/kara-dio-reclaim.pin", "--policy", "linux-6.4+dio-foll-pin", "-q");
        assertEquals(0, ok.code(), ok.err());
        CliRun bad = run("check", "corpus/kara-dio-reclaim.pin", "--policy", "linux-5.8+no-such-rule");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("unknown rule or proposal"), bad.err());
        CliRun base = run("check", "corpus/kara-dio-reclaim.pin", "--policy", "linux-6.5-ext4-buffers");
        assertEquals(2, base.code(), "a base rule cannot be switched off");
        assertTrue(base.err().contains("part of every policy"), base.err());
    }

    @Test
    void mainMethod_isThereForTheLauncher() throws Exception {
        java.lang.reflect.Method m = Main.class.getMethod("main", String[].class);
        assertTrue(java.lang.reflect.Modifier.isStatic(m.getModifiers()), "pinlab.cli.Main.main must be static");
    }

    @Test
    void help_documentsExitCodes() {
        CliRun r = run("--help");
        assertTrue(r.out().contains("3  incomplete"), r.out());
    }

    @Test
    void matrix_mismatch_exits1_andWritesTheHtmlReport() throws Exception {
        Path html = dir.resolve("r.html");
        CliRun r = run("matrix", "--html", html.toString(), write("a.pin", GOOD.formatted("Never")).toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.out().contains("Always (expected Never, got Always)"), r.out());
        assertTrue(Files.readString(html).contains("<html"), "report written");
    }

    @Test
    void matrix_json_listsCellsAndResults() throws Exception {
        CliRun r = run("matrix", "--no-html", "--format", "json", "--policies", "linux-2.6,linux-6.18",
                write("a.pin", GOOD.formatted("Always")).toString());
        assertEquals(0, r.code(), r.err());
        JsonNode root = new ObjectMapper().readTree(r.out());
        assertEquals(2, root.get("policies").size());
        assertEquals("Always", root.get("matrix").get(0).get("cells").get(1).get("cell").get("text").asText());
        assertEquals("OBSERVED", root.get("matrix").get(0).get("cells").get(1).get("cell").get("kind").asText());
        assertEquals(2, root.get("results").size());
    }

    @Test
    void matrix_tracesAll_keepsTheRunToEveryOutcome_inTheJsonAndTheReport() throws Exception {
        Path html = dir.resolve("all.html");
        CliRun r = run("matrix", "--format", "json", "--policies", "linux-2.6,linux-6.5", "--traces", "all", "--html",
                html.toString(), "corpus/odirect-fork-thread-write.pin");
        assertEquals(0, r.code(), r.err());
        JsonNode results = new ObjectMapper().readTree(r.out()).get("results");
        int outcomes = 0;
        for (JsonNode res : results) {
            for (JsonNode o : res.get("outcomes")) {
                assertTrue(o.get("trace").isObject(), o.toString());
                outcomes++;
            }
        }
        assertTrue(outcomes > 2, "outcomes: " + outcomes);
        String page = pinlab.report.Packed.unpacked(Files.readString(html));
        assertTrue(page.contains("Trace to outcome P:buf[0]=7"), "the report draws them too");
        CliRun witness = run("matrix", "--format", "json", "--policies", "linux-2.6", "--no-html",
                "corpus/odirect-fork-thread-write.pin");
        for (JsonNode o : new ObjectMapper().readTree(witness.out()).get("results").get(0).get("outcomes")) {
            assertTrue(o.get("trace") == null || o.get("trace").isNull(), "by default only the witness: " + o);
        }
    }

    @Test
    void bisect_namesTheDecidingRule() {
        CliRun r = run("bisect", "corpus/odirect-fork-thread-write.pin");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("DATA LOSS up to linux-6.4; SAFE from linux-6.5"), r.out());
        assertTrue(r.out().contains("deciding rule: dio-foll-pin"), r.out());
    }
}
