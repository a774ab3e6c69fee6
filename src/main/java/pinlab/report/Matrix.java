package pinlab.report;

import java.util.List;

/**
 * Every scenario checked under every policy: the value behind {@code pinlab matrix} and its formats.
 *
 * @param policies the column names, in kernel order
 * @param rows one row per scenario, in input order
 * @param rules every rule id with its summary and source, for links from traces
 * @param millis wall time of the whole run
 */
public record Matrix(List<String> policies, List<Row> rows, List<RuleInfo> rules, long millis) {

    /** Returns this matrix with every timing written as 0 (for reports that must compare byte for byte). */
    public Matrix withoutTimings() {
        List<Row> out = new java.util.ArrayList<>();
        for (Row r : rows) {
            out.add(new Row(r.scenario(), r.topic(), r.title(), r.file(), r.source(), r.failure(),
                    r.cells().stream().map(CheckResult::withoutTimings).toList()));
        }
        return new Matrix(policies, List.copyOf(out), rules, 0);
    }

    /**
     * One scenario.
     *
     * @param scenario its name
     * @param topic its group
     * @param title its title
     * @param file its file
     * @param source its full text
     * @param failure what its failing side means, or null
     * @param cells one result per policy, in column order
     */
    public record Row(String scenario, String topic, String title, String file, String source, String failure,
            List<CheckResult> cells) {}

    /** A rule, for explanations and links. */
    public record RuleInfo(String id, String summary, String source) {}

    /** Returns whether any cell does not match its expectation. */
    public boolean anyMismatch() {
        return rows.stream().flatMap(r -> r.cells().stream())
                .anyMatch(c -> c.verdict().fails());
    }

    /** Returns whether any cell's exploration was stopped by a limit. */
    public boolean anyIncomplete() {
        return rows.stream().flatMap(r -> r.cells().stream()).anyMatch(c -> !c.complete());
    }

    /** Returns a cell's text: {@link CheckResult#cell}, and the mismatch in words when it does not match. */
    public static String cellText(CheckResult c) {
        String s = c.cell();
        if (c.mismatch() != null) {
            s += " (" + c.mismatch() + ")";
        }
        return s;
    }
}
