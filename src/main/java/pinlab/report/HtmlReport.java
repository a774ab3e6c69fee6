package pinlab.report;

import static pinlab.report.HtmlText.esc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The self-contained HTML report of a matrix: one file, no network. The matrix (rows grouped by topic, one column
 * per policy) links each cell to its details on the same page ({@code #cell-SCENARIO-POLICY}): the outcome table,
 * the verdict, the scenario source, and every trace as swimlanes with an SVG picture of the pages after each
 * step. The HTML is rendered here; the inline script opens cells, steps through traces, and draws from JSON embedded
 * in the page what only an opened cell needs: the SVG timelines and the side-by-side comparisons of a row's cells.
 * The matrix is plain HTML; each row's details (its cells' sections and its comparison data) are written packed, as
 * one gzip block in base64 ({@link #pack}), which the script unpacks in place when one of the row's cells opens, and
 * for every row once the page is idle.
 */
public final class HtmlReport {
    private HtmlReport() {}

    /** Renders the matrix as one HTML file, without comparisons between cells. */
    public static String render(Matrix m) {
        return render(m, null);
    }

    /**
     * Renders the matrix as one HTML file; {@code comparisons} (one per row of {@code m}, in its order, from
     * {@code Pinlab.comparisons}, or null for none) give each cell of a row with differing results its side-by-side
     * comparison with the row's other cells, and scenarios safe everywhere the actors their searches covered.
     */
    public static String render(Matrix m, List<Comparisons> comparisons) {
        List<Matrix.Row> rows = MatrixReport.grouped(m);
        Map<String, Matrix.RuleInfo> rules = new LinkedHashMap<>();
        for (Matrix.RuleInfo r : m.rules()) {
            rules.put(r.id(), r);
        }
        HtmlText.Ids ids = new HtmlText.Ids();
        List<List<String>> cellIds = new ArrayList<>();
        for (Matrix.Row r : rows) {
            List<String> rowIds = new ArrayList<>();
            for (int i = 0; i < r.cells().size(); i++) {
                String policy = i < m.policies().size() ? m.policies().get(i) : r.cells().get(i).policy();
                rowIds.add(ids.unique(HtmlText.cellId(r.scenario(), policy)));
            }
            cellIds.add(rowIds);
        }

        StringBuilder sb = new StringBuilder(1 << 20);
        sb.append("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                        + "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>pinlab matrix: ").append(m.rows().size()).append(" scenarios \u00d7 ")
                .append(m.policies().size()).append(" policies</title>\n")
                .append("<script>document.documentElement.className = 'js';</script>\n")
                .append("<style>\n").append(HtmlAssets.CSS).append("</style>\n</head>\n<body>\n");
        header(sb, m);
        matrix(sb, m, rows, cellIds);
        sb.append("<main id=\"details\">\n<p class=\"hint\" id=\"hint\">Click a cell for its outcomes, the shortest "
                + "trace as swimlanes and the pages after every step. In a trace, \u2190 and \u2192 step through it; Esc "
                + "closes the cell.</p>\n<noscript><p class=\"hint\">The cells' details are packed in this page and "
                + "unpacked by its script; without JavaScript only the matrix above can be read.</p></noscript>\n"
                + "<p class=\"printnote\" id=\"printnote\">Some cells' details were still being unpacked when this "
                + "was printed; print again once the page has loaded.</p>\n");
        HtmlDetail.Context ctx;
        HtmlDetail.Traces traces = new HtmlDetail.Traces();
        java.util.IdentityHashMap<Matrix.Row, Comparisons> byRow = new java.util.IdentityHashMap<>();
        for (int i = 0; comparisons != null && i < m.rows().size() && i < comparisons.size(); i++) {
            byRow.put(m.rows().get(i), comparisons.get(i));
        }
        StringBuilder row = new StringBuilder(1 << 16);
        for (int i = 0; i < rows.size(); i++) {
            Comparisons cmp = byRow.getOrDefault(rows.get(i), Comparisons.NONE);
            String cmpId = cmp.diffs().isEmpty() ? null : "cmp" + i;
            ctx = new HtmlDetail.Context(m.policies(), cellIds.get(i), rules, traces, cmp, cmpId);
            traces.row(i);
            row.setLength(0);
            for (int j = 0; j < rows.get(i).cells().size(); j++) {
                HtmlDetail.render(row, rows.get(i), j, ctx);
            }
            if (cmpId != null) {
                row.append("<script type=\"application/json\" id=\"").append(cmpId).append("\">")
                        .append(HtmlCompare.json(rows.get(i), cellIds.get(i), cmp)).append("</script>\n");
            }
            // The row's details, packed: the script unpacks them in place when one of its cells opens (and every
            // row once the page is idle, for printing).
            sb.append("<script type=\"").append(PACKED).append("\" data-row=\"").append(i).append("\">")
                    .append(pack(row.toString())).append("</script>\n");
        }
        sb.append("</main>\n");
        glossary(sb, m);
        sb.append("<div id=\"backdrop\" class=\"backdrop\" hidden></div>\n");
        sb.append("<div id=\"pop\" class=\"pop\" role=\"tooltip\" hidden></div>\n");
        sb.append("<script>\n").append(HtmlAssets.JS).append("</script>\n</body>\n</html>\n");
        return sb.toString();
    }

    /** The type of the script elements that hold a row's details, packed by {@link #pack}. */
    static final String PACKED = "application/gzip+base64";

    /**
     * Returns {@code html} (UTF-8) gzip-compressed and base64-encoded, the way a row's details are written in the
     * page. Deterministic: {@code GZIPOutputStream} writes a header without a file name or a time (its MTIME bytes
     * are zero), so the same text gives the same block.
     */
    static String pack(String html) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(html.length() / 6 + 64);
        try (java.util.zip.GZIPOutputStream gz = new Packer(bytes)) {
            gz.write(html.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return java.util.Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    /** A gzip stream at the best compression level (the page is written once and read many times). */
    private static final class Packer extends java.util.zip.GZIPOutputStream {
        Packer(java.io.OutputStream out) throws java.io.IOException {
            super(out, 1 << 16);
            def.setLevel(java.util.zip.Deflater.BEST_COMPRESSION);
        }
    }

    private static void header(StringBuilder sb, Matrix m) {
        long cells = m.rows().stream().mapToLong(r -> r.cells().size()).sum();
        long mismatched = m.rows().stream().flatMap(r -> r.cells().stream())
                .filter(c -> Boolean.FALSE.equals(c.matches())).count();
        long incomplete = m.rows().stream().flatMap(r -> r.cells().stream()).filter(c -> !c.complete()).count();
        long violations = m.rows().stream().flatMap(r -> r.cells().stream())
                .filter(c -> !c.violations().isEmpty()).count();
        sb.append("<header class=\"top\">\n<h1>pinlab <span>page pinning, COW, the page cache, writeback and DMA across kernel versions"
                + "</span></h1>\n<p class=\"summary\">").append(m.rows().size()).append(" scenarios \u00d7 ")
                .append(m.policies().size()).append(" policies = ").append(cells).append(" cells \u00b7 ")
                .append("<span class=\"").append(mismatched > 0 ? "bad" : "ok").append("\">").append(mismatched)
                .append(" mismatched</span> \u00b7 <span class=\"").append(incomplete > 0 ? "warn" : "ok")
                .append("\">").append(incomplete).append(" incomplete</span> \u00b7 ").append(violations)
                .append(" with violations \u00b7 ").append(HtmlText.fmt("%.1f s", m.millis() / 1000.0))
                .append("</p>\n<ul class=\"legend\">")
                .append("<li><span class=\"sw k-safe\">SAFE</span> the failure cannot happen</li>")
                .append("<li><span class=\"sw k-fail\">DATA LOSS</span> it can, in some runs</li>")
                .append("<li><span class=\"sw k-fail k-always\">DATA LOSS*</span> in every run</li>")
                .append("<li><span class=\"sw k-fail\">CRASH, WARN, CSUM, EIO +</span> the kernel BUGs, warns,"
                        + " fails a checksum or an fsync, in some run</li>")
                .append("<li><span class=\"sw k-ref\">REFUSED</span> the kernel refuses the operation</li>")
                .append("<li><span class=\"sw k-vio\">STALL, DEADLOCK, UAF\u2026</span> violation: a kernel wait"
                        + " that never ends, the scenario's own threads stuck, a use after free\u2026</li>")
                .append("<li><span class=\"sw k-na\">N/A</span> the scenario needs a newer kernel</li>")
                .append("<li><span class=\"sw k-inc\">INCOMPLETE</span> a limit stopped the search</li>")
                .append("<li><span class=\"sw k-safe mismatch\">X</span> \u2260 the scenario's expect line</li>")
                .append("</ul>\n<p class=\"find\"><input id=\"filter\" type=\"search\" placeholder=\"filter: scenario, topic"
                        + " or result (e.g. fork, KSM, DATA LOSS)\" aria-label=\"filter the matrix\"> <span id=\"shown\">"
                        + "</span></p>\n</header>\n");
    }

    private static void matrix(StringBuilder sb, Matrix m, List<Matrix.Row> rows, List<List<String>> cellIds) {
        int cols = m.policies().size();
        sb.append("<div class=\"mwrap\"><table class=\"matrix\" id=\"matrix\">\n<thead><tr><th class=\"sc\">"
                + "scenario</th>");
        for (String p : m.policies()) {
            sb.append("<th class=\"pol\">").append(esc(p)).append("</th>");
        }
        sb.append("</tr></thead>\n<tbody>\n");
        String topic = null;
        for (int i = 0; i < rows.size(); i++) {
            Matrix.Row r = rows.get(i);
            if (!r.topic().equals(topic)) {
                topic = r.topic();
                sb.append("<tr class=\"topic\"><th colspan=\"").append(cols + 1).append("\">")
                        .append(esc(topic.isEmpty() ? "other" : topic)).append("</th></tr>\n");
            }
            sb.append("<tr class=\"srow\" data-topic=\"").append(esc(r.topic())).append("\" data-row=\"").append(i)
                    .append("\"><th class=\"sc\" title=\"")
                    .append(esc(r.title())).append("\">")
                    .append(esc(r.scenario())).append("</th>");
            for (int j = 0; j < r.cells().size(); j++) {
                CheckResult c = r.cells().get(j);
                boolean mismatch = Boolean.FALSE.equals(c.matches());
                String id = cellIds.get(i).get(j);
                sb.append("<td class=\"cell ").append(HtmlText.kind(c)).append(mismatch ? " mismatch" : "")
                        .append("\" data-cell=\"").append(esc(id)).append("\"><a class=\"cl\" href=\"#")
                        .append(esc(id)).append("\" title=\"").append(esc(tooltip(r, c))).append("\">");
                String text = Matrix.cellText(c);
                String said = mismatch ? " (" + c.mismatch() + ")" : "";
                if (mismatch && text.endsWith(said)) {
                    // The text stays Matrix.cellText; its " (expected X, got Y)" is said visibly by the line below.
                    sb.append(esc(text.substring(0, text.length() - said.length()))).append("<span class=\"vh\">")
                            .append(esc(said)).append("</span>");
                } else {
                    sb.append(esc(text));
                }
                sb.append("</a>");
                if (mismatch) {
                    sb.append("<span class=\"mm\">").append(esc(c.mismatch())).append("</span>");
                }
                sb.append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</tbody>\n</table></div>\n");
    }

    private static String tooltip(Matrix.Row r, CheckResult c) {
        StringBuilder t = new StringBuilder(r.scenario()).append(" under ").append(c.policy()).append(": ")
                .append(c.cell()).append(" \u2014 observed ").append(c.observationWord()).append(" (")
                .append(c.positive()).append(" of ").append(c.positive() + c.negative())
                .append(" final states satisfy the expression)");
        if (c.expected() != null) {
            t.append("; expected ").append(c.expected().observation().word()).append(" (line ")
                    .append(c.expected().line()).append(") \u2192 ").append(c.verdict().word());
        } else {
            t.append("; no expectation \u2192 ").append(c.verdict().word());
        }
        return t.toString();
    }

    private static void glossary(StringBuilder sb, Matrix m) {
        sb.append("<section class=\"glossary\" id=\"rules\">\n<h2>Rules</h2>\n<p class=\"muted\">Every decision in a "
                + "trace names the rule that took it. Each rule cites its source.</p>\n<dl>\n");
        for (Matrix.RuleInfo r : m.rules()) {
            sb.append("<dt id=\"rule-").append(esc(HtmlText.slug(r.id()))).append("\"><code>").append(esc(r.id()))
                    .append("</code></dt><dd>").append(esc(r.summary())).append("<br><span class=\"muted\">")
                    .append(HtmlText.linked(r.source())).append("</span></dd>\n");
        }
        sb.append("</dl>\n</section>\n");
    }
}
