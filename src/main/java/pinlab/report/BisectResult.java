package pinlab.report;

import java.util.List;

/**
 * Where a scenario's result changes along the ordered kernel policies, and which rules decide each change.
 *
 * @param scenario the scenario's name
 * @param results the result (matrix cell) under each policy, in order
 * @param flips each change between neighbouring policies
 */
public record BisectResult(String scenario, List<PolicyCell> results, List<Flip> flips) {

    /** A policy and its matrix cell. */
    public record PolicyCell(String policy, String cell) {}

    /**
     * A change between two neighbouring policies.
     *
     * @param from the older policy
     * @param to the newer one
     * @param fromCell the result under {@code from}
     * @param toCell the result under {@code to}
     * @param differing the rules that differ ({@code +id} switched on in {@code to}, {@code -id} off)
     * @param deciding the smallest sets of rules that alone make the difference ({@code a + b}), with sources
     * @param tested how each differing rule was tested: {@code id: older+id gives X}
     */
    public record Flip(String from, String to, String fromCell, String toCell, List<String> differing,
            List<String> deciding, List<String> tested) {}

    /** Returns whether a limit stopped some policy's exploration (then the bisection is incomplete). */
    public boolean incomplete() {
        return results.stream().anyMatch(r -> r.cell().equals("INCOMPLETE"));
    }

    /** Renders the result as text. */
    public String text() {
        StringBuilder sb = new StringBuilder("bisect ").append(scenario).append(":\n");
        int i = 0;
        while (i < results.size()) {
            int j = i;
            while (j + 1 < results.size() && results.get(j + 1).cell().equals(results.get(i).cell())) {
                j++;
            }
            sb.append("  ").append(results.get(i).cell()).append(" in ").append(results.get(i).policy());
            if (j > i) {
                sb.append(" .. ").append(results.get(j).policy());
            }
            sb.append('\n');
            i = j + 1;
        }
        if (incomplete()) {
            sb.append("  INCOMPLETE: a limit stopped the exploration under some policy; no flip next to it is"
                    + " reported\n");
        } else if (flips.isEmpty()) {
            sb.append("  the result is the same under every policy\n");
        }
        for (Flip f : flips) {
            sb.append("\n  ").append(f.fromCell()).append(" up to ").append(f.from()).append("; ").append(f.toCell())
                    .append(" from ").append(f.to()).append('\n');
            sb.append("  rules that differ: ").append(String.join(", ", f.differing())).append('\n');
            for (String t : f.tested()) {
                sb.append("    ").append(t).append('\n');
            }
            if (f.deciding().isEmpty()) {
                sb.append("  deciding rules: no set of up to 3 rules decides alone\n");
            }
            for (String d : f.deciding()) {
                sb.append(d.contains(" + ") ? "  deciding rules, together: " : "  deciding rule: ").append(d)
                        .append('\n');
            }
        }
        return sb.toString();
    }
}
