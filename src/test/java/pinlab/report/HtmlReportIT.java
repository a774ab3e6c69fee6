package pinlab.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import pinlab.Pinlab;
import pinlab.engine.Limits;
import pinlab.policy.Policies;
import pinlab.scenario.Corpus;
import pinlab.scenario.Parser;
import pinlab.scenario.Scenario;

/**
 * Opens the report of the bundled corpus in a real browser (Debian's chromium, headless) and checks the DOM after
 * its script ran: the matrix, the cell the URL fragment names opened with its swimlanes and SVG timeline laid
 * out, and a screenshot. Outside CI (CI unset) it is skipped when chromium is missing; in CI it fails.
 */
class HtmlReportIT {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final String CELL = "cell-odirect-fork-thread-write-linux-2.6";
    static final Path OUT = Path.of("target", "html-report-it").toAbsolutePath();

    static Matrix matrix;
    static Path report;

    @BeforeAll
    static void writeReport() throws Exception {
        if (!Files.isExecutable(CHROMIUM)) {
            if (System.getenv("CI") == null) {
                assumeTrue(false, "chromium is not installed (/usr/bin/chromium); apt-get install chromium");
            }
            fail("CI: /usr/bin/chromium is missing; .ci/run installs it with apt");
        }
        List<Scenario> scenarios = new ArrayList<>();
        for (Corpus.Entry e : Corpus.bundled()) {
            scenarios.add(Parser.parse(e.file(), e.text()));
        }
        matrix = Pinlab.matrix(scenarios, Policies.all(), Limits.NONE, 2, (a, b, c, d) -> {});
        Files.createDirectories(OUT);
        report = OUT.resolve("report.html");
        Files.writeString(report, HtmlReport.render(matrix, Pinlab.comparisons(matrix)), StandardCharsets.UTF_8);
    }

    /** Runs headless chromium on the report at a fragment with extra flags and returns its standard output. */
    static String chromium(String fragment, String... flags) throws IOException, InterruptedException {
        return chromium(report, fragment, flags);
    }

    /**
     * Writes a copy of the report with {@code js} run once the report's own script has opened the cell the fragment
     * names (as a user's clicks would run after it; the cell's row is unpacked first, so that is a moment after the
     * page loads), for the parts a DOM dump cannot reach otherwise: changing a select, reading computed styles.
     */
    static Path driven(String name, String js) throws IOException {
        return script(name, "(function wait() { if (!document.querySelector('.detail.open')) { setTimeout(wait, 10);"
                + " return; } " + js + " })();");
    }

    /** Writes a copy of the report with {@code js} run right after the report's own script. */
    static Path script(String name, String js) throws IOException {
        String page = Files.readString(report, StandardCharsets.UTF_8);
        int end = page.lastIndexOf("</body>");
        Path out = OUT.resolve(name + ".html");
        Files.writeString(out, page.substring(0, end) + "<script>" + js + "</script>\n" + page.substring(end),
                StandardCharsets.UTF_8);
        return out;
    }

