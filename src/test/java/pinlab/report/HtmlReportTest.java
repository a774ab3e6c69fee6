package pinlab.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import pinlab.Pinlab;
import pinlab.engine.Limits;
import pinlab.policy.Policies;
import pinlab.policy.Policy;
import pinlab.scenario.Corpus;
import pinlab.scenario.Parser;
import pinlab.scenario.Scenario;
import pinlab.scenario.ScenarioException;

/** The HTML report of a small matrix: two corpus scenarios and one hostile inline scenario, under two policies. */
class HtmlReportTest {
    /** Quotes, ampersands and tags everywhere text can go; its expect line for linux-2.6 is wrong on purpose. */
    static final String HOSTILE = """
            # comment with <script>alert("comment")</script> & 'quotes' "double"
            name hostile
            title "a <script>alert(1)</script> & friends"
            topic "tests <b>bold</b> & co"
            failure data-loss
            source "x < y & z > 'w'"

            process P
            holder device nic

            setup {
              P: mmap buf 1 rw private
              P: buf[0] = 1
              P: pin nic buf write longterm
            }

            thread T @ P {
              fork C
              buf[1] = 2
              dma nic[0] = 7
            }

            forall "the parent sees <both> & more" (P:buf[0] = 7 /\\ P:buf[1] = 2)
            expect linux-2.6: Always
            expect linux-6.5: Always
            """;

    static Matrix matrix;
    /** The report file as written: the matrix, and each row's details packed. */
    static String file;
    /** The report with every row unpacked, as the page is once its script unpacked them. */
    static String html;

    @BeforeAll
    static void render() throws ScenarioException {
        List<Scenario> scenarios = new ArrayList<>();
        for (Corpus.Entry e : Corpus.bundled()) {
            if (e.file().endsWith("/odirect-fork-thread-write.pin") || e.file().endsWith("/vmsplice-child-leak.pin")) {
                scenarios.add(Parser.parse(e.file(), e.text()));
            }
        }
        assertEquals(2, scenarios.size(), "bundled corpus scenarios");
        scenarios.add(Parser.parse("hostile.pin", HOSTILE));
        List<Policy> policies = List.of(Policies.byName("linux-2.6"), Policies.byName("linux-6.5"));
        matrix = Pinlab.matrix(scenarios, policies, Limits.NONE, 1, (a, b, c, d) -> {});
        file = HtmlReport.render(matrix, Pinlab.comparisons(matrix));
        html = Packed.unpacked(file);
    }

    static CheckResult cell(String scenario, String policy) {
        for (Matrix.Row r : matrix.rows()) {
            for (CheckResult c : r.cells()) {
                if (r.scenario().equals(scenario) && c.policy().equals(policy)) {
                    return c;
                }
            }
        }
        throw new AssertionError("no cell " + scenario + " / " + policy);
    }

    /** The details section of a cell, from its opening tag to the next section of the same kind. */
    static String detail(String id) {
        int start = html.indexOf("<section class=\"detail\" id=\"" + id + "\"");
        assertTrue(start >= 0, () -> "no details section " + id);
        int end = html.indexOf("<section class=\"detail\"", start + 1);
        if (end < 0) {
            end = html.indexOf("</main>", start);
        }
        return resolve(html.substring(start, end));
    }

