package pinlab.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The matrix as text, markdown and JSON. (HTML is {@link HtmlReport}.) */
public final class MatrixReport {
    private MatrixReport() {}

    /** Renders the terminal table: rows grouped by topic, one column per policy, then a legend. */
    public static String text(Matrix m) {
        StringBuilder sb = new StringBuilder();
        List<String[]> rows = new ArrayList<>();
        String[] head = new String[m.policies().size() + 1];
        head[0] = "scenario";
        for (int i = 0; i < m.policies().size(); i++) {
            head[i + 1] = m.policies().get(i);
        }
        rows.add(head);
        String topic = null;
        for (Matrix.Row r : grouped(m)) {
            if (!r.topic().equals(topic)) {
                topic = r.topic();
                String[] t = new String[head.length];
                java.util.Arrays.fill(t, "");
                t[0] = "[" + (topic.isEmpty() ? "other" : topic) + "]";
                rows.add(t);
            }
            String[] row = new String[head.length];
            row[0] = "  " + r.scenario();
            for (int i = 0; i < r.cells().size(); i++) {
                row[i + 1] = Matrix.cellText(r.cells().get(i));
            }
            rows.add(row);
        }
        TextReport.table(sb, rows, "");
        sb.append(legend(m));
        return sb.toString();
    }

    private static String legend(Matrix m) {
        long cells = m.rows().stream().mapToLong(r -> r.cells().size()).sum();
        long mismatched = m.rows().stream().flatMap(r -> r.cells().stream())
                .filter(c -> Boolean.FALSE.equals(c.matches())).count();
        long incomplete = m.rows().stream().flatMap(r -> r.cells().stream()).filter(c -> !c.complete()).count();
        long unexpected = m.rows().stream().flatMap(r -> r.cells().stream())
                .filter(c -> c.verdict() == Verdict.VIOLATION).count();
        return String.format(Locale.ROOT, "%nSAFE: the failure cannot happen. DATA LOSS, DATA LOSS (disk), STALE READ, INFO"
                + " LEAK, CORRUPTION: it can (* in every run). CRASH, WARN, CSUM, EIO: the kernel BUGs, warns, fails"
                + " a checksum or returns -EIO from fsync in some run. REFUSED: the kernel refuses the operation."
                + " STALL (a kernel wait that never ends), DEADLOCK (the scenario's own threads), UAF, LEAK, INV-*:"
                + " violations. N/A: the scenario needs a newer kernel. -: a proposal column the scenario does not"
                + " ask about. (expected X, got Y): does not match the scenario's expect line.%n"
                + "%d scenarios x %d policies = %d cells, %d mismatched, %s%d incomplete, %.1f s%n",
                m.rows().size(), m.policies().size(), cells, mismatched,
                unexpected == 0 ? "" : unexpected + " with an unexpected violation, ", incomplete,
                m.millis() / 1000.0);
    }

    /** Rows ordered by topic (topics in order of first appearance), then input order. */
    static List<Matrix.Row> grouped(Matrix m) {
        List<String> topics = new ArrayList<>();
        for (Matrix.Row r : m.rows()) {
            if (!topics.contains(r.topic())) {
                topics.add(r.topic());
            }
        }
        List<Matrix.Row> out = new ArrayList<>();
        for (String t : topics) {
            for (Matrix.Row r : m.rows()) {
                if (r.topic().equals(t)) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    /** Renders a markdown table. */
    public static String markdown(Matrix m) {
        StringBuilder sb = new StringBuilder("| topic | scenario |");
        m.policies().forEach(p -> sb.append(' ').append(md(p)).append(" |"));
        sb.append("\n|---|---|");
        m.policies().forEach(p -> sb.append("---|"));
        sb.append('\n');
        for (Matrix.Row r : grouped(m)) {
            sb.append("| ").append(md(r.topic())).append(" | `").append(md(r.scenario())).append("` |");
            for (CheckResult c : r.cells()) {
                String t = md(Matrix.cellText(c));
                sb.append(' ').append(c.headline().kind() == Cell.Kind.SAFE ? t : "**" + t + "**").append(" |");
            }
            sb.append('\n');
        }
        return sb.append(legend(m)).toString();
    }

    /** Escapes what would break a Markdown table cell: pipes and backslashes; newlines become spaces. */
    static String md(String s) {
        return s.replace("\\", "\\\\").replace("|", "\\|").replace('\n', ' ');
    }

    /** Renders JSON: the cells, then every full result (schema of docs/json-schema.md). */
    public static String json(Matrix m) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("schema", JsonReport.SCHEMA);
        root.put("tool", "pinlab");
        ArrayNode pols = root.putArray("policies");
        m.policies().forEach(pols::add);
        ArrayNode rows = root.putArray("matrix");
        List<CheckResult> all = new ArrayList<>();
        for (Matrix.Row r : m.rows()) {
            ObjectNode o = rows.addObject();
            o.put("scenario", r.scenario());
            o.put("file", r.file());
            o.put("topic", r.topic());
            o.put("title", r.title());
            ArrayNode cells = o.putArray("cells");
            for (CheckResult c : r.cells()) {
                ObjectNode x = cells.addObject();
                x.put("policy", c.policy());
                x.set("cell", JsonReport.cell(c.headline()));
                JsonReport.observation(x, c);
                x.put("verdict", c.verdict().word());
                all.add(c);
            }
        }
        try {
            ObjectNode results = (ObjectNode) mapper.readTree(JsonReport.render(all));
            root.set("results", results.get("results"));
            return mapper.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
