package pinlab.report;

import static pinlab.report.HtmlText.esc;

import java.util.List;
import java.util.Map;

/** The details of one matrix cell: header, verdict, outcome table, source, and each trace with its pictures. */
final class HtmlDetail {
    private HtmlDetail() {}

    /** The cell being rendered (the report is rendered on one thread). */
    private static String cell;

    /** What the report needs to know about the neighbours of a cell, for links between them. */
    record Context(List<String> policies, List<String> rowIds, Map<String, Matrix.RuleInfo> rules, Traces traces,
            Comparisons cmp, String cmpId) {
        /** A context without trace sharing (each trace written out in full) and without comparisons. */
        Context(List<String> policies, List<String> rowIds, Map<String, Matrix.RuleInfo> rules) {
            this(policies, rowIds, rules, null, Comparisons.NONE, null);
        }
    }

    /**
     * The traces already written in the report, so that a trace identical to an earlier one (the same run under
     * another policy, most often) is written once: later cells get a reference that the script replaces with a
     * copy when the cell opens, and that links to the first one without script.
     */
    static final class Traces {
        private final Map<String, String> ids = new java.util.HashMap<>();
        private final Map<String, String> owners = new java.util.HashMap<>();
        private final Map<String, Integer> rows = new java.util.HashMap<>();
        private int row;

        /** Sets the matrix row (in the report's order) whose cells are rendered next. */
        void row(int r) {
            row = r;
        }

        /** Returns the id of an identical trace already written, or null after registering this one. */
        String seen(String html, String cell) {
            String id = ids.get(html);
            if (id == null) {
                ids.put(html, "tr" + ids.size());
                owners.put("tr" + (ids.size() - 1), cell);
                rows.put("tr" + (ids.size() - 1), row);
            }
            return id;
        }

        String id(String html) {
            return ids.get(html);
        }

        String owner(String id) {
            return owners.get(id);
        }

        /** Returns the row whose details hold the block {@code id} (the script unpacks it before copying). */
        int rowOf(String id) {
            return rows.get(id);
        }
    }

    /** Appends the details section of the cell in column {@code col} of {@code row}. */
    static void render(StringBuilder sb, Matrix.Row row, int col, Context ctx) {
        CheckResult c = row.cells().get(col);
        String id = ctx.rowIds().get(col);
        cell = id;
        int expectLine = c.expected() == null ? -1 : c.expected().line();
        sb.append("<section class=\"detail\" id=\"").append(esc(id)).append("\" data-scenario=\"")
                .append(esc(row.scenario())).append("\" data-policy=\"").append(esc(c.policy()))
                .append(expectLine > 0 ? "\" data-expline=\"" + expectLine : "")
                .append("\" aria-label=\"").append(esc(row.scenario() + " under " + c.policy())).append("\">\n");
        header(sb, row, c, ctx);
        if (CheckResult.NOT_ASKED.equals(c.notApplicable())) {
            sb.append("<p class=\"notrace\">Not checked: the scenario's expect lines do not name ")
                    .append(esc(c.policy())).append(". Check it with <code>pinlab check ").append(esc(row.file()))
                    .append(" --policy ").append(esc(c.policy())).append("</code>.</p>\n</section>\n");
            return;
        }
        sb.append("<div class=\"dgrid\">\n<div class=\"dleft\">\n");
        facts(sb, c);
        outcomes(sb, c, ctx);
        violations(sb, c);
        sb.append("</div>\n<div class=\"dright\">\n");
        source(sb, row, c, ctx);
        sb.append("</div>\n</div>\n");
        if (c.witness() != null) {
            HtmlText.Cond k = HtmlText.condition(c.about().condition());
            String side = c.about().quantifier() == pinlab.scenario.Condition.Quantifier.FORALL ? "fails" : "holds";
            String what = "Witness: the shortest run where " + (k.expr().isEmpty() ? "the condition" : k.expr()) + " "
                    + side;
            String why = k.label().isEmpty() ? "" : (side.equals("fails") ? "wanted: " : "") + k.label();
            trace(sb, c.witness(), what, why, c.failing() && c.about().failure() != null ? "t-bad" : "", k.expr(), ctx);
        } else if (c.complete()) {
            sb.append("<p class=\"notrace\">No witness trace: no final state is on the condition's ")
                    .append(c.about().quantifier() == pinlab.scenario.Condition.Quantifier.FORALL ? "failing" : "satisfying").append(" side.</p>\n");
        }
        if (safeRow(row) && HtmlText.kind(c).equals("k-safe")) {
            established(sb, c, ctx);
        }
        if (ctx.cmpId() != null && c.notApplicable() == null && c.complete()) {
            boolean safe = !HtmlText.kind(c).startsWith("k-fail") && !HtmlText.kind(c).equals("k-vio");
            boolean failingPeer = row.cells().stream().anyMatch(o -> o.notApplicable() == null && o.complete()
                    && HtmlText.kind(o).startsWith("k-fail"));
            sb.append("<section class=\"cmp\" data-cmp=\"").append(ctx.cmpId()).append("\" data-col=\"").append(col)
                    .append("\"><h3>").append(safe && failingPeer ? "Why it is " + esc(c.cell()) + " here"
                            : "Compare with another policy").append("</h3></section>\n");
        }
        for (CheckResult.ViolationRow v : c.violations()) {
            trace(sb, v.trace(), "Trace to violation " + v.kind() + (v.expected() ? " (expected)" : " (UNEXPECTED)"),
                    v.description(), "t-vio", "", ctx);
        }
        for (CheckResult.OutcomeRow o : c.outcomes()) {
            if (o.trace() != null) {
                trace(sb, o.trace(), "Trace to outcome " + o.outcome(), HtmlText.grade(c, o), "",
                        HtmlText.condition(c.about().condition()).expr(), ctx);
            }
        }
        sb.append("</section>\n");
    }