    /** Does what the report's script does when a cell opens: replaces each shared-block reference by the block. */
    static String resolve(String d) {
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("<div class=\"tref\" data-ref=\"(tr\\d+)\" data-row=\"\\d+\">.*?</div>\n").matcher(d);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(block(m.group(1))));
        }
        m.appendTail(out);
        return out.toString().replaceAll(" data-tid=\"tr\\d+\"", "");
    }

    /** The shared block with id {@code tid}: its element from the opening tag to its closing tag. */
    static String block(String tid) {
        int at = html.indexOf(" data-tid=\"" + tid + "\"");
        assertTrue(at >= 0, () -> "no shared block " + tid);
        int start = html.lastIndexOf('<', at);
        String tag = html.substring(start + 1, at);
        int end = html.indexOf("</" + tag + ">", at) + tag.length() + 3;
        return html.substring(start, end) + "\n";
    }

    static int count(String haystack, String needle) {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length())) {
            n++;
        }
        return n;
    }

    @Test
    void aRefusedCell_gradesItsOutcomesRefused_notForbidden() throws ScenarioException {
        Corpus.Entry e = Corpus.bundled().stream().filter(x -> x.file().endsWith("/fsdax-longterm-pin.pin"))
                .findFirst().orElseThrow();
        CheckResult c = Pinlab.check(Parser.parse(e.file(), e.text()), Policies.byName("linux-4.15"), Limits.NONE,
                false);
        assertEquals("REFUSED", c.cell());
        for (CheckResult.OutcomeRow o : c.outcomes()) {
            assertEquals("REFUSED", HtmlText.grade(c, o), o.outcome());
        }
    }

    @Test
    void hasAFilterBox_aDarkScheme_andAPrintStylesheet() {
        assertTrue(html.contains("<input id=\"filter\" type=\"search\""), "the filter box");
        assertTrue(html.contains("@media (prefers-color-scheme: dark){"), "dark mode follows the system");
        assertTrue(html.contains("@media print{"), "a print stylesheet");
        assertTrue(html.contains("<tr class=\"srow\" data-topic=\""), "rows carry their topic for the filter");
    }

    @Test
    void isOneSelfContainedDocument_withoutNetworkReferences() {
        selfContained(html);
        selfContained(file);
        // The file's other script elements are the packed rows, which the browser does not run either.
        assertEquals(2 + matrix.rows().size(), count(file, "<script"));
        assertEquals(matrix.rows().size(), count(file, "<script type=\"application/gzip+base64\" data-row=\""));
        // deterministic: the same matrix gives the same file, comparisons and embedded data included
        assertEquals(file, HtmlReport.render(matrix, Pinlab.comparisons(matrix)));
    }

    /** Checks that {@code html} loads nothing and runs no script but the report's own two. */
    static void selfContained(String html) {
        assertTrue(html.startsWith("<!doctype html>"));
        assertTrue(html.stripTrailing().endsWith("</html>"));
        Pattern attr = Pattern.compile("(?i)\\b(?:src|action|poster|data|srcset|xlink:href)\\s*=\\s*[\"']?\\s*"
                + "(?:[a-z][a-z0-9+.-]*:)?//");
        Matcher m = attr.matcher(html);
        assertFalse(m.find(), () -> "network reference: " + m.group());
        assertFalse(Pattern.compile("(?i)url\\(\\s*['\"]?\\s*(?:https?:)?//").matcher(html).find(), "CSS url()");
        assertFalse(html.contains("@import"));
        assertFalse(Pattern.compile("(?i)<(?:link|iframe|img|object|embed)\\b").matcher(html).find());
        assertFalse(Pattern.compile("(?i)<script[^>]*\\bsrc").matcher(html).find());
        Matcher script = Pattern.compile("(?s)<script>(.*?)</script>").matcher(html);
        int scripts = 0;
        while (script.find()) {
            scripts++;
            assertFalse(Pattern.compile("\\b(?:fetch|XMLHttpRequest|WebSocket|EventSource|import|sendBeacon)\\b")
                    .matcher(script.group(1)).find(), script.group(1));
        }
        assertEquals(2, scripts);
        // The other script elements are data the browser does not run: JSON, and in the file the packed rows.
        assertEquals(count(html, "<script"), 2 + count(html, "<script type=\"application/json\" id=\"cmp")
                + count(html, "<script type=\"application/json\" class=\"tl-data\">")
                + count(html, "<script type=\"application/gzip+base64\" data-row=\""));
        // Even a reference slipped in later could not load: the page forbids every fetch but its own inline code.
        assertTrue(html.contains("content=\"default-src 'none'; style-src 'unsafe-inline'; "
                + "script-src 'unsafe-inline'; img-src data:\""));
        // Every href is a fragment of this page, or a plain link to a commit on the kernel's web git or to a mail on
        // lore; nothing is loaded from either.
        Matcher href = Pattern.compile("<(\\w+)[^<>]*?\\bhref=\"([^\"]*)\"").matcher(html);
        int external = 0;
        while (href.find()) {
            String url = href.group(2);
            if (url.startsWith("#")) {
                continue;
            }
            external++;
            assertEquals("a", href.group(1), url);
            assertTrue(url.matches("https://git\\.kernel\\.org/pub/scm/linux/kernel/git/torvalds/linux\\.git/commit/"
                    + "\\?id=[0-9a-f]{12,40}") || url.matches("https://lore\\.kernel\\.org/r/[^/?#\\s]+@[^/?#\\s]+"),
                    url);
        }
        assertTrue(external > 0, "the rules' and scenarios' sources link their commits");
    }

    @Test
    void commitIdsAndMessageIds_linkToGitAndLore_andNothingElseDoes() {
        String git = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=";
        assertEquals("<a class=\"ext\" href=\"" + git + "17839856fd58\">17839856fd58</a> gup: document &amp; work"
                + " around (5.8)", HtmlText.linked("17839856fd58 gup: document & work around (5.8)"));
        assertEquals("CVE-2016-5195; <a class=\"ext\" href=\"" + git + "19be0eaffa3a\">19be0eaffa3a</a> (4.9)",
                HtmlText.linked("CVE-2016-5195; 19be0eaffa3a (4.9)"));
        assertEquals("(<a class=\"ext\" href=\"https://lore.kernel.org/r/20180103100430.GE4911@quack2.suse.cz\">"
                + "20180103100430.GE4911@quack2.suse.cz</a>), the race",
                HtmlText.linked("(20180103100430.GE4911@quack2.suse.cz), the race"));
        // a seed file's name, a file path, a person's address, a number, a word of hex letters: no links
        for (String plain : List.of("seed 004_54d2b0137cb5c99f.txt (Liu Bo)", "mm/gup.c check_vma_flags()",
                "jack@suse.cz", "201801031004 states", "deadbeefcafe", "a7e689dd1c06b2x", "70e806e4e645.txt")) {
            assertEquals(HtmlText.esc(plain), HtmlText.linked(plain), plain);
        }
        // in the report: a rule's source in the glossary, and the scenario's source lines
        assertTrue(html.contains("<a class=\"ext\" href=\"" + git + "70e806e4e645\">70e806e4e645</a>"));
    }

    @Test
    void everyCell_isInTheMatrix_withItsLabel_andHasDetails() {
        assertEquals(3 * 2, count(html, "<td class=\"cell "));
        for (Matrix.Row r : matrix.rows()) {
            for (CheckResult c : r.cells()) {
                String id = "cell-" + r.scenario() + "-" + c.policy();
                String link = "<a class=\"cl\" href=\"#" + id + "\" title=\"";
                int at = html.indexOf(link);
                assertTrue(at >= 0, () -> "no matrix link for " + id);
                int text = html.indexOf("\">", at + link.length()) + 2;
                String shown = html.substring(text, html.indexOf("</a>", text)).replaceAll("<[^>]*>", "");
                assertEquals(HtmlText.esc(Matrix.cellText(c)), shown, id);
                assertTrue(html.contains("data-cell=\"" + id + "\""));
                assertEquals(1, count(html, "<section class=\"detail\" id=\"" + id + "\""));
            }
        }
        assertEquals("DATA LOSS", Matrix.cellText(cell("odirect-fork-thread-write", "linux-2.6")));
        assertTrue(html.contains("<td class=\"cell k-fail\" data-cell=\"cell-odirect-fork-thread-write-linux-2.6\">"));
        assertTrue(html.contains("<td class=\"cell k-safe\" data-cell=\"cell-odirect-fork-thread-write-linux-6.5\">"));
        assertTrue(html.contains("<td class=\"cell k-fail k-always\" data-cell=\"cell-vmsplice-child-leak-linux-2.6\">"));
    }

    @Test
    void rows_areGroupedByTopic_inMatrixReportOrder() {
        List<String> topics = new ArrayList<>();
        Matcher m = Pattern.compile("<tr class=\"topic\"><th colspan=\"3\">([^<]*)</th></tr>").matcher(html);
        while (m.find()) {
            topics.add(m.group(1));
        }
        List<String> expected = new ArrayList<>();
        for (Matrix.Row r : MatrixReport.grouped(matrix)) {
            String t = HtmlText.esc(r.topic().isEmpty() ? "other" : r.topic());
            if (expected.isEmpty() || !expected.get(expected.size() - 1).equals(t)) {
                expected.add(t);
            }
        }
        assertEquals(expected, topics);
        assertTrue(topics.contains("tests &lt;b&gt;bold&lt;/b&gt; &amp; co"));
    }

    @Test
    void scenarioText_isEscapedEverywhere() {
        assertFalse(html.contains("<script>alert"));
        assertFalse(html.contains("<b>bold"));
        assertFalse(html.contains("<both>"));
        // Our own two inline scripts are the only ones besides the comparisons' JSON data.
        assertEquals(2 + count(html, "<script type=\"application/json\" id=\"cmp")
                + count(html, "<script type=\"application/json\" class=\"tl-data\">"),
                count(html.toLowerCase(java.util.Locale.ROOT), "<script"));
        String d = detail("cell-hostile-linux-2.6");
        assertTrue(d.contains("a &lt;script&gt;alert(1)&lt;/script&gt; &amp; friends"));
        assertTrue(d.contains("x &lt; y &amp; z &gt; &#39;w&#39;"));
        assertTrue(d.contains("the parent sees &lt;both&gt; &amp; more"));
        // The source is there verbatim, line by line, in order.
        int at = d.indexOf("<pre class=\"src\"");
        assertTrue(at >= 0);
        List<String> lines = HOSTILE.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            String span = "data-l=\"" + (i + 1) + "\">" + HtmlText.esc(lines.get(i)) + "</span>";
            int next = d.indexOf(span, at);
            int line = i + 1;
            assertTrue(next > at, () -> "source line " + line + " missing or out of order");
            at = next;
        }
        assertTrue(d.contains("&lt;script&gt;alert(&quot;comment&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;"));
    }

    @Test
    void witness_hasSwimlanes_andOneSvgPerState() {
        for (Matrix.Row r : matrix.rows()) {
            for (CheckResult c : r.cells()) {
                String d = detail("cell-" + r.scenario() + "-" + c.policy());
                int traces = (c.witness() == null ? 0 : 1) + c.violations().size();
                int states = (c.witness() == null ? 0 : c.witness().steps().size() + 1)
                        + c.violations().stream().mapToInt(v -> v.trace().steps().size() + 1).sum();
                assertEquals(traces, count(d, "<table class=\"lanes\">"), r.scenario() + " " + c.policy());
                assertEquals(states, count(d, "<figure class=\"panel\""), r.scenario() + " " + c.policy());
                // the pictures are drawn by the script from each trace's states, one per panel
                assertEquals(0, count(d, "<svg"), "no SVG in the file: the script draws them");
                assertEquals(traces, count(d, "<script type=\"application/json\" class=\"tl-data\">"));
                assertEquals(states, states(d), r.scenario() + " " + c.policy());
            }
        }
        CheckResult c = cell("odirect-fork-thread-write", "linux-2.6");
        Trace w = c.witness();
        assertNotNull(w);
        assertEquals(6, w.steps().size());
        String d = detail("cell-odirect-fork-thread-write-linux-2.6");
        for (int k = 0; k <= w.steps().size(); k++) {
            assertTrue(d.contains("<figure class=\"panel\" data-step=\"" + k + "\""), "panel " + k);
            assertTrue(d.contains("<tr class=\"st" + (k == 0 ? " setup" : "") + "\" data-step=\"" + k + "\""),
                    "lane row " + k);
        }
        // One lane per thread, and each op in its own thread's lane.
        for (String t : w.threads()) {
            assertTrue(d.contains(">" + HtmlDetail.threadName(t) + " <small>"), t);
        }
        for (Trace.Step s : w.steps()) {
            assertTrue(d.contains("<td class=\"lane on t" + s.thread() + "\"><span class=\"op\" title=\"line " + s.line()
                    + "\">" + HtmlText.esc(s.op()) + "</span>"), s.op());
        }
        assertEquals("dio_read rd buf", w.steps().get(0).op());
        assertEquals(0, w.steps().get(0).thread());
        // The states the script draws from (HtmlReportIT checks the drawing): after the COW step (3) P's PTE names
        // the new folio B; after the DMA step (4) cell 0 of A is 7 while P:buf[0], which the condition reads, is
        // B's cell 0.
        com.fasterxml.jackson.databind.JsonNode snaps = timeline(d);
        assertEquals(w.steps().size() + 1, snaps.size());
        assertTrue(snaps.get(3).get("e").toString().contains("[\"pte\",\"P\",\"P:buf page 0\",\"B\",\"rw dirty\"]"),
                snaps.get(3).toString());
        assertTrue(snaps.get(4).get("f").toString().contains("[\"A\","), snaps.get(4).toString());
        assertEquals("[[\"B#0\",[\"P:buf[0]\"]]]", snaps.get(4).get("w").toString());
        assertTrue(d.contains("at the end: P:buf[0] = 0 (in B)"));
    }

    /** The states of the first timeline in a details section. */
    private static com.fasterxml.jackson.databind.JsonNode timeline(String detail) {
        Matcher m = Pattern.compile("<script type=\"application/json\" class=\"tl-data\">([^<]*)</script>")
                .matcher(detail);
        assertTrue(m.find(), "timeline data");
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(m.group(1));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    /** The number of states in every timeline of a details section. */
    private static int states(String detail) {
        Matcher m = Pattern.compile("<script type=\"application/json\" class=\"tl-data\">([^<]*)</script>")
                .matcher(detail);
        int n = 0;
        while (m.find()) {
            try {
                n += new com.fasterxml.jackson.databind.ObjectMapper().readTree(m.group(1)).size();
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new AssertionError(e);
            }
        }
        return n;
    }

    @Test
    void ruleIds_linkToTheirSummaryAndSource() {
        String d = detail("cell-odirect-fork-thread-write-linux-2.6");
        Trace w = cell("odirect-fork-thread-write", "linux-2.6").witness();
        for (Trace.Step s : w.steps()) {
            for (String id : s.rules()) {
                Matrix.RuleInfo r = matrix.rules().stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow();
                assertTrue(d.contains("<a class=\"rule\" href=\"#rule-" + id + "\" data-rule=\"" + id + "\" title=\""
                        + HtmlText.esc(r.summary() + "\n" + r.source()) + "\">" + id + "</a>"), id);
                assertTrue(html.contains("<dt id=\"rule-" + id + "\">"), id);
            }
        }
        assertTrue(d.contains("wp-reuse-mapcount"));
    }

    @Test
    void outcomeTable_gradesLikeJcstress() {
        String d = detail("cell-odirect-fork-thread-write-linux-2.6");
        assertTrue(d.contains("<tr class=\"g-forbidden\"><td><code>P:buf[0]=0</code></td><td class=\"num\">1</td>"
                + "<td class=\"grade\">FORBIDDEN (DATA LOSS)</td><td>(P:buf[0] = 0) holds: the parent lost the data "
                + "O_DIRECT read from disk</td></tr>"), d);
        assertTrue(d.contains("<tr class=\"g-acceptable\"><td><code>P:buf[0]=7</code></td><td class=\"num\">4</td>"
                + "<td class=\"grade\">ACCEPTABLE</td><td>(P:buf[0] = 0) does not hold</td></tr>"));
        assertTrue(d.contains("Observation odirect-fork-thread-write Sometimes 1 4"));
        // forall: the failing side is where the expression does not hold.
        String h = detail("cell-hostile-linux-2.6");
        assertTrue(h.contains("<td class=\"grade\">FORBIDDEN (DATA LOSS)</td><td>(P:buf[0] = 7 /\\ P:buf[1] = 2) "
                + "does not hold (wanted: the parent sees &lt;both&gt; &amp; more)</td>"), h);
        // Without a failure label, the failing side is INTERESTING.
        CheckResult c = cell("odirect-fork-thread-write", "linux-2.6");
        CheckResult.About about = c.about();
        CheckResult bare = new CheckResult(new CheckResult.About(about.name(), about.file(), about.title(),
                about.sources(), about.topic(), null, about.condition(), about.quantifier()), c.policy(),
                c.observation(), c.positive(), c.negative(), c.outcomes(), c.violations(), c.witness(), c.expected(),
                c.matches(), c.search(), c.kernelEvents(), c.notApplicable());
        assertEquals("INTERESTING", HtmlText.grade(bare, c.outcomes().stream()
                .filter(CheckResult.OutcomeRow::satisfies).findFirst().orElseThrow()));
    }

    @Test
    void mismatch_isMarkedInTheMatrixAndTheDetails() {
        CheckResult wrong = cell("hostile", "linux-2.6");
        assertEquals(false, wrong.matches());
        assertEquals("Never", wrong.observationWord());
        // forall observed Never: the failing side holds in every final state.
        assertTrue(html.contains("<td class=\"cell k-fail k-always mismatch\" data-cell=\"cell-hostile-linux-2.6\">"));
        int at = html.indexOf("data-cell=\"cell-hostile-linux-2.6\"");
        String td = html.substring(at, html.indexOf("</td>", at));
        assertTrue(td.contains(">DATA LOSS*<span class=\"vh\"> (expected Always, got Never)</span></a>"
                + "<span class=\"mm\">expected Always, got Never</span>"), td);
        assertTrue(detail("cell-hostile-linux-2.6").contains("DOES NOT MATCH"));
        assertTrue(detail("cell-hostile-linux-2.6").contains("<span class=\"verdict v-mismatch\""));
        // The right expectation is not marked.
        assertEquals(true, cell("hostile", "linux-6.5").matches());
        assertTrue(html.contains("<td class=\"cell k-safe\" data-cell=\"cell-hostile-linux-6.5\">"));
        assertEquals(1, count(html, "<span class=\"mm\">"));
        assertTrue(html.contains("<span class=\"bad\">1 mismatched</span>"));
    }

    @Test
    void condition_isSplitIntoQuantifierLabelAndExpression() {
        assertEquals(new HtmlText.Cond("exists", "x < y", "(P:buf[0] = 0)"),
                HtmlText.condition("exists \"x < y\" (P:buf[0] = 0)"));
        assertEquals(new HtmlText.Cond("~exists", "", "(T:r0 = 1 \\/ event(segv))"),
                HtmlText.condition("~exists (T:r0 = 1 \\/ event(segv))"));
        assertEquals(new HtmlText.Cond("forall", "both", "(a[0] = 1)"), HtmlText.condition("forall \"both\" (a[0] = 1)"));
        List<String> terms = HtmlTimeline.watches("(P:buf[0] = 7 /\\ nic[1] = 2 \\/ T:r0 = 1 /\\ same(P:buf[0], nic[0]))")
                .stream().map(HtmlTimeline.Watch::label).toList();
        assertEquals(List.of("P:buf[0]", "nic[1]", "nic[0]", "T:r0"), terms);
    }

    /** The comparison data of a row, parsed: its JSON block. */
    static com.fasterxml.jackson.databind.JsonNode comparisonData(String scenario) throws Exception {
        Matcher m = Pattern.compile("<script type=\"application/json\" id=\"(cmp\\d+)\">([^<]*)</script>")
                .matcher(html);
        while (m.find()) {
            com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(m.group(2));
            if (n.get("scenario").asText().equals(scenario)) {
                return n;
            }
        }
        throw new AssertionError("no comparison data for " + scenario);
    }

    @Test
    void aSafeCell_whoseRowFails_carriesTheFailingRunReplayedUnderItsPolicy() throws Exception {
        String d = detail("cell-odirect-fork-thread-write-linux-6.5");
        assertTrue(d.contains("<section class=\"cmp\" data-cmp=\"cmp"), d);
        assertTrue(d.contains("<h3>Why it is SAFE here</h3>"));
        assertTrue(detail("cell-odirect-fork-thread-write-linux-2.6").contains("<h3>Compare with another policy</h3>"));
        com.fasterxml.jackson.databind.JsonNode n = comparisonData("odirect-fork-thread-write");
        assertEquals("linux-2.6", n.get("cols").get(0).get("p").asText());
        assertEquals("DATA LOSS", n.get("cols").get(0).get("c").asText());
        assertEquals("SAFE", n.get("cols").get(1).get("c").asText());
        assertEquals(1, n.get("pairs").size(), "one pair of differing results");
        com.fasterxml.jackson.databind.JsonNode p = n.get("pairs").get(0);
        assertEquals("RUN", p.get("kind").asText());
        assertEquals(0, p.get("from").asInt(), "the failing side's run");
        // The same value pinlab diff prints, drawn from the same computation.
        Scenario sc = Parser.parse("corpus/odirect-fork-thread-write.pin", matrix.rows().stream()
                .filter(r -> r.scenario().equals("odirect-fork-thread-write")).findFirst().orElseThrow().source());
        Diff diff = Pinlab.diff(sc, Policies.byName("linux-2.6"), Policies.byName("linux-6.5"));
        assertEquals(Diff.Kind.RUN, diff.kind());
        assertEquals(diff.first(), p.get("first").asInt());
        assertTrue(diff.first() >= 0);
        com.fasterxml.jackson.databind.JsonNode there = n.get("runs").get(p.get("there").asInt());
        com.fasterxml.jackson.databind.JsonNode here = n.get("runs").get(p.get("here").asInt());
        Trace w = cell("odirect-fork-thread-write", "linux-2.6").witness();
        assertEquals(w.steps().size(), there.get("st").size());
        for (int i = 0; i < w.steps().size(); i++) {
            assertEquals(w.steps().get(i).op(), there.get("st").get(i).get(1).asText());
            assertEquals(w.steps().get(i).rules().size(), there.get("st").get(i).get(2).size());
        }
        assertEquals(diff.here().steps().size(), here.get("st").size());
        assertEquals(diff.parting().size(), p.get("part").size());
        List<String> parting = new ArrayList<>();
        p.get("part").forEach(x -> parting.add(x.get(1).asText()));
        assertEquals(diff.parting().stream().map(Diff.RuleNote::id).toList(), parting);
        assertTrue(parting.contains("dio-foll-pin"), parting.toString());
        assertEquals("P:buf[0]=0", there.get("end").asText());
        assertTrue(diff.text().contains("<== first difference"));
        // every rule a comparison names is in the glossary the script reads summaries and sources from
        for (String id : parting) {
            assertTrue(html.contains("<dt id=\"rule-" + id + "\">"), id);
        }
    }

    @Test
    void aRowSafeUnderEveryPolicy_saysWhatTheSearchEstablished() throws ScenarioException {
        Corpus.Entry e = Corpus.bundled().stream().filter(x -> x.file().endsWith("/madv-dontfork.pin")).findFirst()
                .orElseThrow();
        Matrix m = Pinlab.matrix(List.of(Parser.parse(e.file(), e.text())), List.of(Policies.byName("linux-2.6"),
                Policies.byName("linux-6.5")), Limits.NONE, 1, (a, b, c, d) -> {});
        String page = Packed.unpacked(HtmlReport.render(m, Pinlab.comparisons(m)));
        assertFalse(page.contains("<section class=\"cmp\""), "nothing differs, so nothing to compare");
        for (CheckResult c : m.rows().get(0).cells()) {
            assertEquals("SAFE", c.cell());
            int at = page.indexOf("<section class=\"detail\" id=\"cell-madv-dontfork-" + c.policy() + "\"");
            String d = page.substring(at, page.indexOf("</section>\n</section>", at));
            assertTrue(d.contains("<h3>What the checker established</h3>"), d);
            assertTrue(d.contains(HtmlText.fmt("It explored all %,d states", c.search().states())), d);
            assertTrue(d.contains("every interleaving of T (P), NIC (device)"), d);
            assertTrue(d.contains("No limit stopped it."));
            for (CheckResult.OutcomeRow o : c.outcomes()) {
                assertTrue(d.contains("<code>" + HtmlText.esc(o.outcome()) + "</code> (" + o.count() + ")"), o.outcome());
            }
        }
        // the invariants: PageAnonExclusive is checked only under a policy that tracks it (5.19+)
        String invs26 = page.substring(page.indexOf("class=\"invs\""));
        invs26 = invs26.substring(0, invs26.indexOf("</ul>"));
        assertTrue(invs26.contains("<code>inv-refcount</code>") && invs26.contains("<code>leak</code>")
                && invs26.contains("<code>stall</code>"), invs26);
        assertFalse(invs26.contains("inv-anon-exclusive"), invs26);
        int at65 = page.indexOf("<section class=\"detail\" id=\"cell-madv-dontfork-linux-6.5\"");
        assertTrue(page.indexOf("<code>inv-anon-exclusive</code>", at65) > at65);
    }

    @Test
    void tracesAll_drawsTheShortestRunToEveryOutcome() throws ScenarioException {
        Corpus.Entry e = Corpus.bundled().stream().filter(x -> x.file().endsWith("/odirect-fork-thread-write.pin"))
                .findFirst().orElseThrow();
        Matrix m = Pinlab.matrix(List.of(Parser.parse(e.file(), e.text())), List.of(Policies.byName("linux-2.6")),
                Limits.NONE, 1, (a, b, c, d) -> {}, false, true);
        CheckResult c = m.rows().get(0).cells().get(0);
        assertTrue(c.outcomes().size() > 1);
        String page = Packed.unpacked(HtmlReport.render(m, Pinlab.comparisons(m)));
        for (CheckResult.OutcomeRow o : c.outcomes()) {
            assertNotNull(o.trace(), o.outcome());
            assertTrue(page.contains("Trace to outcome " + HtmlText.esc(o.outcome())), o.outcome());
        }
        assertFalse(html.contains("Trace to outcome"), "by default only the witness");
    }

    /**
     * The file holds no details section as HTML: each row's sections (and its comparison data) are one gzip block,
     * base64 in a script element the browser does not run, that inflates to exactly that row's sections, in the
     * matrix's order; a reference names the row whose block holds what it copies.
     */
    @Test
    void eachRowsDetails_arePackedInOneBlock_thatInflatesToThatRowsSections() {
        assertFalse(file.contains("<section class=\"detail\""), "no details section as plain HTML");
        assertFalse(file.contains("class=\"tref\"") || file.contains("data-tid=\"tr"), "the references are packed too");
        assertFalse(file.contains("<script type=\"application/json\""), "and the JSON data");
        List<Matrix.Row> rows = MatrixReport.grouped(matrix);
        List<Packed.Block> blocks = Packed.blocks(file);
        assertEquals(rows.size(), blocks.size(), "one block per row");
        java.util.Map<String, Integer> blockOf = new java.util.HashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            Packed.Block b = blocks.get(i);
            assertEquals(i, b.row());
            // the matrix row says which block holds its cells
            assertTrue(file.contains("<tr class=\"srow\" data-topic=\"" + HtmlText.esc(rows.get(i).topic())
                    + "\" data-row=\"" + i + "\"><th class=\"sc\" title=\"" + HtmlText.esc(rows.get(i).title()) + "\">"
                    + HtmlText.esc(rows.get(i).scenario()) + "</th>"), rows.get(i).scenario());
            // a gzip member with no name, no comment and no time: the same input gives the same bytes
            assertEquals(List.of(0x1f, 0x8b, 8, 0), b.header().subList(0, 4), "gzip, deflate, no name or comment");
            assertEquals(List.of(0, 0, 0, 0), b.header().subList(4, 8), "MTIME is zero");
            List<String> ids = new ArrayList<>();
            Matcher m = Pattern.compile("<section class=\"detail\" id=\"([^\"]*)\"").matcher(b.html());
            while (m.find()) {
                ids.add(m.group(1));
            }
            String scenario = rows.get(i).scenario();
            List<String> expected = rows.get(i).cells().stream().map(c -> HtmlText.cellId(scenario, c.policy()))
                    .toList();
            assertEquals(expected, ids, "row " + i + " holds its own cells' sections, in order");
            assertTrue(b.html().startsWith("<section class=\"detail\" id=\"" + expected.get(0) + "\""));
            for (String id : expected) {
                // each section in the block is the one the unpacked page holds (detail() reads the unpacked page)
                int at = b.html().indexOf("<section class=\"detail\" id=\"" + id + "\"");
                int next = b.html().indexOf("<section class=\"detail\"", at + 1);
                String own = b.html().substring(at, next < 0 ? b.html().length() : next);
                assertTrue(detail(id).startsWith(resolve(own).replaceFirst("(?s)<script type=\"application/json\""
                        + " id=\"cmp\\d+\">.*", "")), id);
            }
            Matcher tid = Pattern.compile(" data-tid=\"(tr\\d+)\"").matcher(b.html());
            while (tid.find()) {
                blockOf.put(tid.group(1), i);
            }
        }
        int refs = 0;
        for (Packed.Block b : blocks) {
            Matcher ref = Pattern.compile("<div class=\"tref\" data-ref=\"(tr\\d+)\" data-row=\"(\\d+)\">")
                    .matcher(b.html());
            while (ref.find()) {
                refs++;
                assertEquals(blockOf.get(ref.group(1)), Integer.valueOf(ref.group(2)), ref.group());
            }
        }
        assertTrue(refs > 0, "some blocks are shared");
        // two renders give the same bytes
        assertTrue(java.util.Arrays.equals(file.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                HtmlReport.render(matrix, Pinlab.comparisons(matrix)).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertEquals(count(html, "<section class=\"detail\""), rows.stream().mapToInt(r -> r.cells().size()).sum());
    }

    @Test
    void ids_areSafeAndUnique() {
        assertEquals("cell-a_b-linux-2.6", HtmlText.cellId("a b", "linux-2.6"));
        HtmlText.Ids ids = new HtmlText.Ids();
        assertEquals("x", ids.unique("x"));
        assertEquals("x_2", ids.unique("x"));
        assertEquals("&lt;a href=&quot;x&quot;&gt;&amp;&#39;", HtmlText.esc("<a href=\"x\">&'"));
    }
}
