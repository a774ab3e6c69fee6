package pinlab.report;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import pinlab.op.Kernel;
import pinlab.scenario.Condition.Quantifier;

/**
 * herd7's own result block, one per result, so that mcompare7 and judgelitmus-style scripts read pinlab's logs:
 * {@code Test}, {@code States} with the final states, {@code Ok} or {@code No}, {@code Witnesses}, {@code Condition},
 * {@code Observation}, {@code Time} and {@code Hash=}.
 *
 * <p>As in herd7, the kind on the Test line follows the quantifier ({@code exists}: Allowed, {@code ~exists}:
 * Forbidden, {@code forall}: Required), the States are the distinct final states (pinlab's outcomes: the observed
 * values, written as herd7 locations), Ok says the condition is validated (exists: some final state satisfies it;
 * ~exists: none does; forall: all do), Observation counts the final states where the expression holds and those
 * where it does not, and Witnesses the same against the condition, so for ~exists they are swapped
 * ({@code herd/top_herd.ml}, {@code check_cond} and {@code check_wit}). A run that a limit stopped, or a scenario
 * that does not apply to the policy, has no herd block. The shapes are checked against herdtools7 7.58's herd7 and
 * mcompare7 (README, herd7 logs; {@code HerdReportTest}).
 */
public final class HerdReport {
    private HerdReport() {}

    /** Renders the results; {@code texts} gives each scenario's text by name, for the Hash line. */
    public static String render(List<CheckResult> results, Map<String, String> texts) {
        StringBuilder sb = new StringBuilder();
        for (CheckResult r : results) {
            if (!r.complete() || r.notApplicable() != null) {
                continue;
            }
            String kind = switch (r.about().quantifier()) {
                case EXISTS -> "Allowed";
                case NOT_EXISTS -> "Forbidden";
                case FORALL -> "Required";
            };
            sb.append("Test ").append(r.scenario()).append(' ').append(kind).append('\n');
            sb.append("States ").append(r.outcomes().size()).append('\n');
            for (CheckResult.OutcomeRow o : r.outcomes()) {
                sb.append(state(o)).append('\n');
            }
            boolean ok = switch (r.about().quantifier()) {
                case EXISTS -> r.positive() > 0;
                case NOT_EXISTS -> r.positive() == 0;
                case FORALL -> r.negative() == 0;
            };
            sb.append(ok ? "Ok" : "No").append('\n');
            sb.append("Witnesses\n");
            // herd/top_herd.ml, check_wit: for ~exists the witnesses are counted against the condition, so the
            // final states where the expression holds are the negative ones; Observation keeps the expression's
            long pos = r.about().quantifier() == Quantifier.NOT_EXISTS ? r.negative() : r.positive();
            long neg = r.about().quantifier() == Quantifier.NOT_EXISTS ? r.positive() : r.negative();
            sb.append("Positive: ").append(pos).append(" Negative: ").append(neg).append('\n');
            // herd7's conditions have no label: the quantifier and the expression
            HtmlText.Cond c = HtmlText.condition(r.about().condition());
            String expr = condition(c.quantifier().isEmpty() ? r.about().condition() : c.expr());
            sb.append("Condition ").append(c.quantifier().isEmpty() ? expr
                    : c.quantifier() + " " + (expr.startsWith("(") ? expr : "(" + expr + ")")).append('\n');
            sb.append("Observation ").append(r.scenario()).append(' ').append(r.observationWord()).append(' ')
                    .append(r.positive()).append(' ').append(r.negative()).append('\n');
            sb.append(String.format(Locale.ROOT, "Time %s %.2f\n", r.scenario(), r.search().millis() / 1000.0));
            sb.append("Hash=").append(md5(texts.getOrDefault(r.scenario(), r.scenario()))).append("\n\n");
        }
        return sb.toString();
    }

    /**
     * Returns one final state as herd7 prints it ({@code herd/archExtra_herd.ml}, {@code do_dump_rstate}): each
     * binding as {@code loc=v;}, separated by one space. Locations are written by {@link #location}; a Boolean (an
     * {@code event()} or {@code same()} atom) is 1 or 0, a term without a value {@code none}, and what the kernel
     * reported one binding, {@code kernel=WARN.EIO}, or {@code kernel=none}.
     */
    static String state(CheckResult.OutcomeRow o) {
        StringBuilder sb = new StringBuilder();
        List<CheckResult.Value> values = new java.util.ArrayList<>(o.values());
        if (values.stream().noneMatch(v -> v.name().equals("kernel"))) {
            // every final state of a test binds the same locations, in every log: mcompare7 stops on
            // LogState.StateMismatch otherwise (tools/logState.ml, compare_env)
            values.add(new CheckResult.Value("kernel", List.of()));
        }
        for (CheckResult.Value v : values) {
            String value;
            if (v.value() instanceof List<?> labels && labels.isEmpty()) {
                value = "none";
            } else if (v.value() instanceof List<?> labels) {
                StringBuilder l = new StringBuilder();
                for (Object label : labels) {
                    l.append(l.length() == 0 ? "" : ".").append(word(label.toString()));
                }
                value = l.toString();
            } else if (v.value() instanceof Boolean b) {
                value = b ? "1" : "0";
            } else if (v.value() == null) {
                value = "none";
            } else {
                value = v.value().toString();
            }
            sb.append(sb.length() == 0 ? "" : " ").append(location(v.name())).append('=').append(value).append(';');
        }
        return sb.toString();
    }

