package pinlab.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Text report of a replay: model prediction against real observation per run, then a klitmus7-like line. */
public final class ReplayReport {
    private ReplayReport() {}

    /** Renders one replay result. */
    public static String render(ReplayResult r) {
        StringBuilder sb = new StringBuilder();
        sb.append("== replay ").append(r.scenario()).append(" on Linux ").append(r.kernel()).append(", model ")
                .append(r.policy()).append(" ==\n");
        if (r.skipped()) {
            sb.append("SKIPPED: not replayable on a real kernel:\n");
            for (String p : r.problems()) {
                sb.append("  - ").append(p).append('\n');
            }
            return sb.toString();
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"#", "model outcome", "real outcome (runs)", "pages", "verdict"});
        int k = 1;
        for (ReplayResult.Run run : r.runs()) {
            StringBuilder real = new StringBuilder();
            for (Map.Entry<String, Integer> e : run.realOutcomes().entrySet()) {
                real.append(real.length() == 0 ? "" : " | ").append(e.getKey()).append(" (").append(e.getValue())
                        .append(')');
            }
            rows.add(run.replayed() ? new String[] {Integer.toString(k++), run.modelOutcome(), real.toString(),
                run.modelPages().equals(run.realPages()) ? "same" : "DIFFER", run.agree() ? "agree" : "DISAGREE"}
                : new String[] {Integer.toString(k++), run.modelOutcome(), "-", "-", "SKIPPED"});
        }
        TextReport.table(sb, rows, "  ");
        k = 1;
        for (ReplayResult.Run run : r.runs()) {
            if (!run.replayed()) {
                sb.append("  run ").append(k).append(": SKIPPED, not realisable: ").append(run.notRealisable())
                        .append('\n');
            } else if (!run.agree()) {
                sb.append("\nRun ").append(k).append(" disagrees. Schedule:\n");
                TextReport.trace(sb, run.trace());
                sb.append("  pages (model):\n");
                run.modelPages().forEach((p, v) -> sb.append("    ").append(p).append(": ").append(v).append('\n'));
                sb.append("  pages (kernel):\n");
                run.realPages().forEach((p, v) -> sb.append("    ").append(p).append(": ").append(v).append('\n'));
            }
            for (String n : run.notes()) {
                sb.append("  run ").append(k).append(": ").append(n).append('\n');
            }
            k++;
        }
        for (String u : r.unreached()) {
            sb.append("  not replayable: the model also reaches ").append(u).append(", but only by separating steps")
                    .append(" the kernel performs as one, or by completing a disk write after the step that submits it\n");
        }
        String verdict = r.disagree() > 0 ? "Disagree" : r.agree() > 0 ? "Agree" : "Unrealised";
        sb.append("Replay ").append(r.scenario()).append(' ').append(verdict).append(" runs=")
                .append(r.agree() + r.disagree()).append(" agree=").append(r.agree()).append(" disagree=")
                .append(r.disagree());
        if (r.notRealisable() > 0) {
            sb.append(" skipped=").append(r.notRealisable());
        }
        sb.append('\n');
        return sb.toString();
    }
}
