package pinlab.report;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * herd7's own result block, one per result, so that mcompare7 and judgelitmus-style scripts read pinlab's logs:
 * {@code Test}, {@code States} with the final states, {@code Ok} or {@code No}, {@code Witnesses}, {@code Condition},
 * {@code Observation}, {@code Time} and {@code Hash=}.
 *
 * <p>As in herd7, the kind on the Test line follows the quantifier ({@code exists}: Allowed, {@code ~exists}:
 * Forbidden, {@code forall}: Required), the States are the distinct final states (pinlab's outcomes: the observed
 * values), Ok says the condition is validated (exists: some final state satisfies it; ~exists: none does; forall:
 * all do), and Positive and Negative count the final states that satisfy it and those that do not. A run that a
 * limit stopped, or a scenario that does not apply to the policy, has no herd block.
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
                sb.append(o.outcome().isEmpty() ? "" : o.outcome() + ";").append('\n');
            }
            boolean ok = switch (r.about().quantifier()) {
                case EXISTS -> r.positive() > 0;
                case NOT_EXISTS -> r.positive() == 0;
                case FORALL -> r.negative() == 0;
            };
            sb.append(ok ? "Ok" : "No").append('\n');
            sb.append("Witnesses\n");
            sb.append("Positive: ").append(r.positive()).append(" Negative: ").append(r.negative()).append('\n');
            // herd7's conditions have no label: the quantifier and the expression
            HtmlText.Cond c = HtmlText.condition(r.about().condition());
            sb.append("Condition ").append(c.quantifier().isEmpty() ? r.about().condition()
                    : c.quantifier() + " " + (c.expr().startsWith("(") ? c.expr() : "(" + c.expr() + ")")).append('\n');
            sb.append("Observation ").append(r.scenario()).append(' ').append(r.observationWord()).append(' ')
                    .append(r.positive()).append(' ').append(r.negative()).append('\n');
            sb.append(String.format(Locale.ROOT, "Time %s %.2f%n", r.scenario(), r.search().millis() / 1000.0));
            sb.append("Hash=").append(md5(texts.getOrDefault(r.scenario(), r.scenario()))).append("\n\n");
        }
        return sb.toString();
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
