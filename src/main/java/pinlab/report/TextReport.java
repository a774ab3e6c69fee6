package pinlab.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Plain-text report: outcome table, observation line, verdict, then traces as one-column-per-thread tables. */
public final class TextReport {
    private TextReport() {}

    /** Renders one result. */
    public static String render(CheckResult r) {
        StringBuilder sb = new StringBuilder();
        // the result word is the headline, as in the matrix; how it stands against the expect line beside it
        sb.append("== ").append(r.scenario()).append(" under ").append(r.policy()).append(" ==  ")
                .append(r.cell()).append(" \u2014 ").append(r.status()).append('\n');
        if (!r.about().title().isEmpty()) {
            sb.append(r.about().title()).append('\n');
        }
        sb.append("file: ").append(r.about().file()).append('\n');
        for (String s : r.about().sources()) {
            sb.append("source: ").append(s).append('\n');
        }
        sb.append("condition: ").append(r.about().condition()).append("\n\n");

        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"outcome", "final states", "condition"});
        for (CheckResult.OutcomeRow o : r.outcomes()) {
            rows.add(new String[] {o.outcome(), Long.toString(o.count()), o.satisfies() ? "holds" : "-"});
        }
        table(sb, rows, "  ");
        sb.append('\n');
        sb.append("Observation ").append(r.scenario()).append(' ').append(r.observationWord()).append(' ')
                .append(r.positive()).append(' ').append(r.negative()).append('\n');
        if (r.expected() != null) {
            sb.append("Expected ").append(r.policy()).append(": ").append(r.expected().observation().word());
            if (!r.expected().violations().isEmpty()) {
                sb.append(" with ").append(String.join(", ", r.expected().violations()));
            }
            sb.append(" (line ").append(r.expected().line()).append(") -> ")
                    .append(r.matches() == null ? "not judged: the run is incomplete"
                            : r.matches() ? "matches" : "DOES NOT MATCH: " + r.mismatch()).append('\n');
        } else {
            sb.append("Expected: none for ").append(r.policy()).append('\n');
        }
        if (r.violations().isEmpty()) {
            sb.append("Violations: none\n");
        } else {
            for (CheckResult.ViolationRow v : r.violations()) {
                sb.append("Violation ").append(v.kind()).append(v.expected() ? " (expected)" : " (UNEXPECTED)")
                        .append(": ").append(v.description()).append('\n');
            }
        }
        if (!r.complete()) {
            sb.append("INCOMPLETE: ").append(r.search().stopReason())
                    .append(". The state space was not fully explored; nothing above is a proof of safety.\n");
        }
        sb.append(String.format(Locale.ROOT,
                "Explored %d states, %d transitions, %d final states, depth %d, %d ms (fingerprint collision probability"
                        + " %.1e)%n",
                r.search().states(), r.search().transitions(), r.search().finalStates(), r.search().depth(),
                r.search().millis(), r.search().collisionProbability()));
        if (r.complete() && r.notApplicable() == null && r.violations().isEmpty()) {
            sb.append(established(r)).append('\n');
        }
        if (r.witness() != null) {
            String what = r.about().quantifier() == pinlab.scenario.Condition.Quantifier.FORALL
                    ? "the shortest run where the condition fails" : "the shortest run where the condition holds";
            sb.append("\nTrace: ").append(what).append('\n');
            trace(sb, r.witness());
        }
        for (CheckResult.ViolationRow v : r.violations()) {
            sb.append("\nTrace to violation ").append(v.kind()).append('\n');
            trace(sb, v.trace());
        }
        for (CheckResult.OutcomeRow o : r.outcomes()) {
            if (o.trace() != null) {
                sb.append("\nTrace to outcome ").append(o.outcome()).append('\n');
                trace(sb, o.trace());
            }
        }
        return sb.toString();
    }

    /** Renders a trace: the state after setup, then one row per step with one column per thread. */
    public static void trace(StringBuilder sb, Trace t) {
        sb.append("  after setup:\n");
        for (String l : t.initial()) {
            sb.append("    ").append(l).append('\n');
        }
        List<Integer> cols = t.columns();
        int n = cols.size();
        List<String[]> rows = new ArrayList<>();
        String[] head = new String[n + 3];
        head[0] = "#";
        for (int i = 0; i < n; i++) {
            head[i + 1] = t.threads().get(cols.get(i));
        }
        head[n + 1] = "rule";
        head[n + 2] = "what changed";
        rows.add(head);
        int k = 1;
        for (Trace.Step s : t.steps()) {
            List<String> detail = new ArrayList<>(s.notes());
            for (String c : s.changes()) {
                detail.add("  " + c);
            }
            int height = Math.max(1, Math.max(detail.size(), s.rules().size()));
            for (int line = 0; line < height; line++) {
                String[] row = new String[n + 3];
                java.util.Arrays.fill(row, "");
                if (line == 0) {
                    row[0] = Integer.toString(k);
                    row[cols.indexOf(s.thread()) + 1] = s.op();
                }
                row[n + 1] = line < s.rules().size() ? s.rules().get(line) : "";
                row[n + 2] = line < detail.size() ? detail.get(line) : "";
                rows.add(row);
            }
            k++;
        }
        table(sb, rows, "  ");
        sb.append("  at the end:\n");
        for (String l : t.last()) {
            sb.append("    ").append(l).append('\n');
        }
        if (t.outcome() != null) {
            sb.append("  outcome: ").append(t.outcome().isEmpty() ? "(nothing observed)" : t.outcome()).append('\n');
        }
    }

    /** Appends rows as an aligned table; the first row is the header. */
    public static void table(StringBuilder sb, List<String[]> rows, String indent) {
        int cols = rows.get(0).length;
        int[] w = new int[cols];
        for (String[] r : rows) {
            for (int c = 0; c < cols; c++) {
                w[c] = Math.max(w[c], r[c].length());
            }
        }
        for (int i = 0; i < rows.size(); i++) {
            String[] r = rows.get(i);
            StringBuilder line = new StringBuilder(indent);
            for (int c = 0; c < cols; c++) {
                line.append(c == 0 ? "" : " | ");
                line.append(c == cols - 1 ? r[c] : pad(r[c], w[c]));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
            if (i == 0) {
                StringBuilder sep = new StringBuilder(indent);
                for (int c = 0; c < cols; c++) {
                    sep.append(c == 0 ? "" : "-+-").append("-".repeat(w[c]));
                }
                sb.append(sep).append('\n');
            }
        }
    }

    private static String pad(String s, int w) {
        return s + " ".repeat(w - s.length());
    }

    /** Renders the one-line-per-result summary that ends a multi-result run. */
    public static String summary(List<CheckResult> results) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"scenario", "policy", "result", "observation", "expected", "violations", "states",
            "verdict"});
        for (CheckResult r : results) {
            rows.add(new String[] {r.scenario(), r.policy(), r.cell(), r.observationWord(),
                r.expected() == null ? "-" : r.expected().observation().word(),
                r.violations().isEmpty() ? "-" : String.join(",", r.violations().stream()
                        .map(CheckResult.ViolationRow::kind).toList()),
                Long.toString(r.search().states()), r.verdict().word()});
        }
        StringBuilder sb = new StringBuilder();
        table(sb, rows, "");
        return sb.toString();
    }

    /**
     * Says what a finished search without violations established: every interleaving, the final states and how the
     * condition stands in them, and the violations looked for in every state.
     */
    static String established(CheckResult r) {
        CheckResult.Search s = r.search();
        String side = r.about().quantifier() == pinlab.scenario.Condition.Quantifier.FORALL
                ? (r.negative() == 0 ? "the condition holds in all of them" : "the condition fails in "
                        + r.negative() + " of them")
                : (r.positive() == 0 ? "the condition's expression holds in none of them"
                        : "the condition's expression holds in " + r.positive() + " of them");
        List<String> inv = s.checked().stream().filter(k -> !k.equals("stall") && !k.equals("deadlock")).toList();
        return "Established: every interleaving was explored (" + s.states() + " states, " + s.finalStates()
                + " final); " + side + "; no violation: " + String.join(", ", inv) + " were checked in every state,"
                + " stall and deadlock wherever nothing could step.";
    }
}
