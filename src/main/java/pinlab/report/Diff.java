package pinlab.report;

import java.util.ArrayList;
import java.util.List;

/**
 * Why a scenario fails under one policy and not under another: the failing policy's shortest run, replayed thread
 * for thread under the other policy, the first step where the two runs part, and the rules that differ there with
 * their sources. The value behind {@code pinlab diff} and the report's side-by-side view.
 *
 * @param scenario the scenario's name
 * @param a the first policy as named
 * @param cellA its matrix cell
 * @param b the second policy as named
 * @param cellB its matrix cell
 * @param kind what could be compared
 * @param quantifier the condition's quantifier ({@code exists}, {@code ~exists}, {@code forall})
 * @param statesA the states explored under {@code a}
 * @param statesB the states explored under {@code b}
 * @param from the policy whose run is compared (the failing one), or null unless {@code kind} is RUN
 * @param to the other policy, or null unless {@code kind} is RUN
 * @param toCell the matrix cell of {@code to}
 * @param there the compared run under {@code from}
 * @param here the same threads' steps replayed under {@code to}, as far as it lets them step
 * @param first the index of the first step where they part, or -1 when every step takes the same rules
 * @param parting the rules that differ at step {@code first}, with their sources
 */
public record Diff(String scenario, String a, String cellA, String b, String cellB, Kind kind, String quantifier,
        long statesA, long statesB, String from, String to, String toCell, Trace there, Trace here, int first,
        List<RuleNote> parting) {

    /** What a diff could compare. */
    public enum Kind {
        /** A limit stopped a search: nothing is compared. */
        INCOMPLETE,
        /** Neither policy has a run on the condition's failing side (nor one with a kernel event). */
        NO_RUN,
        /** A run of one policy replayed under the other. */
        RUN
    }

    /**
     * A rule that only one side's step took at the parting step.
     *
     * @param policy the policy whose step took it
     * @param id the rule's id
     * @param summary what it does, or null for an id pinlab does not know
     * @param source its source (commit, mail, file), or null for an id pinlab does not know
     */
    public record RuleNote(String policy, String id, String summary, String source) {}

    /** Returns what the condition's failing side is, in words ("expression fails" or "expression holds"). */
    private String side() {
        return quantifier.equals("forall") ? "expression fails" : "expression holds";
    }

    /** Returns the step of {@code here} at index {@code i}, or null when the replay stopped before it. */
    public Trace.Step hereStep(int i) {
        return i < here.steps().size() ? here.steps().get(i) : null;
    }

    /** Renders the diff as {@code pinlab diff} prints it. */
    public String text() {
        StringBuilder out = new StringBuilder();
        out.append("pinlab diff ").append(scenario).append(": ").append(a).append(' ').append(cellA).append(", ")
                .append(b).append(' ').append(cellB).append('\n');
        if (kind == Kind.INCOMPLETE) {
            return out.append("a limit stopped a search: no comparison\n").toString();
        }
        if (kind == Kind.NO_RUN) {
            // both sides' words are the first cell's, as pinlab diff has always printed them
            return out.append("neither policy has a run where the condition's ").append(side()).append(": both are ")
                    .append(cellA).append(" in every interleaving (").append(statesA).append(" and ").append(statesB)
                    .append(" states explored)\n").toString();
        }
        out.append("the run: ").append(from).append("'s shortest run where the condition's ").append(side())
                .append(", replayed thread for thread under ").append(to).append('\n').append('\n');
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"#", "thread", "operation", from + " rules", to + " rules", ""});
        for (int i = 0; i < there.steps().size(); i++) {
            Trace.Step s = there.steps().get(i);
            Trace.Step t = hereStep(i);
            rows.add(new String[] {Integer.toString(i + 1), there.threads().get(s.thread()), s.op(),
                String.join(" ", s.rules()), t == null ? "(cannot step here)" : String.join(" ", t.rules()),
                i == first ? "<== first difference" : ""});
        }
        TextReport.table(out, rows, "  ");
        out.append('\n');
        if (first < 0) {
            out.append("the run takes the same rules under both; they part only in what the final state means\n");
        } else {
            Trace.Step s = there.steps().get(first);
            Trace.Step t = hereStep(first);
            out.append("step ").append(first + 1).append(" (").append(there.threads().get(s.thread())).append(": ")
                    .append(s.op()).append(") parts them:\n");
            if (t == null) {
                out.append("  under ").append(to).append(" the thread cannot take this step (it waits, or the run"
                        + " went another way before)\n");
            }
            for (RuleNote r : parting) {
                out.append("  only under ").append(r.policy()).append(": ").append(r.id())
                        .append(r.summary() == null ? "" : " \u2014 " + r.summary()).append('\n');
                if (r.source() != null) {
                    out.append("      source: ").append(r.source()).append('\n');
                }
            }
            for (String n : s.notes()) {
                out.append("  ").append(from).append(": ").append(n).append('\n');
            }
            if (t != null) {
                for (String n : t.notes()) {
                    out.append("  ").append(to).append(": ").append(n).append('\n');
                }
            }
        }
        out.append('\n');
        out.append(from).append(" ends in ").append(there.outcome() == null ? "no final state" : there.outcome())
                .append("; ").append(to).append(stopped() ? " stops after step " + here.steps().size()
                        : " ends in " + (here.outcome() == null ? "no final state" : here.outcome()))
                .append(" (").append(toCell).append(" there in every run it explores)\n");
        return out.toString();
    }

    /** Returns whether the replay under {@code to} stopped before the run's last step. */
    public boolean stopped() {
        return here.steps().size() < there.steps().size();
    }
}
