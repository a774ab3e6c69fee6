package pinlab.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Text report of a replay: model prediction against real observation per run, then a klitmus7-like line; the
 * free runs' histogram ({@link #renderStress}) and a summary over scenarios ({@link #renderSummary}).
 *
 * <p>Terms and pages where the kernel and the model disagree are marked with {@code ^} under them, and wrapped
 * in {@link #HIGHLIGHT_ON}/{@link #HIGHLIGHT_OFF}, which {@link #plain} removes and a terminal writer turns into
 * bold ({@link #ansi}).
 */
public final class ReplayReport {
    private ReplayReport() {}

    /** Starts a highlighted span (a private-use character; never printed as such). */
    public static final char HIGHLIGHT_ON = '\uE000';
    /** Ends a highlighted span. */
    public static final char HIGHLIGHT_OFF = '\uE001';

    /** Returns {@code text} without highlight marks: what goes into files and pipes. */
    public static String plain(String text) {
        return text.replace(String.valueOf(HIGHLIGHT_ON), "").replace(String.valueOf(HIGHLIGHT_OFF), "");
    }

    /** Returns {@code text} with the highlight marks as ANSI bold on and off, for a terminal. */
    public static String ansi(String text) {
        return text.replace(String.valueOf(HIGHLIGHT_ON), "\u001b[1m")
                .replace(String.valueOf(HIGHLIGHT_OFF), "\u001b[22m");
    }

    /** Renders one replay result, without highlight marks. */
    public static String render(ReplayResult r) {
        return plain(renderMarked(r));
    }

    /** Renders one replay result with highlight marks around the terms and pages that disagree. */
    public static String renderMarked(ReplayResult r) {
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
                for (String real : run.realOutcomes().keySet()) {
                    if (!real.equals(run.modelOutcome())) {
                        outcomeDiff(sb, run.modelOutcome(), real);
                    }
                }
                sb.append("  pages (model):\n");
                pages(sb, run.modelPages(), run.realPages());
                sb.append("  pages (kernel):\n");
                pages(sb, run.realPages(), run.modelPages());
                List<String> differ = differingPages(run.modelPages(), run.realPages());
                if (!differ.isEmpty()) {
                    sb.append("  pages differ at: ").append(String.join(", ", differ)).append('\n');
                }
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

    /** The terms of an outcome key: "a=1; b=2; kernel: WARN" is [a=1, b=2, kernel: WARN]. */
    static List<String> terms(String outcome) {
        return outcome.isEmpty() ? List.of() : List.of(outcome.split("; ", -1));
    }

    private static String termName(String term) {
        int eq = term.indexOf('=');
        return eq < 0 ? term : term.substring(0, eq);
    }

    /**
     * The model's and the kernel's outcome, one above the other, with {@code ^} under each term that differs: a
     * term of the same name with another value, or a term only one side has (such as a kernel report).
     */
    static void outcomeDiff(StringBuilder sb, String model, String real) {
        List<String> m = terms(model);
        List<String> r = terms(real);
        diffLine(sb, "  model:  ", m, r);
        diffLine(sb, "  kernel: ", r, m);
    }

    private static void diffLine(StringBuilder sb, String head, List<String> mine, List<String> other) {
        Map<String, String> byName = new java.util.HashMap<>();
        for (String t : other) {
            byName.put(termName(t), t);
        }
        StringBuilder line = new StringBuilder(head);
        StringBuilder marks = new StringBuilder(" ".repeat(head.length()));
        boolean any = false;
        for (int i = 0; i < mine.size(); i++) {
            String t = mine.get(i);
            if (i > 0) {
                line.append("; ");
                marks.append("  ");
            }
            boolean differs = !t.equals(byName.get(termName(t)));
            any |= differs;
            line.append(differs ? HIGHLIGHT_ON + t + HIGHLIGHT_OFF : t);
            marks.append((differs ? "^" : " ").repeat(t.length()));
        }
        sb.append(line).append('\n');
        if (any) {
            sb.append(marks.toString().stripTrailing()).append('\n');
        }
    }

    /** Page lines, the ones {@code other} does not have alike highlighted and marked. */
    private static void pages(StringBuilder sb, Map<String, String> mine, Map<String, String> other) {
        mine.forEach((p, v) -> {
            boolean differs = !v.equals(other.get(p));
            sb.append("    ").append(differs ? HIGHLIGHT_ON + p + ": " + v + HIGHLIGHT_OFF + "  <- differs" : p + ": " + v)
                    .append('\n');
        });
    }

    /** The pages (mapped pages and holders' pages) whose identity differs, or that only one side has. */
    static List<String> differingPages(Map<String, String> model, Map<String, String> real) {
        java.util.Set<String> keys = new java.util.LinkedHashSet<>(model.keySet());
        keys.addAll(real.keySet());
        return keys.stream().filter(p -> !java.util.Objects.equals(model.get(p), real.get(p))).toList();
    }

    /**
     * Renders the free runs of one scenario like klitmus7: a histogram of the real outcomes (count, {@code *>}
     * if it satisfies the condition, {@code :>} if not, and whether the model reaches it), the Observation line
     * over the real runs, and whether every real outcome is one the model reaches.
     */
    public static String renderStress(ReplayStress s) {
        return plain(renderStressMarked(s));
    }

    /** {@link #renderStress} with highlight marks on the outcomes the model does not reach. */
    public static String renderStressMarked(ReplayStress s) {
        StringBuilder sb = new StringBuilder();
        sb.append("== free runs of ").append(s.scenario()).append(", model ").append(s.policy()).append(" ==\n");
        if (!s.ran()) {
            sb.append("SKIPPED: no free runs:\n");
            for (String p : s.unavailable()) {
                sb.append("  - ").append(p).append('\n');
            }
            return sb.toString();
        }
        sb.append("  ").append(s.runs()).append(" runs without barriers between steps, ")
                .append(s.spread() ? "on every CPU" : "on one CPU").append("; the counts are nondeterministic")
                .append(" and differ from run to run\n");
        sb.append("Histogram (").append(s.histogram().size()).append(s.histogram().size() == 1 ? " state)\n"
                : " states)\n");
        int width = Integer.toString(s.runs()).length();
        for (Map.Entry<String, Integer> e : s.histogram().entrySet()) {
            boolean known = s.predicted().containsKey(e.getKey());
            String count = Integer.toString(e.getValue());
            sb.append(" ".repeat(width - count.length())).append(count).append(' ')
                    .append(s.satisfied().get(e.getKey()) ? "*>" : ":>").append(e.getKey())
                    .append(known ? "    (model: reachable)" : HIGHLIGHT_ON + "    (model: UNREACHABLE)" + HIGHLIGHT_OFF)
                    .append('\n');
        }
        for (String n : s.notes()) {
            sb.append("  note: ").append(n).append('\n');
        }
        sb.append("Positive: ").append(s.positive()).append(", Negative: ").append(s.runs() - s.positive())
                .append('\n');
        List<String> missing = s.predicted().keySet().stream().filter(k -> !s.histogram().containsKey(k)).toList();
        sb.append("Observation ").append(s.scenario()).append(' ').append(s.observation()).append(' ')
                .append(s.positive()).append(' ').append(s.runs() - s.positive()).append('\n');
        List<String> bad = s.unpredicted();
        if (bad.isEmpty()) {
            sb.append("Model ").append(s.policy()).append(": every real outcome is reachable (").append(missing.size())
                    .append(" of its ").append(s.predicted().size()).append(" outcomes not seen in these runs)\n");
        } else {
            sb.append(HIGHLIGHT_ON).append(s.hostModel() ? "MODEL BUG: " : "NOT IN THE MODEL: ").append(bad.size())
                    .append(" real outcome").append(bad.size() == 1 ? "" : "s").append(" that the ").append(s.policy())
                    .append(" model says cannot happen").append(s.hostModel() ? ":" : " (this kernel is not "
                            + s.policy() + ": the two kernels differ, which is no model bug by itself):")
                    .append(HIGHLIGHT_OFF).append('\n');
            for (String b : bad) {
                sb.append("  ").append(b).append('\n');
            }
        }
        return sb.toString();
    }

    /** One scenario's line in the summary: its verdict and counts, or why it did not run. */
    public record SummaryLine(String scenario, String verdict, String detail) {}

    /** Returns a scenario's summary line from its replay, and its free runs if any (null otherwise). */
    public static SummaryLine summaryLine(ReplayResult r, ReplayStress s) {
        String verdict = r.skipped() ? "SKIPPED" : r.disagree() > 0 ? "DISAGREE" : r.agree() > 0 ? "agree"
                : "unrealised";
        StringBuilder d = new StringBuilder();
        if (!r.skipped()) {
            d.append("runs=").append(r.agree() + r.disagree()).append(" agree=").append(r.agree()).append(" disagree=")
                    .append(r.disagree());
            if (r.notRealisable() > 0) {
                d.append(" skipped=").append(r.notRealisable());
            }
        }
        if (s != null && s.ran()) {
            d.append(d.length() > 0 ? "; " : "").append("free runs=").append(s.runs()).append(' ').append(s.observation());
            if (!s.unpredicted().isEmpty()) {
                d.append(s.hostModel() ? " MODEL BUG (" : " not in the model (").append(s.unpredicted().size())
                        .append(" unreachable)");
                if (!verdict.equals("DISAGREE")) {
                    verdict = s.hostModel() ? "MODEL BUG" : "DISAGREE";
                }
            }
        } else if (s != null) {
            d.append(d.length() > 0 ? "; " : "").append("no free runs");
        }
        return new SummaryLine(r.scenario(), verdict, d.toString());
    }

    /** Renders the summary over several scenarios: counts, then one line per scenario. */
    public static String renderSummary(List<SummaryLine> lines, List<String> failed) {
        int agree = 0;
        int disagree = 0;
        int skipped = 0;
        int bug = 0;
        for (SummaryLine l : lines) {
            switch (l.verdict()) {
                case "agree" -> agree++;
                case "DISAGREE" -> disagree++;
                case "MODEL BUG" -> bug++;
                default -> skipped++;
            }
        }
        StringBuilder sb = new StringBuilder("== replay summary: ").append(lines.size() + failed.size())
                .append(" scenarios: ").append(agree).append(" agree, ").append(disagree).append(" disagree, ");
        if (bug > 0) {
            sb.append(bug).append(" model bug, ");
        }
        sb.append(skipped).append(" unavailable");
        if (!failed.isEmpty()) {
            sb.append(", ").append(failed.size()).append(" failed");
        }
        sb.append(" ==\n");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"scenario", "result", "detail"});
        for (SummaryLine l : lines) {
            rows.add(new String[] {l.scenario(), l.verdict(), l.detail()});
        }
        for (String f : failed) {
            rows.add(new String[] {f, "FAILED", "the agent or the harness failed (see stderr)"});
        }
        TextReport.table(sb, rows, "  ");
        return sb.toString();
    }
}
