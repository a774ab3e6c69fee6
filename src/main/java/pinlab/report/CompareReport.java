package pinlab.report;

import java.util.ArrayList;
import java.util.List;
import pinlab.policy.Policy;
import pinlab.policy.Rule;

/**
 * One scenario under several policies, side by side: each policy's cell, observation and outcomes, the rules
 * each policy switches relative to the first, and, with traces, the run that shows each policy's result.
 */
public final class CompareReport {
    private CompareReport() {}

    /** Renders the comparison; {@code results} are in the order of {@code policies}. */
    public static String text(List<Policy> policies, List<CheckResult> results, boolean traces) {
        StringBuilder sb = new StringBuilder();
        CheckResult first = results.get(0);
        sb.append(first.scenario());
        if (!first.about().title().isEmpty()) {
            sb.append(": ").append(first.about().title());
        }
        sb.append('\n').append("condition: ").append(first.about().condition()).append("\n\n");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"policy", "result", "observation", "expected", "states", "outcomes"});
        for (CheckResult r : results) {
            StringBuilder outs = new StringBuilder();
            for (CheckResult.OutcomeRow o : r.outcomes()) {
                outs.append(outs.length() == 0 ? "" : " | ").append(o.outcome()).append(" (").append(o.count())
                        .append(')');
            }
            if (r.notApplicable() != null) {
                outs.append(r.notApplicable());
            }
            rows.add(new String[] {r.policy(), Matrix.cellText(r), r.observationWord(),
                    r.expected() == null ? "-" : r.expected().observation().word(), Long.toString(r.search().states()),
                    outs.toString()});
        }
        TextReport.table(sb, rows, "  ");
        Policy base = policies.get(0);
        sb.append("\nRules that differ from ").append(base.name()).append(":\n");
        for (int i = 1; i < policies.size(); i++) {
            Policy p = policies.get(i);
            List<String> diff = new ArrayList<>();
            for (Rule r : Rule.values()) {
                if (p.has(r) != base.has(r)) {
                    diff.add((p.has(r) ? "+" : "-") + r.id());
                }
            }
            sb.append("  ").append(p.name()).append(": ").append(diff.isEmpty() ? "none" : String.join(" ", diff))
                    .append('\n');
            for (Rule r : Rule.values()) {
                if (p.has(r) && !base.has(r)) {
                    sb.append("      ").append(r.id()).append(": ").append(r.source()).append('\n');
                }
            }
        }
        if (traces) {
            for (CheckResult r : results) {
                sb.append("\n== ").append(r.policy()).append(": ").append(Matrix.cellText(r)).append(" ==\n");
                if (r.witness() != null) {
                    TextReport.trace(sb, r.witness());
                }
                for (CheckResult.ViolationRow v : r.violations()) {
                    sb.append("  violation ").append(v.kind()).append(": ").append(v.description()).append('\n');
                    TextReport.trace(sb, v.trace());
                }
                if (r.witness() == null && r.violations().isEmpty()) {
                    sb.append("  no run fails; ").append(r.search().states()).append(" states explored\n");
                }
            }
        }
        return sb.toString();
    }
}
