package pinlab.report;

import static pinlab.report.HtmlText.esc;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The page timeline of a trace: one figure per state (after setup, then after each step) with its caption here, and
 * the states as JSON from which the report's script (HtmlAssets.JS, the one renderer) draws each figure's SVG when
 * the cell opens, the way a kernel developer draws it on a whiteboard. Left: what names a page (PTEs grouped by process, page-cache slots, holder
 * slots); right: the folios with refcount, mapcount, flags and cells; an arrow from each entry to its folio.
 * Whatever the step changed is orange; what it removed is dashed. Every entry keeps its place in all panels, so
 * panels can be compared side by side.
 */
final class HtmlTimeline {
    private HtmlTimeline() {}

    private static final String ID = "[A-Za-z_][A-Za-z0-9_.\\-]*";
    private static final Pattern PROC_CELL = Pattern.compile("(" + ID + "):(" + ID + ")\\[(\\d+)\\]");
    private static final Pattern HOLDER_CELL = Pattern.compile("(?<![A-Za-z0-9_.:\\-])(" + ID + ")\\[(\\d+)\\]");
    private static final Pattern REGISTER = Pattern.compile("(?<![A-Za-z0-9_.:\\-])(" + ID + "):(" + ID
            + ")(?![A-Za-z0-9_.\\-\\[])");

    /**
     * A term of the condition the pictures follow: a process cell {@code P:buf[0]}, a holder cell {@code nic[0]}
     * or a register {@code T:r0}.
     */
    record Watch(String label, String kind, String owner, String name, int index) {}

    /** Returns the terms of a condition's expression that the pictures can point at. */
    static List<Watch> watches(String expr) {
        List<Watch> out = new ArrayList<>();
        Matcher m = PROC_CELL.matcher(expr);
        while (m.find()) {
            out.add(new Watch(m.group(), "pte", m.group(1), m.group(2), Integer.parseInt(m.group(3))));
        }
        m = HOLDER_CELL.matcher(expr);
        while (m.find()) {
            out.add(new Watch(m.group(), "holder", m.group(1), m.group(1), Integer.parseInt(m.group(2))));
        }
        m = REGISTER.matcher(expr);
        while (m.find()) {
            if (!List.of("event", "same").contains(m.group(1))) {
                out.add(new Watch(m.group(), "reg", m.group(1), m.group(2), 0));
            }
        }
        List<Watch> unique = new ArrayList<>();
        for (Watch w : out) {
            if (unique.stream().noneMatch(u -> u.label().equals(w.label()))) {
                unique.add(w);
            }
        }
        return unique;
    }

    /** Where a watched cell is in a state: the folio and cell, or the zero page, and its value. */
    private record Place(String folio, int cell, Integer value) {}

    private static Place resolve(Watch w, Trace.Snapshot s) {
        if (w.kind().equals("reg")) {
            String prefix = w.owner() + ":" + w.name() + " = ";
            for (String n : s.notes()) {
                if (n.startsWith(prefix)) {
                    String v = n.substring(prefix.length());
                    try {
                        return new Place(null, -1, Integer.valueOf(v));
                    } catch (NumberFormatException e) {
                        return null;
                    }
                }
            }
            return null;
        }
        int perPage = s.folios().isEmpty() ? 2 : Math.max(1, s.folios().get(0).cells().size());
        String entry = w.kind().equals("pte") ? w.owner() + ":" + w.name() + " page " + w.index() / perPage
                : w.name() + " page " + w.index() / perPage;
        for (Trace.Entry e : s.entries()) {
            if (e.kind().equals(w.kind()) && e.name().equals(entry)) {
                if (e.target().equals("zero-page")) {
                    return new Place("zero-page", -1, 0);
                }
                for (Trace.FolioState f : s.folios()) {
                    if (f.name().equals(e.target()) && w.index() % perPage < f.cells().size()) {
                        return new Place(f.name(), w.index() % perPage, f.cells().get(w.index() % perPage));
                    }
                }
            }
        }
        return null;
    }