    /** Returns whether every checked cell of the row is SAFE (cells not applicable or not asked aside). */
    static boolean safeRow(Matrix.Row row) {
        List<CheckResult> checked = row.cells().stream().filter(o -> o.notApplicable() == null).toList();
        return !checked.isEmpty() && checked.stream().allMatch(o -> HtmlText.kind(o).equals("k-safe"));
    }

    /**
     * Says what a complete search of a scenario safe under every policy established: how many states, that every
     * actor could step at any point, the final states, and the invariants no state broke.
     */
    private static void established(StringBuilder sb, CheckResult c, Context ctx) {
        HtmlText.Cond k = HtmlText.condition(c.about().condition());
        boolean forall = c.about().quantifier() == pinlab.scenario.Condition.Quantifier.FORALL;
        sb.append("<section class=\"established\"><h3>What the checker established</h3><ul>\n<li>")
                .append(HtmlText.fmt("It explored all %,d states (%,d transitions) reachable under ", c.search().states(),
                        c.search().transitions())).append("<code>").append(esc(c.policy())).append("</code>");
        if (!ctx.cmp().actors().isEmpty()) {
            sb.append(": every interleaving of ").append(esc(String.join(", ", ctx.cmp().actors())))
                    .append(", each free to step at any point");
        }
        sb.append(ctx.cmp().reduced() ? " (the partial-order reduction may skip orders of independent steps; it keeps"
                + " every final state, outcome and violation)" : "").append(". No limit stopped it.</li>\n<li>")
                .append(HtmlText.fmt(c.search().finalStates() == 1 ? "%,d final state" : "%,d final states",
                        c.search().finalStates())).append(", in ").append(c.outcomes().size())
                .append(c.outcomes().size() == 1 ? " outcome: " : " outcomes: ");
        for (int i = 0; i < c.outcomes().size(); i++) {
            CheckResult.OutcomeRow o = c.outcomes().get(i);
            sb.append(i == 0 ? "" : ", ").append("<code>").append(esc(o.outcome())).append("</code> (")
                    .append(o.count()).append(')');
        }
        sb.append(". In none of them does ").append(esc(k.expr().isEmpty() ? "the condition" : k.expr()))
                .append(forall ? " fail" : " hold");
        if (!k.label().isEmpty()) {
            sb.append(" (").append(forall ? "wanted: " : "").append(esc(k.label()))
                    .append(')');
        }
        sb.append(".</li>\n<li>No run broke what the search checks: the invariants, in every state; stall and"
                + " deadlock, where nothing can step:");
        StringBuilder inv = new StringBuilder("<ul class=\"invs\">");
        for (String kind : c.search().checked()) {
            pinlab.model.Event e = pinlab.model.Event.byId(kind);
            inv.append("<li><code>").append(esc(kind)).append("</code> ").append(esc(e != null ? e.description()
                    : kind.equals("stall") ? "no run ends with something waiting in the kernel for ever"
                    : kind.equals("deadlock") ? "no run ends with the scenario's own threads waiting on each other"
                    : "")).append("</li>");
        }
        inv.append("</ul>\n");
        shared(sb, inv.toString(), "<ul class=\"invs\"", "", ctx);
        sb.append("</li>\n</ul></section>\n");
    }

