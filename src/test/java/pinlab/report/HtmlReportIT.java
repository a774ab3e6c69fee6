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
        Files.writeString(report, HtmlReport.render(matrix), StandardCharsets.UTF_8);
    }

    /** Runs headless chromium on the report at a fragment with extra flags and returns its standard output. */
    static String chromium(String fragment, String... flags) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory("pinlab-chromium-");
        Path stderr = Files.createTempFile("pinlab-chromium-", ".log");
        try {
            List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                    "--disable-gpu", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-quic", "--disable-dev-shm-usage",
                    "--hide-scrollbars", "--user-data-dir=" + profile));
            cmd.addAll(List.of(flags));
            cmd.add(report.toUri() + (fragment.startsWith("?") ? fragment : "#" + fragment));
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
        assertEquals(states, count(detail, Pattern.compile("<svg class=\"tl\"")), "one SVG per state");
        assertEquals(states, count(detail, Pattern.compile("<figure class=\"panel\"")), "one panel per state");
        // Laid out by the browser: every panel of the open cell has a non-empty box.
        Matcher shown = Pattern.compile("data-shown-panels=\"(\\d+)\"").matcher(detail);
        assertTrue(shown.find(), "the script measured the panels");
        assertEquals(states, Integer.parseInt(shown.group(1)), "panels with a non-empty layout box");
        // The COW step draws the new folio B as changed and the DMA step changes A's cell to 7.
        assertTrue(detail.contains("<g class=\"f chg\"><title>folio B:"));
        assertTrue(detail.contains(">0\u21927</text>"));
        assertTrue(detail.contains("at the end: P:buf[0] = 0 (in B)"));
    }

    /**
     * A cell whose trace, source and links are the same as another cell's is written as references; opening it
     * puts copies in place, so it shows the same swimlanes and pictures as a cell written out in full.
     */
    @Test
    void sharedBlocks_areCopiedInWhenTheCellOpens() throws Exception {
        String id = "cell-odirect-fork-thread-write-linux-4.8";
        String file = Files.readString(report, StandardCharsets.UTF_8);
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
        assertEquals(c.witness().steps().size() + 1, count(detail, Pattern.compile("<svg class=\"tl\"")));
        assertTrue(detail.contains("<pre class=\"src\""), "the scenario source");
        assertTrue(detail.contains("class=\"peer k-fail here\""), "its own link is marked in the peer list");
        assertTrue(detail.contains("class=\"sl expline\""), "the expect line is highlighted");
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