    /** Returns the watched terms' values in a state, e.g. {@code P:buf[0] = 0}, for those that can be read. */
    static String values(List<Watch> watches, Trace.Snapshot s) {
        List<String> out = new ArrayList<>();
        for (Watch w : watches) {
            Place p = resolve(w, s);
            if (p != null && p.value() != null) {
                out.add(w.label() + " = " + p.value() + (p.folio() == null ? "" : p.folio().equals("zero-page")
                        ? " (zero page)" : " (in " + p.folio() + ")"));
            }
        }
        return String.join("; ", out);
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
            new com.fasterxml.jackson.databind.ObjectMapper();

    /**
     * Appends the timeline of a trace: a strip of figures, one per state, each with its caption, and the states
     * as JSON ({@code <script type="application/json" class="tl-data">}) from which the report's script draws each
     * figure's SVG when the cell opens (the one renderer of the pictures is that script, HtmlAssets.JS).
     */
    static void render(StringBuilder sb, Trace t, List<Watch> watches) {
        List<Trace.Snapshot> snaps = new ArrayList<>();
        snaps.add(t.start());
        for (Trace.Step s : t.steps()) {
            snaps.add(s.after());
        }
        if (snaps.stream().anyMatch(Objects::isNull)) {
            sb.append("<p class=\"muted\">No page snapshots recorded for this trace.</p>\n");
            return;
        }
        sb.append("<div class=\"timeline\">\n");
        for (int k = 0; k < snaps.size(); k++) {
            sb.append("<figure class=\"panel\" data-step=\"").append(k).append("\">");
            sb.append("<figcaption>");
            if (k == 0) {
                sb.append("<b class=\"sn\">0</b> <span class=\"who\">after setup</span>");
            } else {
                Trace.Step s = t.steps().get(k - 1);
                String thread = s.thread() < t.threads().size() ? t.threads().get(s.thread()) : "?";
                sb.append("<b class=\"sn\">").append(k).append("</b> <span class=\"who t")
                        .append(s.thread() % 8).append("\">").append(esc(HtmlDetail.threadName(thread)))
                        .append("</span> <code>").append(esc(s.op())).append("</code>");
                if (!s.notes().isEmpty()) {
                    String note = String.join("; ", s.notes());
                    sb.append("<span class=\"cap-note\" title=\"").append(esc(note)).append("\">").append(esc(note))
                            .append("</span>");
                }
            }
            if (k == snaps.size() - 1 && !watches.isEmpty()) {
                String v = values(watches, snaps.get(k));
                if (!v.isEmpty()) {
                    sb.append("<span class=\"final\">at the end: ").append(esc(v)).append("</span>");
                }
            }
            sb.append("</figcaption></figure>\n");
        }
        sb.append("</div>\n<script type=\"application/json\" class=\"tl-data\">").append(data(snaps, watches))
                .append("</script>\n");
    }

    /**
     * Returns the states of a timeline as compact JSON, safe inside a script element: per state its processes
     * {@code [name, status]}, entries {@code [kind, owner, name, target, bits]}, folios {@code [name, refcount,
     * mapcount, flags, cells, freed]}, notes, and the cells the condition reads {@code [folio#cell, labels]}.
     */
    static String data(List<Trace.Snapshot> snaps, List<Watch> watches) {
        com.fasterxml.jackson.databind.node.ArrayNode all = MAPPER.createArrayNode();
        for (Trace.Snapshot s : snaps) {
            com.fasterxml.jackson.databind.node.ObjectNode o = all.addObject();
            com.fasterxml.jackson.databind.node.ArrayNode p = o.putArray("p");
            for (Trace.Named n : s.processes()) {
                p.addArray().add(n.name()).add(n.status());
            }
            com.fasterxml.jackson.databind.node.ArrayNode e = o.putArray("e");
            for (Trace.Entry x : s.entries()) {
                e.addArray().add(x.kind()).add(x.owner()).add(x.name()).add(x.target()).add(x.bits());
            }
            com.fasterxml.jackson.databind.node.ArrayNode f = o.putArray("f");
            for (Trace.FolioState x : s.folios()) {
                com.fasterxml.jackson.databind.node.ArrayNode a = f.addArray().add(x.name()).add(x.refcount())
                        .add(x.mapcount());
                x.flags().forEach(a.addArray()::add);
                x.cells().forEach(a.addArray()::add);
                a.add(x.freed() ? 1 : 0);
            }
            com.fasterxml.jackson.databind.node.ArrayNode n = o.putArray("n");
            s.notes().forEach(n::add);
            Map<String, List<String>> watched = new LinkedHashMap<>();
            for (Watch w : watches) {
                Place pl = resolve(w, s);
                if (pl != null && pl.folio() != null) {
                    watched.computeIfAbsent(pl.folio() + "#" + pl.cell(), k -> new ArrayList<>()).add(w.label());
                }
            }
            if (!watched.isEmpty()) {
                com.fasterxml.jackson.databind.node.ArrayNode wa = o.putArray("w");
                watched.forEach((k, v) -> {
                    com.fasterxml.jackson.databind.node.ArrayNode one = wa.addArray().add(k);
                    v.forEach(one.addArray()::add);
                });
            }
        }
        // '<', '>' and '&' occur only in JSON strings, where unicode escapes mean the same: no "</script>"
        return all.toString().replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026");
    }
}