    private static void header(StringBuilder sb, Matrix.Row row, CheckResult c, Context ctx) {
        sb.append("<header class=\"dh\">\n<div class=\"dh-top\"><span class=\"badge ").append(HtmlText.kind(c))
                .append("\">").append(esc(Matrix.cellText(c))).append("</span><h2>").append(esc(row.scenario()))
                .append(" <span class=\"under\">under</span> ").append(esc(c.policy())).append("</h2>")
                .append("<span class=\"verdict v-").append(esc(c.verdict().word().toLowerCase(java.util.Locale.ROOT)))
                .append("\" title=\"verdict\">").append(esc(c.verdict().word())).append("</span>")
                .append("<a class=\"close\" href=\"#\" title=\"close (Esc)\">\u00d7</a></div>\n");
        if (!row.title().isEmpty()) {
            sb.append("<p class=\"dtitle\">").append(esc(row.title())).append("</p>\n");
        }
        // The same links in every cell of the row (the script marks the open one): written once per row.
        StringBuilder nav = new StringBuilder("<nav class=\"peers\" aria-label=\"same scenario under other"
                + " policies\"><span class=\"muted\">same scenario under:</span>");
        for (int i = 0; i < row.cells().size(); i++) {
            CheckResult o = row.cells().get(i);
            if (CheckResult.NOT_ASKED.equals(o.notApplicable())) {
                continue;
            }
            nav.append("<a class=\"peer ").append(HtmlText.kind(o))
                    .append(Boolean.FALSE.equals(o.matches()) ? " mismatch" : "").append("\" href=\"#")
                    .append(esc(ctx.rowIds().get(i))).append("\" title=\"").append(esc(Matrix.cellText(o)))
                    .append("\">").append(esc(ctx.policies().get(i))).append("</a>");
        }
        nav.append("</nav>\n");
        shared(sb, nav.toString(), "<nav class=\"peers\"", "", ctx);
        sb.append("</header>\n");
    }

