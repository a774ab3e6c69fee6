package pinlab.report;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Escaping, ids and the small classifications the HTML report shares between its parts. */
final class HtmlText {
    private HtmlText() {}

    private static final Pattern CONDITION =
            Pattern.compile("^\\s*(~\\s*exists|exists|forall)\\s*(?:\"([^\"]*)\")?\\s*(.*)$", Pattern.DOTALL);

    /** Escapes text for element content and quoted attribute values. */
    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** The kernel's web git, where a commit id links to. */
    static final String GIT = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/commit/?id=";
    /** The mailing-list archive, where a Message-ID links to. */
    static final String LORE = "https://lore.kernel.org/r/";

    /**
     * A commit id as sources write it: 12 to 40 lower-case hex digits with at least one letter and one digit, not
     * part of a longer word or a file name ({@code 004_54d2b0137cb5c99f.txt} is a seed file, not a commit).
     */
    private static final Pattern COMMIT = Pattern.compile(
            "(?<![0-9A-Za-z_./@-])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{12,40}(?![0-9A-Za-z_@-]|\\.[0-9A-Za-z])");
    /**
     * A Message-ID: {@code local@domain} whose local part has a digit and a dot or dollar sign, as mailers make
     * them ({@code 20180103100430.GE4911@quack2.suse.cz}), so that a person's address is not taken for one.
     */
    private static final Pattern MESSAGE_ID = Pattern.compile(
            "(?<![0-9A-Za-z_.%+=$-])(?=[^@\\s]*[0-9])(?=[^@\\s]*[.$])[0-9A-Za-z_.%+=$-]+@[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)+");

    /**
     * Escapes {@code s} like {@link #esc} and links each commit id to the kernel's web git and each Message-ID to
     * lore, as plain links (nothing is loaded from them).
     */
    static String linked(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length() + 16);
        Matcher c = COMMIT.matcher(s);
        Matcher m = MESSAGE_ID.matcher(s);
        int at = 0;
        while (true) {
            boolean hc = c.find(at);
            int cs = hc ? c.start() : Integer.MAX_VALUE;
            boolean hm = m.find(at);
            int ms = hm ? m.start() : Integer.MAX_VALUE;
            if (!hc && !hm) {
                break;
            }
            Matcher w = ms <= cs ? m : c;
            String url = (w == m ? LORE : GIT) + w.group();
            sb.append(esc(s.substring(at, w.start()))).append("<a class=\"ext\" href=\"").append(esc(url))
                    .append("\">").append(esc(w.group())).append("</a>");
            at = w.end();
        }
        return sb.append(esc(s.substring(at))).toString();
    }

    /** Returns {@code s} with every character outside {@code [A-Za-z0-9._-]} replaced by {@code _}. */
    static String slug(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
                    || c == '-' || c == '_';
            sb.append(ok ? c : '_');
        }
        return sb.length() == 0 ? "_" : sb.toString();
    }

    /** Returns the fragment id of a cell, {@code cell-SCENARIO-POLICY}. */
    static String cellId(String scenario, String policy) {
        return "cell-" + slug(scenario) + "-" + slug(policy);
    }

    /** Hands out unique ids: the wanted one, or it with a numeric suffix if already taken. */
    static final class Ids {
        private final Set<String> used = new HashSet<>();

        String unique(String wanted) {
            String id = wanted;
            for (int n = 2; !used.add(id); n++) {
                id = wanted + "_" + n;
            }
            return id;
        }
    }

    /** The CSS class of a cell's colour, mirroring {@link CheckResult#cell()}. */
    static String kind(CheckResult c) {
        if (c.notApplicable() != null) {
            return "k-na";
        }
        if (!c.complete()) {
            return "k-inc";
        }
        if (!c.violations().isEmpty()) {
            return "k-vio";
        }
        if (c.search().finalStates() > 0 && c.search().refusedFinals() == c.search().finalStates()) {
            return "k-ref";
        }
        if (!c.kernelEvents().isEmpty() && !(c.about().failure() != null && c.failing())) {
            return "k-fail";
        }
        if (c.about().failure() == null) {
            return "k-obs";
        }
        if (!c.failing()) {
            return "k-safe";
        }
        return c.alwaysFailing() ? "k-fail k-always" : "k-fail";
    }

    /** Whether an outcome is on the condition's failing side. */
    static boolean failingSide(CheckResult c, CheckResult.OutcomeRow o) {
        return c.about().quantifier() == pinlab.scenario.Condition.Quantifier.FORALL ? !o.satisfies() : o.satisfies();
    }

    /**
     * The jcstress-style grade of an outcome: ACCEPTABLE, FORBIDDEN (failure) or INTERESTING; REFUSED when the
     * kernel refused the operation in every run (the cell's own word: no failure was reached).
     */
    static String grade(CheckResult c, CheckResult.OutcomeRow o) {
        if (c.headline().kind() == Cell.Kind.REFUSED) {
            return "REFUSED";
        }
        if (!failingSide(c, o)) {
            return "ACCEPTABLE";
        }
        return c.about().failure() == null ? "INTERESTING" : "FORBIDDEN (" + c.about().failure() + ")";
    }

    /** A condition split into quantifier, label (or empty) and expression. */
    record Cond(String quantifier, String label, String expr) {}

    /** Splits a condition as written, e.g. {@code exists "the parent lost it" (P:buf[0] = 0)}. */
    static Cond condition(String text) {
        Matcher m = CONDITION.matcher(text == null ? "" : text);
        if (!m.matches()) {
            return new Cond("", "", text == null ? "" : text.strip());
        }
        return new Cond(m.group(1).replace(" ", ""), m.group(2) == null ? "" : m.group(2), m.group(3).strip());
    }

    /** Describes what an outcome means for the condition: whether its expression holds, in words. */
    static String describe(CheckResult c, CheckResult.OutcomeRow o) {
        Cond k = condition(c.about().condition());
        String expr = k.expr().isEmpty() ? "the condition" : k.expr();
        StringBuilder sb = new StringBuilder(expr).append(o.satisfies() ? " holds" : " does not hold");
        if (!k.label().isEmpty()) {
            if (o.satisfies()) {
                sb.append(": ").append(k.label());
            } else if (c.about().quantifier() == pinlab.scenario.Condition.Quantifier.FORALL) {
                sb.append(" (wanted: ").append(k.label()).append(')');
            }
        }
        return sb.toString();
    }

    /** Formats with the root locale. */
    static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