    private static final Pattern SAME = Pattern.compile("same\\(\\s*([^,()]+?)\\s*,\\s*([^,()]+?)\\s*\\)");
    private static final Pattern EVENT = Pattern.compile("event\\(\\s*([^()]+?)\\s*\\)");
    private static final Pattern INDEX = Pattern.compile("\\[(\\d+)]$");
    private static final Pattern ERRNO = Pattern.compile("-E([A-Z]+)\\b");
    private static final Pattern SPACED = Pattern.compile("\\b(disk|file|cache) ([A-Za-z_][A-Za-z0-9_]*)\\[");
    private static final Pattern HOLDER = Pattern.compile("\\b([A-Za-z_][A-Za-z0-9_]*):([A-Za-z_])");

    /**
     * Returns pinlab's term as a location herd7's log lexer reads ({@code tools/lexLog_tools.mll}, rule
     * {@code pline}: a location is a name of letters, digits, {@code _} and {@code .}, optionally indexed
     * {@code [n]}; a colon only after a processor number, a space never): {@code T:r1} is {@code T.r1},
     * {@code P:buf[0]} is {@code P.buf[0]}, {@code disk F[0]} is {@code disk.F[0]}, {@code same(P:a[0],b[0])} is
     * {@code same_P.a.0_b.0} and {@code event(x)} is {@code event_x}.
     */
    static String location(String term) {
        Matcher same = SAME.matcher(term);
        if (same.matches()) {
            return "same_" + flat(location(same.group(1))) + "_" + flat(location(same.group(2)));
        }
        Matcher event = EVENT.matcher(term);
        if (event.matches()) {
            return "event_" + word(event.group(1));
        }
        Matcher index = INDEX.matcher(term);
        boolean indexed = index.find();
        String name = word((indexed ? term.substring(0, index.start()) : term).replace(' ', '.').replace(':', '.'));
        return indexed ? name + "[" + index.group(1) + "]" : name;
    }

    /**
     * Returns the condition's expression with pinlab's terms written as {@link #location} writes them and errno
     * names as numbers ({@code -EIO} is {@code -5}, as in the final states), so that herd7's condition parser
     * ({@code lib/stateParser.mly}, {@code skip_loc_constr}, which mcompare7 calls through
     * {@code tools/logConstr.ml}) reads it; a {@code same()} or {@code event()} atom is {@code (loc = 1)}.
     */
    static String condition(String expr) {
        StringBuilder sb = new StringBuilder();
        Matcher m = Pattern.compile(SAME.pattern() + "|" + EVENT.pattern()).matcher(expr);
        int at = 0;
        while (m.find()) {
            sb.append(terms(expr.substring(at, m.start()))).append('(').append(location(m.group())).append(" = 1)");
            at = m.end();
        }
        sb.append(terms(expr.substring(at)));
        return sb.toString();
    }

    private static String terms(String s) {
        String t = SPACED.matcher(s).replaceAll("$1.$2[");
        t = HOLDER.matcher(t).replaceAll("$1.$2");
        Matcher e = ERRNO.matcher(t);
        StringBuilder sb = new StringBuilder();
        while (e.find()) {
            int errno = Kernel.errnoByName("E" + e.group(1));
            e.appendReplacement(sb, Matcher.quoteReplacement(errno < 0 ? e.group() : "-" + errno));
        }
        e.appendTail(sb);
        return sb.toString();
    }

    /** A name's characters outside herd7's names ({@code [A-Za-z0-9_.]}) become {@code _}. */
    private static String word(String s) {
        String w = s.replaceAll("[^A-Za-z0-9_.]", "_");
        return w.isEmpty() || Character.isDigit(w.charAt(0)) ? "_" + w : w;
    }

    private static String flat(String loc) {
        return INDEX.matcher(loc).replaceAll(".$1");
    }

    /** herd7 prints the MD5 of the test; pinlab's is of the scenario text as read. */
    static String md5(String text) {
        try {
            byte[] d = MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8));
            StringBuilder h = new StringBuilder();
            for (byte b : d) {
                h.append(String.format(Locale.ROOT, "%02x", b & 0xFF));
            }
            return h.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has MD5", e);
        }
    }
}