    private static void facts(StringBuilder sb, CheckResult c) {
        sb.append("<dl class=\"facts\">\n");
        dt(sb, "condition");
        sb.append("<dd><code>").append(esc(c.about().condition())).append("</code></dd>\n");
        dt(sb, "observation");
        sb.append("<dd><code class=\"obsline\">Observation ").append(esc(c.scenario())).append(' ')
                .append(esc(c.observationWord())).append(' ').append(c.positive()).append(' ').append(c.negative())
                .append("</code> <span class=\"muted\">(holds in ").append(c.positive()).append(", fails in ")
                .append(c.negative()).append(")</span></dd>\n");
        dt(sb, "expected");
        sb.append("<dd>");
        if (c.expected() != null) {
            sb.append("<b>").append(esc(c.expected().observation().word())).append("</b>");
            if (!c.expected().violations().isEmpty()) {
                sb.append(" with ").append(esc(String.join(", ", c.expected().violations())));
            }
            sb.append(" <span class=\"muted\">(expect line ").append(c.expected().line()).append(")</span>")
                    .append(" \u00b7 actual <b>").append(esc(c.observationWord())).append("</b>");
            if (!c.violations().isEmpty()) {
                sb.append(" with ").append(esc(String.join(", ",
                        c.violations().stream().map(CheckResult.ViolationRow::kind).toList())));
            }
            sb.append(c.matches() == null ? " \u2192 <span class=\"muted\">not judged: the run is incomplete</span>"
                    : c.matches() ? " \u2192 <span class=\"ok\">matches</span>"
                    : " \u2192 <span class=\"bad\">DOES NOT MATCH</span>");
        } else {
            sb.append("<span class=\"muted\">no expect line for ").append(esc(c.policy()))
                    .append("</span> \u00b7 actual <b>").append(esc(c.observationWord())).append("</b>");
        }
        sb.append(" \u00b7 verdict <span class=\"verdict v-")
                .append(esc(c.verdict().word().toLowerCase(java.util.Locale.ROOT))).append("\">").append(esc(c.verdict().word()))
                .append("</span></dd>\n");
        if (!c.complete()) {
            dt(sb, "INCOMPLETE");
            sb.append("<dd class=\"bad\">").append(esc(c.search().stopReason()))
                    .append(". The state space was not fully explored; nothing here is a proof of safety.</dd>\n");
        }
        if (c.search().refusedFinals() > 0) {
            dt(sb, "refused");
            sb.append("<dd>in ").append(c.search().refusedFinals()).append(" of ").append(c.search().finalStates())
                    .append(" final states the kernel refused a GUP (an errno)</dd>\n");
        }
        dt(sb, "search");
        sb.append("<dd>").append(HtmlText.fmt("%,d states \u00b7 %,d transitions \u00b7 %,d final states \u00b7 depth %d"
                + " \u00b7 %d ms \u00b7 <span title=\"estimated probability that a fingerprint collision hid a state\">"
                + "p(collision) %.1e</span>", c.search().states(), c.search().transitions(), c.search().finalStates(), c.search().depth(), c.search().millis(),
                c.search().collisionProbability())).append("</dd>\n");
        sb.append("</dl>\n");
    }

    private static void dt(StringBuilder sb, String s) {
        sb.append("<dt>").append(esc(s)).append("</dt>");
    }

    private static void outcomes(StringBuilder out, CheckResult c, Context ctx) {
        StringBuilder sb = new StringBuilder();
        sb.append("<table class=\"outcomes\">\n<thead><tr><th>outcome</th><th class=\"num\">final states</th>"
                + "<th>grade</th><th>description</th></tr></thead>\n<tbody>\n");
        if (c.outcomes().isEmpty()) {
            sb.append("<tr><td colspan=\"4\" class=\"muted\">no final state</td></tr>\n");
        }
        for (CheckResult.OutcomeRow o : c.outcomes()) {
            String grade = HtmlText.grade(c, o);
            String g = grade.startsWith("FORBIDDEN") ? "g-forbidden" : grade.equals("INTERESTING") ? "g-interesting"
                    : "g-acceptable";
            sb.append("<tr class=\"").append(g).append("\"><td><code>").append(esc(o.outcome()))
                    .append("</code></td><td class=\"num\">").append(o.count()).append("</td><td class=\"grade\">")
                    .append(esc(grade)).append("</td><td>").append(esc(HtmlText.describe(c, o))).append("</td></tr>\n");
        }
        sb.append("</tbody>\n</table>\n");
        // the same table under many policies is kept once (copied in when the cell opens)
        shared(out, sb.toString(), "<table class=\"outcomes\"", "<h3>outcomes</h3>", ctx);
    }

    private static void violations(StringBuilder sb, CheckResult c) {
        if (c.violations().isEmpty()) {
            return;
        }
        sb.append("<table class=\"viols\">\n<thead><tr><th>violation</th><th>expected</th><th>description</th>"
                + "</tr></thead>\n<tbody>\n");
        for (CheckResult.ViolationRow v : c.violations()) {
            sb.append("<tr><td><b>").append(esc(v.kind().toUpperCase(java.util.Locale.ROOT))).append("</b></td><td>")
                    .append(v.expected() ? "expected" : "<span class=\"bad\">UNEXPECTED</span>").append("</td><td>")
                    .append(esc(v.description())).append("</td></tr>\n");
        }
        sb.append("</tbody>\n</table>\n");
    }