    /** Runs headless chromium on {@code page} at a fragment with extra flags and returns its standard output. */
    static String chromium(Path page, String fragment, String... flags) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory("pinlab-chromium-");
        Path stderr = Files.createTempFile("pinlab-chromium-", ".log");
        try {
            List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                    "--disable-gpu", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-quic", "--disable-dev-shm-usage",
                    "--hide-scrollbars", "--user-data-dir=" + profile));
            cmd.addAll(List.of(flags));
            cmd.add(page.toUri() + (fragment.startsWith("?") ? fragment : "#" + fragment));
            Process p = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
            p.getOutputStream().close();
            byte[] out;
            try (var in = p.getInputStream()) {
                // Read on another thread so a hung browser cannot hang the test: the deadline below kills it.
                var reader = new java.util.concurrent.CompletableFuture<byte[]>();
                Thread t = new Thread(() -> {
                    try {
                        reader.complete(in.readAllBytes());
                    } catch (IOException e) {
                        reader.completeExceptionally(e);
                    }
                });
                t.setDaemon(true);
                t.start();
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    fail("chromium did not finish within 120 s: " + cmd);
                }
                try {
                    out = reader.get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    throw new IOException("reading chromium's output", e);
                }
            }
            assertEquals(0, p.exitValue(), () -> "chromium failed: " + cmd + "\n" + tail(stderr));
            return new String(out, StandardCharsets.UTF_8);
        } finally {
            delete(profile);
            Files.deleteIfExists(stderr);
        }
    }

    private static String tail(Path log) {
        try {
            String s = Files.readString(log, StandardCharsets.UTF_8);
            return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A drawn timeline picture (not the script's own source, which names the element too). */
    static final Pattern SVG = Pattern.compile("<svg class=\"tl\" data-step=\"\\d");

    static int count(String s, Pattern p) {
        Matcher m = p.matcher(s);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void theFilterBox_hidesTheRowsThatDoNotMatch_andTheirEmptyTopics() throws Exception {
        String dom = chromium("?q=ksm", "--virtual-time-budget=5000", "--dump-dom");
        long ksm = matrix.rows().stream().filter(r -> (r.scenario() + " " + r.topic()).toLowerCase(java.util.Locale.ROOT)
                .contains("ksm")).count();
        assertTrue(ksm > 0 && ksm < matrix.rows().size(), "some rows mention KSM: " + ksm);
        int shown = count(dom, Pattern.compile("<tr class=\"srow\" data-topic"));
        int hidden = count(dom, Pattern.compile("<tr class=\"srow hidden\""));
        assertEquals(matrix.rows().size(), shown + hidden, "every row is there");
        assertTrue(shown >= ksm && shown < matrix.rows().size(), "shown " + shown + ", KSM rows " + ksm);
        assertTrue(dom.contains("<span id=\"shown\">" + shown + " of " + matrix.rows().size() + " scenarios</span>"),
                "the count of shown rows");
        assertTrue(count(dom, Pattern.compile("<tr class=\"topic hidden\"")) > 0, "topics left empty are hidden");
    }

    @Test
    void fragment_opensTheCell_withSwimlanesAndTimeline() throws Exception {
        String dom = chromium(CELL, "--virtual-time-budget=5000", "--dump-dom");

        // The matrix: every cell, one of them selected by the script.
        long cells = matrix.rows().stream().mapToLong(r -> r.cells().size()).sum();
        assertEquals(cells, count(dom, Pattern.compile("<td class=\"cell ")), "matrix cells");
        assertEquals(matrix.rows().size(), count(dom, Pattern.compile("<tr class=\"srow")), "matrix rows");
        assertTrue(Pattern.compile("<td class=\"cell k-fail sel\" data-cell=\"" + CELL + "\">").matcher(dom).find(),
                "the opened cell is selected in the matrix");

        // The script opened exactly the cell the fragment names.
        Matcher body = Pattern.compile("<body[^>]*>").matcher(dom);
        assertTrue(body.find());
        assertTrue(body.group().contains("data-open=\"" + CELL + "\""), body.group());
        assertEquals(1, count(dom, Pattern.compile("<section class=\"detail open\"")), "one open details section");
        int start = dom.indexOf("<section class=\"detail open\" id=\"" + CELL + "\"");
        assertTrue(start >= 0, "details of " + CELL + " are open");
        String detail = dom.substring(start, nextSection(dom, start));

        CheckResult c = matrix.rows().stream().filter(r -> r.scenario().equals("odirect-fork-thread-write"))
                .flatMap(r -> r.cells().stream()).filter(x -> x.policy().equals("linux-2.6")).findFirst()
                .orElseThrow();
        int states = c.witness().steps().size() + 1;
        assertTrue(detail.contains("DATA LOSS"));
        assertTrue(detail.contains("FORBIDDEN (DATA LOSS)"));
        assertTrue(detail.contains("<table class=\"lanes\">"));
        assertTrue(detail.contains(">dio_read rd buf</span>"));
        assertEquals(states, count(detail, SVG), "one SVG per state");
        assertEquals(states, count(detail, Pattern.compile("<figure class=\"panel\"")), "one panel per state");
        // Laid out by the browser: every panel of the open cell has a non-empty box.
        Matcher shown = Pattern.compile("data-shown-panels=\"(\\d+)\"").matcher(detail);
        assertTrue(shown.find(), "the script measured the panels");
        assertEquals(states, Integer.parseInt(shown.group(1)), "panels with a non-empty layout box");
        // The COW step draws the new folio B as changed and the DMA step changes A's cell to 7.
        assertTrue(detail.contains("<g class=\"f chg\"><title>folio B:"));
        assertTrue(detail.contains(">0\u21927</text>"));
        assertTrue(detail.contains("at the end: P:buf[0] = 0 (in B)"));
        // Drawn by the script from the embedded states when the cell opened; the file itself holds no SVG.
        assertTrue(detail.contains("<div class=\"timeline\" data-drawn=\"1\">"), "the timeline was drawn");
        assertFalse(SVG.matcher(Packed.unpacked(Files.readString(report, StandardCharsets.UTF_8))).find(),
                "no SVG in the file");
        for (int k = 0; k < states; k++) {
            assertTrue(detail.contains("<svg class=\"tl\" data-step=\"" + k + "\""), "svg " + k);
        }
        // The COW step (3): a new folio B, and P's PTE now naming it, both marked as changed.
        String cow = svg(detail, 3);
        assertTrue(cow.contains("<g class=\"f chg\"><title>folio B:"), cow);
        assertTrue(cow.contains("<g class=\"e chg\"><title>PTE P:buf page 0 \u2192 B (rw dirty); was A (ro dirty)"),
                cow);
        assertTrue(cow.contains("<path class=\"ar chg\""));
        // The DMA step (4): cell 0 of A changes from 0 to 7, while P:buf[0] (ringed) stays 0 in B.
        String dma = svg(detail, 4);
        assertTrue(dma.contains("<g class=\"cell chg\">"));
        assertTrue(dma.contains(">0\u21927</text>"));
        assertTrue(dma.contains("<title>P:buf[0] reads this cell</title>"));
        // Released holder: its slot is drawn dashed in the step that released it.
        assertTrue(svg(detail, 5).contains("<g class=\"e ghost\">"));
        // Other cells' timelines wait until they are opened.
        assertEquals(states, count(dom, SVG), "only the open cell's are drawn");
        assertTrue(count(dom, Pattern.compile("<div class=\"timeline\">")) > 0, "the others wait to be opened");
    }

    private static String svg(String detail, int step) {
        int at = detail.indexOf("<svg class=\"tl\" data-step=\"" + step + "\"");
        assertTrue(at >= 0);
        return detail.substring(at, detail.indexOf("</svg>", at));
    }

    /** The open details section of a DOM dump. */
    private static String open(String dom, String id) {
        int start = dom.indexOf("<section class=\"detail open\" id=\"" + id + "\"");
        assertTrue(start >= 0, () -> "details of " + id + " are open");
        return dom.substring(start, nextSection(dom, start));
    }

    private static int column(String policy) {
        return matrix.policies().indexOf(policy);
    }

    @Test
    void aSafeCell_showsTheFailingRunReplayedUnderItsPolicy_withThePartingStepAndTheDecidingRules()
            throws Exception {
        String id = "cell-odirect-fork-thread-write-linux-6.5";
        String detail = open(chromium(id, "--virtual-time-budget=5000", "--dump-dom"), id);
        int at = detail.indexOf("<section class=\"cmp\"");
        assertTrue(at >= 0, "a comparison section");
        String cmp = detail.substring(at, detail.indexOf("</section>", at));
        assertTrue(cmp.contains("<h3>Why it is SAFE here</h3>"), cmp);
        // By default the nearest failing column: linux-6.4, the last kernel where O_DIRECT took FOLL_GET.
        assertTrue(cmp.contains("data-pair=\"" + column("linux-6.5") + "-" + column("linux-6.4") + "\""), cmp);
        assertTrue(cmp.contains("linux-6.4's shortest run where the condition's expression holds, replayed thread"
                + " for thread under linux-6.5."), cmp);
        assertTrue(cmp.contains("<th>under linux-6.4 (DATA LOSS)</th><th>under linux-6.5 (SAFE)</th>"), cmp);
        // The parting step is step 1, dio_read: FOLL_GET there, FOLL_PIN here, marked and named with its source.
        assertEquals(1, count(cmp, Pattern.compile("<tr class=\"part\">")), cmp);
        assertTrue(cmp.contains("<tr class=\"part\"><td class=\"n\">1<span class=\"partmark\"> they part here"
                + "</span></td><td>T1 (P)</td><td><code>dio_read rd buf</code></td>"), cmp);
        assertTrue(cmp.contains("Step 1 (T1 (P): dio_read rd buf) parts them."), cmp);
        assertTrue(cmp.contains("only under linux-6.5: <a class=\"rule\" href=\"#rule-dio-foll-pin\""), cmp);
        assertTrue(cmp.contains("<a class=\"ext\" href=\"https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/"
                + "linux.git/commit/?id=a7e689dd1c06\">a7e689dd1c06</a>"), "the deciding rule's commit, linked");
        assertTrue(cmp.contains("linux-6.4 ends in P:buf[0]=0; linux-6.5 ends in P:buf[0]=7"), cmp);
        // The same comparison as pinlab diff's.
        Diff d = Pinlab.diff(Parser.parse("corpus/odirect-fork-thread-write.pin", matrix.rows().stream()
                .filter(r -> r.scenario().equals("odirect-fork-thread-write")).findFirst().orElseThrow().source()),
                Policies.byName("linux-6.4"), Policies.byName("linux-6.5"));
        assertEquals(0, d.first());
        assertEquals(d.there().steps().size(), count(cmp, Pattern.compile("<tr(?: class=\"part\")?><td class=\"n\">")));
    }

    @Test
    void theCompareControl_comparesAnyTwoCellsOfTheRow() throws Exception {
        String id = "cell-odirect-fork-thread-write-linux-6.5";
        int a = column("linux-2.6");
        int b = column("linux-6.18");
        int c = column("linux-5.9");
        // as a user would: pick linux-2.6 and linux-6.18 (neither is the open cell), then two DATA LOSS columns
        Path page = driven("compare", "var sec = document.querySelector('.detail.open section.cmp');"
                + "var sa = sec.querySelector('select[data-side=a]'); var sb = sec.querySelector('select[data-side=b]');"
                + "sa.value = '" + a + "'; sa.dispatchEvent(new Event('change'));"
                + "sb.value = '" + b + "'; sb.dispatchEvent(new Event('change'));"
                + "var first = sec.querySelector('.cmp-out').cloneNode(true); first.className = 'cmp-first';"
                + "sec.appendChild(first);"
                + "sb.value = '" + c + "'; sb.dispatchEvent(new Event('change'));");
        String detail = open(chromium(page, id, "--virtual-time-budget=5000", "--dump-dom"), id);
        int at = detail.indexOf("<div class=\"cmp-first\">");
        assertTrue(at >= 0, detail);
        String first = detail.substring(at);
        assertTrue(first.contains("linux-6.18 is SAFE, linux-2.6 is DATA LOSS: linux-2.6's shortest run"), first);
        assertTrue(first.contains("<tr class=\"part\">"), "the parting step is marked");
        assertTrue(first.contains("only under linux-6.18: "), first);
        String now = detail.substring(detail.indexOf("<div class=\"cmp-out\">"), at);
        assertTrue(detail.contains("data-pair=\"" + a + "-" + c + "\""), "the last pair picked");
        assertTrue(now.contains("Both give DATA LOSS. The report works out comparisons only for cells whose results"
                + " differ; pinlab diff corpus/odirect-fork-thread-write.pin linux-2.6 linux-5.9 compares these two."),
                now);
    }

    @Test
    void aScenarioSafeEverywhere_saysWhatTheCheckerEstablished() throws Exception {
        String id = "cell-madv-dontfork-linux-6.18";
        String detail = open(chromium(id, "--virtual-time-budget=5000", "--dump-dom"), id);
        assertTrue(detail.contains("<h3>What the checker established</h3>"), detail);
        assertTrue(detail.contains("No limit stopped it."));
        assertTrue(detail.contains("<code>inv-anon-exclusive</code>"), "6.18 tracks PageAnonExclusive");
        assertFalse(detail.contains("class=\"tref\""), "shared lists copied in");
    }

    @Test
    void darkMode_changesTheComputedBackground_ofThePageAndTheDiffView() throws Exception {
        String id = "cell-odirect-fork-thread-write-linux-6.5";
        Path page = driven("colours", "var b = document.body; var part = document.querySelector('.detail.open tr.part td');"
                + "b.setAttribute('data-bg', getComputedStyle(b).backgroundColor);"
                + "b.setAttribute('data-part', part ? getComputedStyle(part).backgroundColor : 'none');");
        Pattern bg = Pattern.compile("data-bg=\"([^\"]*)\"");
        Pattern part = Pattern.compile("data-part=\"([^\"]*)\"");
        String light = chromium(page, id, "--virtual-time-budget=5000", "--dump-dom");
        String dark = chromium(page, id, "--force-dark-mode", "--virtual-time-budget=5000", "--dump-dom");
        Matcher l = bg.matcher(light);
        Matcher d = bg.matcher(dark);
        assertTrue(l.find() && d.find(), "the computed colours were read");
        assertEquals("rgb(255, 255, 255)", l.group(1));
        assertEquals("rgb(15, 23, 42)", d.group(1), "the dark scheme's background");
        Matcher lp = part.matcher(light);
        Matcher dp = part.matcher(dark);
        assertTrue(lp.find() && dp.find());
        assertEquals("rgb(255, 247, 237)", lp.group(1), "the parting step, light");
        assertEquals("rgb(67, 20, 7)", dp.group(1), "the parting step, dark");
    }

    /**
     * A cell whose trace, source and links are the same as another cell's is written as references; opening it
     * puts copies in place, so it shows the same swimlanes and pictures as a cell written out in full.
     */
    @Test
    void sharedBlocks_areCopiedInWhenTheCellOpens() throws Exception {
        String id = "cell-odirect-fork-thread-write-linux-4.8";
        String file = Packed.unpacked(Files.readString(report, StandardCharsets.UTF_8));
        int at = file.indexOf("<section class=\"detail\" id=\"" + id + "\"");
        String stat = file.substring(at, nextSection(file, at));
        assertTrue(stat.contains("class=\"tref\""), "the cell is written with references");
        assertFalse(stat.contains("<table class=\"lanes\">"), "and without its own swimlanes");

        String dom = chromium(id, "--virtual-time-budget=5000", "--dump-dom");
        int start = dom.indexOf("<section class=\"detail open\" id=\"" + id + "\"");
        assertTrue(start >= 0, "details of " + id + " are open");
        String detail = dom.substring(start, nextSection(dom, start));
        assertFalse(detail.contains("class=\"tref\""), "every reference was replaced");
        CheckResult c = matrix.rows().stream().filter(r -> r.scenario().equals("odirect-fork-thread-write"))
                .flatMap(r -> r.cells().stream()).filter(x -> x.policy().equals("linux-4.8")).findFirst()
                .orElseThrow();
        assertTrue(detail.contains("<table class=\"lanes\">"));
        assertEquals(c.witness().steps().size() + 1, count(detail, SVG),
                "the copied timeline is drawn");
        assertTrue(detail.contains("<pre class=\"src\""), "the scenario source");
        assertTrue(detail.contains("class=\"peer k-fail here\""), "its own link is marked in the peer list");
        assertTrue(detail.contains("class=\"sl expline\""), "the expect line is highlighted");
    }

    /**
     * The file holds every row's details packed: the cell the fragment names appears on load because its row (and
     * the rows its references copy from) is unpacked for it, before the page unpacks the others when idle; once the
     * page has settled, every row is unpacked in place, which is what printing shows.
     */
    @Test
    void theCellTheFragmentNames_isUnpackedOnLoad_andEveryRowOnceThePageIsIdle() throws Exception {
        String file = Files.readString(report, StandardCharsets.UTF_8);
        assertFalse(file.contains("<section class=\"detail\""), "the file has no details section as HTML");
        String id = "cell-madv-dontfork-linux-6.18";
        // when the cell opens, note how many rows were still packed
        Path page = script("onload", "new MutationObserver(function (ms, o) {"
                + " if (!document.body.getAttribute('data-open')) { return; } o.disconnect();"
                + " document.body.setAttribute('data-packed-then', String(document.querySelectorAll('script[data-row]').length));"
                + "}).observe(document.body, {attributes: true, attributeFilter: ['data-open']});");
        String dom = chromium(page, id, "--virtual-time-budget=30000", "--dump-dom");
        Matcher body = Pattern.compile("<body[^>]*>").matcher(dom);
        assertTrue(body.find());
        assertTrue(body.group().contains("data-open=\"" + id + "\""), body.group());
        Matcher then = Pattern.compile("data-packed-then=\"(\\d+)\"").matcher(body.group());
        assertTrue(then.find(), body.group());
        int rows = matrix.rows().size();
        assertTrue(Integer.parseInt(then.group(1)) > 0 && Integer.parseInt(then.group(1)) < rows,
                "opened with its own row unpacked and others still packed: " + then.group(1) + " of " + rows);
        String detail = open(dom, id);
        assertTrue(detail.contains("<h3>What the checker established</h3>"), detail);
        assertFalse(detail.contains("class=\"tref\""), "every reference was replaced");
        // settled: every row unpacked in place, every cell's section there, nothing left packed
        assertTrue(Pattern.compile("class=\"[^\"]*\\bunpacked\\b").matcher(body.group()).find(), body.group());
        assertEquals(0, count(dom, Pattern.compile("<script type=\"application/gzip")), "nothing left packed");
        long cells = matrix.rows().stream().mapToLong(r -> r.cells().size()).sum();
        assertEquals(cells, count(dom, Pattern.compile("<section class=\"detail[ \"]")), "every cell's section");
    }

    /**
     * A cell opened from inside another: a peer link to the same scenario under another policy, then a click on a
     * matrix cell of another row, still packed then; each opens with its content, references replaced.
     */
    @Test
    void aPeerLink_andAMatrixClick_openTheirCells() throws Exception {
        String peer = "cell-odirect-fork-thread-write-linux-4.8";
        String other = "cell-madv-dontfork-linux-6.18";
        Path page = script("peers", "var seq = [];"
                + "new MutationObserver(function () {"
                + " var id = document.body.getAttribute('data-open'); if (!id || seq[seq.length - 1] === id) { return; }"
                + " seq.push(id + ':' + document.querySelectorAll('script[data-row]').length);"
                + " document.body.setAttribute('data-seq', seq.join(' '));"
                + " if (id === '" + CELL + "') {"
                + "  document.querySelector('.detail.open nav.peers a.peer[href=\"#" + peer + "\"]').click();"
                + " } else if (id === '" + peer + "') {"
                + "  document.querySelector('td.cell[data-cell=\"" + other + "\"]').click();"
                + " }"
                + "}).observe(document.body, {attributes: true, attributeFilter: ['data-open']});");
        String dom = chromium(page, CELL, "--virtual-time-budget=30000", "--dump-dom");
        Matcher body = Pattern.compile("<body[^>]*>").matcher(dom);
        assertTrue(body.find());
        Matcher seq = Pattern.compile("data-seq=\"([^\"]*)\"").matcher(body.group());
        assertTrue(seq.find(), body.group());
        String[] opened = seq.group(1).split(" ", -1);
        assertEquals(3, opened.length, seq.group(1));
        assertTrue(opened[0].startsWith(CELL + ":"), seq.group(1));
        assertTrue(opened[1].startsWith(peer + ":"), seq.group(1));
        assertTrue(opened[2].startsWith(other + ":"), seq.group(1));
        assertTrue(Integer.parseInt(opened[1].substring(peer.length() + 1)) > 0, "other rows still packed: " + seq.group(1));
        assertTrue(body.group().contains("data-open=\"" + other + "\""), body.group());
        assertEquals(1, count(dom, Pattern.compile("<section class=\"detail open\"")), "one open details section");
        String detail = open(dom, other);
        assertTrue(detail.contains("<h3>What the checker established</h3>"), detail);
        assertFalse(detail.contains("class=\"tref\""), "every reference was replaced");
        // the peer opened on the way: references replaced, its timeline drawn, its own link marked
        int at = dom.indexOf("<section class=\"detail\" id=\"" + peer + "\"");
        assertTrue(at >= 0, "the peer's section, closed again");
        String p = dom.substring(at, nextSection(dom, at));
        assertFalse(p.contains("class=\"tref\""), "every reference was replaced");
        assertTrue(p.contains("<div class=\"timeline\" data-drawn=\"1\">"), "its timeline was drawn");
        assertTrue(p.contains("class=\"peer k-fail here\""), "its own link is marked in the peer list");
    }

    private static int nextSection(String dom, int start) {
        int next = dom.indexOf("<section class=\"detail", start + 1);
        return next < 0 ? dom.length() : next;
    }

    @Test
    void screenshot_ofTheOpenCell_isNotBlank() throws Exception {
        Path png = OUT.resolve("report.png");
        Files.deleteIfExists(png);
        chromium(CELL, "--virtual-time-budget=5000", "--window-size=1400,1000", "--screenshot=" + png);
        assertTrue(Files.exists(png), "screenshot written");
        byte[] b = Files.readAllBytes(png);
        assertTrue(b.length > 40_000, () -> "screenshot is only " + b.length + " bytes");
        assertEquals(0x89504e47, ByteBuffer.wrap(b, 0, 4).getInt(), "PNG signature");
        assertEquals(1400, ByteBuffer.wrap(b, 16, 4).getInt(), "width");
        assertEquals(1000, ByteBuffer.wrap(b, 20, 4).getInt(), "height");
    }
}