    private static void source(StringBuilder sb, Matrix.Row row, CheckResult c, Context ctx) {
        StringBuilder meta = new StringBuilder("<dl class=\"meta\">\n");
        dt(meta, "topic");
        meta.append("<dd>").append(esc(row.topic().isEmpty() ? "(none)" : row.topic())).append("</dd>\n");
        dt(meta, "file");
        meta.append("<dd><code>").append(esc(row.file())).append("</code></dd>\n");
        for (String s : c.about().sources()) {
            dt(meta, "source");
            meta.append("<dd>").append(HtmlText.linked(s)).append("</dd>\n");
        }
        meta.append("</dl>\n");
        shared(sb, meta.toString(), "<dl class=\"meta\"", "", ctx);
        StringBuilder pre = new StringBuilder("<pre class=\"src\" aria-label=\"scenario source\">");
        String text = row.source();
        int n = 1;
        int start = 0;
        while (start <= text.length()) {
            int nl = text.indexOf('\n', start);
            int end = nl < 0 ? text.length() : nl;
            if (nl < 0 && start == text.length()) {
                break;
            }
            pre.append("<span class=\"sl\" data-l=\"").append(n).append("\">")
                    .append(HtmlText.linked(text.substring(start, end)))
                    .append("</span>");
            if (nl < 0) {
                break;
            }
            pre.append('\n');
            start = nl + 1;
            n++;
        }
        pre.append("</pre>\n");
        shared(sb, pre.toString(), "<pre class=\"src\"", "<h3>scenario source</h3>", ctx);
    }

    /** Returns a thread column's name without its process: {@code T1 (P)} gives {@code T1}. */
    static String threadName(String column) {
        int i = column.indexOf(" (");
        return i < 0 ? column : column.substring(0, i);
    }

    private static String threadOwner(String column) {
        int i = column.indexOf(" (");
        return i < 0 || !column.endsWith(")") ? "" : column.substring(i + 2, column.length() - 1);
    }

    private static void trace(StringBuilder out, Trace t, String what, String why, String cls, String expr,
            Context ctx) {
        if (t == null) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        writeTrace(sb, t, what, why, cls, expr, ctx);
        shared(out, sb.toString(), "<section class=\"trace ", "<h3>" + esc(what) + "</h3>", ctx);
    }

    /**
     * Appends {@code html}, whose opening tag starts with {@code open}, or, if the report already has an identical
     * block, a reference to it that the script replaces with a copy when the cell opens (and that links to the
     * first one without script).
     */
    private static void shared(StringBuilder out, String html, String open, String title, Context ctx) {
        if (ctx.traces() == null) {
            out.append(html);
            return;
        }
        String same = ctx.traces().seen(html, cell);
        if (same == null) {
            out.append(open.replaceFirst("^<([a-z]+) ", "<$1 data-tid=\"" + ctx.traces().id(html) + "\" "))
                    .append(html.substring(open.length()));
            return;
        }
        String owner = ctx.traces().owner(same);
        out.append("<div class=\"tref\" data-ref=\"").append(same).append("\" data-row=\"")
                .append(ctx.traces().rowOf(same)).append("\">").append(title)
                .append("<p class=\"muted\">As in <a href=\"#").append(esc(owner)).append("\">")
                .append(esc(owner.replaceFirst("^cell-", ""))).append("</a>.</p></div>\n");
    }

    private static void writeTrace(StringBuilder sb, Trace t, String what, String why, String cls, String expr,
            Context ctx) {
        List<Integer> cols = t.columns();
        int n = cols.size();
        sb.append("<section class=\"trace ").append(cls).append("\" data-steps=\"").append(t.steps().size())
                .append("\">\n<h3>").append(esc(what));
        if (!why.isEmpty()) {
            sb.append(" \u2014 <span class=\"why\">").append(esc(why)).append("</span>");
        }
        sb.append(" <span class=\"muted\">(").append(t.steps().size()).append(t.steps().size() == 1 ? " step" : " steps")
                .append(")</span></h3>\n");
        sb.append("<div class=\"lanes-wrap\"><table class=\"lanes\">\n<thead><tr><th class=\"n\">#</th>");
        for (int i = 0; i < n; i++) {
            String col = t.threads().get(cols.get(i));
            String owner = threadOwner(col);
            sb.append("<th class=\"lane-h t").append(i % 8).append(owner.equals("device") ? " dev" : "")
                    .append("\">").append(esc(threadName(col))).append(" <small>").append(esc(owner))
                    .append("</small></th>");
        }
        sb.append("<th>rules</th><th>what happened</th></tr></thead>\n<tbody>\n");
        sb.append("<tr class=\"st setup\" data-step=\"0\"><td class=\"n\">0</td><td class=\"lane-span\" colspan=\"")
                .append(n).append("\">after setup</td><td></td><td class=\"what\">");
        diff(sb, t.initial(), "state after setup");
        sb.append("</td></tr>\n");
        int k = 1;
        for (Trace.Step s : t.steps()) {
            sb.append("<tr class=\"st\" data-step=\"").append(k).append("\" data-line=\"").append(s.line())
                    .append("\"><td class=\"n\">").append(k).append("</td>");
            for (int i = 0; i < n; i++) {
                if (cols.get(i) == s.thread()) {
                    sb.append("<td class=\"lane on t").append(i % 8).append("\"><span class=\"op\" title=\"line ")
                            .append(s.line()).append("\">").append(esc(s.op())).append("</span></td>");
                } else {
                    sb.append("<td class=\"lane\"></td>");
                }
            }
            sb.append("<td class=\"rules\">");
            for (String r : s.rules()) {
                ruleLink(sb, r, ctx.rules());
            }
            sb.append("</td><td class=\"what\">");
            if (!s.notes().isEmpty()) {
                sb.append("<span class=\"note\">").append(esc(String.join("; ", s.notes()))).append("</span>");
            }
            diff(sb, s.changes(), s.changes().size() == 1 ? "1 state line changed"
                    : s.changes().size() + " state lines changed");
            sb.append("</td></tr>\n");
            k++;
        }
        sb.append("</tbody>\n</table></div>\n");
        sb.append("<div class=\"stepper\" role=\"group\" aria-label=\"step through the trace\">"
                + "<button type=\"button\" data-act=\"prev\" title=\"previous step (\u2190)\">\u25c0</button>"
                + "<input type=\"range\" min=\"0\" max=\"").append(t.steps().size()).append("\" value=\"0\" "
                + "aria-label=\"step\">"
                + "<button type=\"button\" data-act=\"next\" title=\"next step (\u2192)\">\u25b6</button>"
                + "<label><input type=\"checkbox\" data-act=\"focus\"> one step at a time, larger</label>"
                + "<span class=\"pos\"></span>"
                + "<span class=\"key\"><span class=\"chgkey\">orange</span>: changed by that step \u00b7 dashed: "
                + "gone");
        List<HtmlTimeline.Watch> watches = HtmlTimeline.watches(expr);
        List<String> cells = watches.stream().filter(w -> !w.kind().equals("reg")).map(HtmlTimeline.Watch::label)
                .toList();
        if (!cells.isEmpty()) {
            sb.append(" \u00b7 <span class=\"watchkey\">red ring</span>: ").append(esc(String.join(", ", cells)))
                    .append(", what the condition reads");
        }
        sb.append("</span></div>\n");
        HtmlTimeline.render(sb, t, watches);
        sb.append("</section>\n");
    }

    private static void diff(StringBuilder sb, List<String> lines, String summary) {
        if (lines.isEmpty()) {
            return;
        }
        sb.append("<details class=\"diff\"><summary>").append(esc(summary)).append("</summary><pre>");
        for (String l : lines) {
            sb.append(esc(l)).append('\n');
        }
        sb.append("</pre></details>");
    }

    static void ruleLink(StringBuilder sb, String id, Map<String, Matrix.RuleInfo> rules) {
        Matrix.RuleInfo r = rules.get(id);
        if (r == null) {
            sb.append("<span class=\"rule\">").append(esc(id)).append("</span> ");
            return;
        }
        sb.append("<a class=\"rule\" href=\"#rule-").append(esc(HtmlText.slug(id))).append("\" data-rule=\"")
                .append(esc(id)).append("\" title=\"").append(esc(r.summary() + "\n" + r.source())).append("\">")
                .append(esc(id)).append("</a> ");
    }
}
