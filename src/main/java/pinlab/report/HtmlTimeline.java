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
 * The page timeline of a trace: one SVG per state (after setup, then after each step), drawn the way a kernel
 * developer draws it on a whiteboard. Left: what names a page (PTEs grouped by process, page-cache slots, holder
 * slots); right: the folios with refcount, mapcount, flags and cells; an arrow from each entry to its folio.
 * Whatever the step changed is orange; what it removed is dashed. Every entry keeps its place in all panels, so
 * panels can be compared side by side.
 */
final class HtmlTimeline {
    private HtmlTimeline() {}

    static final int WIDTH = 262;
    private static final int PAD = 5;
    private static final int EX = PAD;
    private static final int EW = 114;
    private static final int FX = 154;
    private static final int FW = 103;
    private static final int LABEL_H = 16;
    private static final int ENTRY_H = 28;
    private static final int ENTRY_GAP = 4;
    private static final int GROUP_GAP = 6;
    private static final int FOLIO_H = 74;
    private static final int FOLIO_GAP = 10;
    private static final int ZERO_H = 24;
    private static final int NOTE_H = 13;
    private static final String[] PALETTE = {"#2563eb", "#0d9488", "#7c3aed", "#db2777", "#475569", "#65a30d",
        "#0369a1", "#a16207"};

    /** A group of entries with one owner: a process's PTEs, a shmem object's page cache, a holder's slots. */
    private record Group(String kind, String owner, List<String> entries) {
        String key() {
            return kind + "|" + owner;
        }
    }

    /** Fixed places for everything any state of the trace shows. */
    private static final class Layout {
        final List<Group> groups = new ArrayList<>();
        final Map<String, Integer> groupY = new HashMap<>();
        final Map<String, Integer> entryY = new HashMap<>();
        final List<String> folios = new ArrayList<>();
        final Map<String, Integer> folioY = new HashMap<>();
        int zeroY = -1;
        int notesY;
        int notes;
        int height;

        static Layout of(List<Trace.Snapshot> snaps) {
            Layout l = new Layout();
            Map<String, Group> byKey = new LinkedHashMap<>();
            boolean zero = false;
            for (Trace.Snapshot s : snaps) {
                for (Trace.Named p : s.processes()) {
                    byKey.computeIfAbsent("pte|" + p.name(), k -> new Group("pte", p.name(), new ArrayList<>()));
                }
                for (Trace.Entry e : s.entries()) {
                    Group g = byKey.computeIfAbsent(e.kind() + "|" + e.owner(),
                            k -> new Group(e.kind(), e.owner(), new ArrayList<>()));
                    if (!g.entries().contains(e.name())) {
                        g.entries().add(e.name());
                    }
                    zero |= e.target().equals("zero-page");
                }
                for (Trace.FolioState f : s.folios()) {
                    if (!l.folios.contains(f.name())) {
                        l.folios.add(f.name());
                    }
                }
                l.notes = Math.max(l.notes, s.notes().size());
            }
            for (String kind : List.of("pte", "pagecache", "holder")) {
                for (Group g : byKey.values()) {
                    if (g.kind().equals(kind)) {
                        l.groups.add(g);
                    }
                }
            }
            for (Group g : byKey.values()) {
                if (!l.groups.contains(g)) {
                    l.groups.add(g);
                }
            }
            int y = PAD;
            for (Group g : l.groups) {
                l.groupY.put(g.key(), y);
                y += LABEL_H;
                for (String e : g.entries()) {
                    l.entryY.put(g.kind() + "|" + e, y);
                    y += ENTRY_H + ENTRY_GAP;
                }
                y += GROUP_GAP;
            }
            int left = y;
            int fy = PAD + LABEL_H;
            for (String f : l.folios) {
                l.folioY.put(f, fy);
                fy += FOLIO_H + FOLIO_GAP;
            }
            if (zero) {
                l.zeroY = fy;
                fy += ZERO_H + FOLIO_GAP;
            }
            l.notesY = Math.max(left, fy);
            l.height = l.notesY + l.notes * NOTE_H + PAD;
            return l;
        }

        String colour(String folio) {
            int i = folios.indexOf(folio);
            return i < 0 ? "#64748b" : PALETTE[i % PALETTE.length];
        }
    }

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

    /** Appends the timeline of a trace: a strip of figures, one per state, each with an SVG and a caption. */
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
        Layout lay = Layout.of(snaps);
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
            sb.append("</figcaption>");
            svg(sb, lay, k == 0 ? null : snaps.get(k - 1), snaps.get(k), k, watches);
            sb.append("</figure>\n");
        }
        sb.append("</div>\n");
    }

    private static void svg(StringBuilder sb, Layout lay, Trace.Snapshot prev, Trace.Snapshot cur, int k,
            List<Watch> watches) {
        Map<String, List<String>> watched = new HashMap<>();
        for (Watch w : watches) {
            Place p = resolve(w, cur);
            if (p != null && p.folio() != null) {
                watched.computeIfAbsent(p.folio() + "#" + p.cell(), x -> new ArrayList<>()).add(w.label());
            }
        }
        sb.append("<svg class=\"tl\" data-step=\"").append(k).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ')
                .append(lay.height).append("\" width=\"").append(WIDTH).append("\" height=\"").append(lay.height)
                .append("\" role=\"img\" aria-label=\"").append(k == 0 ? "pages after setup" : "pages after step " + k)
                .append("\">");
        sb.append("<text class=\"colh\" x=\"").append(FX).append("\" y=\"").append(PAD + 11)
                .append("\">folios</text>");
        Map<String, Trace.Entry> now = entries(cur);
        Map<String, Trace.Entry> before = prev == null ? Map.of() : entries(prev);
        Map<String, Trace.Named> procNow = procs(cur);
        Map<String, Trace.Named> procBefore = prev == null ? Map.of() : procs(prev);
        List<Arrow> arrows = new ArrayList<>();

        for (Group g : lay.groups) {
            int gy = lay.groupY.get(g.key());
            boolean anyNow = g.entries().stream().anyMatch(e -> now.containsKey(g.kind() + "|" + e));
            boolean anyBefore = g.entries().stream().anyMatch(e -> before.containsKey(g.kind() + "|" + e));
            String label;
            String cls = "gl";
            if (g.kind().equals("pte")) {
                Trace.Named p = procNow.get(g.owner());
                if (p == null) {
                    if (procBefore.containsKey(g.owner())) {
                        label = "process " + g.owner() + " gone";
                        cls += " gone";
                    } else {
                        continue;
                    }
                } else {
                    label = "process " + g.owner() + statusText(p.status());
                    Trace.Named q = procBefore.get(g.owner());
                    if (prev != null && (q == null || !q.status().equals(p.status()))) {
                        cls += " chg";
                    }
                    if (p.status().equals("exited")) {
                        cls += " gone";
                    }
                }
            } else {
                if (!anyNow && !anyBefore) {
                    continue;
                }
                label = (g.kind().equals("holder") ? "holder " : "page cache ") + g.owner();
                if (!anyNow) {
                    label += " (released)";
                    cls += " gone";
                } else if (prev != null && !anyBefore) {
                    cls += " chg";
                }
            }
            sb.append("<text class=\"").append(cls).append("\" x=\"").append(EX).append("\" y=\"").append(gy + 12)
                    .append("\">").append(esc(label)).append("</text>");
            for (String name : g.entries()) {
                String key = g.kind() + "|" + name;
                int y = lay.entryY.get(key);
                Trace.Entry e = now.get(key);
                Trace.Entry p = before.get(key);
                if (e == null && p == null) {
                    continue;
                }
                boolean ghost = e == null;
                Trace.Entry show = ghost ? p : e;
                boolean isNew = !ghost && prev != null && p == null;
                boolean targetChanged = !ghost && p != null && !p.target().equals(e.target());
                boolean bitsChanged = !ghost && p != null && !p.bits().equals(e.bits());
                String ecls = "e" + (ghost ? " ghost" : "") + (isNew || targetChanged || bitsChanged ? " chg" : "");
                sb.append("<g class=\"").append(ecls).append("\"><title>").append(esc(entryTitle(show, p, ghost)))
                        .append("</title>");
                rect(sb, EX, y, EW, ENTRY_H, 4, null);
                String shortName = shortName(show);
                text(sb, "en", EX + 5, y + 12, clip(shortName, 18));
                String bits = show.bits().replace("FOLL_", "");
                text(sb, "eb" + (bitsChanged ? " hl" : ""), EX + 5, y + 23, clip(bits, 21));
                String target = show.target();
                if (target.isEmpty() || target.equals("-")) {
                    text(sb, "none", EX + EW - 10, y + 18, "\u2205");
                }
                sb.append("</g>");
                if (!target.isEmpty() && !target.equals("-")) {
                    arrows.add(new Arrow(y + ENTRY_H / 2, target, ghost ? "ghost" : isNew || targetChanged ? "chg" : ""));
                }
            }
        }

        Map<String, Trace.FolioState> fnow = folios(cur);
        Map<String, Trace.FolioState> fbefore = prev == null ? Map.of() : folios(prev);
        for (String name : lay.folios) {
            Trace.FolioState f = fnow.get(name);
            Trace.FolioState p = fbefore.get(name);
            if (f == null && p == null) {
                continue;
            }
            folio(sb, lay, lay.folioY.get(name), f, p, prev != null, watched);
        }
        if (lay.zeroY >= 0) {
            boolean used = arrows.stream().anyMatch(a -> a.target().equals("zero-page"));
            sb.append("<g class=\"zp").append(used ? "" : " unused").append("\"><title>the shared zero page</title>");
            rect(sb, FX, lay.zeroY, FW, ZERO_H, 5, null);
            text(sb, "fz", FX + 8, lay.zeroY + 16, "zero page");
            List<String> zw = watched.get("zero-page#-1");
            if (zw != null) {
                sb.append("<rect class=\"watch\" x=\"").append(FX - 2).append("\" y=\"").append(lay.zeroY - 2)
                        .append("\" width=\"").append(FW + 4).append("\" height=\"").append(ZERO_H + 4)
                        .append("\" rx=\"6\"><title>").append(esc(String.join(", ", zw) + " reads the zero page"))
                        .append("</title></rect>");
            }
            sb.append("</g>");
        }

        // Arrows last, spread along the target's left edge in the order of their sources.
        Map<String, List<Arrow>> byTarget = new LinkedHashMap<>();
        for (Arrow a : arrows) {
            byTarget.computeIfAbsent(a.target(), x -> new ArrayList<>()).add(a);
        }
        for (Map.Entry<String, List<Arrow>> e : byTarget.entrySet()) {
            String target = e.getKey();
            int top;
            int h;
            if (target.equals("zero-page")) {
                top = lay.zeroY;
                h = ZERO_H;
            } else if (lay.folioY.containsKey(target)) {
                top = lay.folioY.get(target) + 16;
                h = FOLIO_H - 16;
            } else {
                continue;
            }
            List<Arrow> list = e.getValue();
            list.sort((a, b) -> Integer.compare(a.y(), b.y()));
            for (int i = 0; i < list.size(); i++) {
                Arrow a = list.get(i);
                int y2 = list.size() == 1 ? top + h / 2 : top + 8 + i * (h - 16) / (list.size() - 1);
                String colour = target.equals("zero-page") ? "#64748b" : lay.colour(target);
                arrow(sb, EX + EW, a.y(), FX, y2, a.cls(), colour);
            }
        }

        if (lay.notes > 0) {
            Set<String> was = prev == null ? Set.of() : new HashSet<>(prev.notes());
            int y = lay.notesY;
            for (String n : cur.notes()) {
                boolean chg = prev != null && !was.contains(n);
                text(sb, "nt" + (chg ? " hl" : ""), EX, y + 10, n);
                y += NOTE_H;
            }
        }
        sb.append("</svg>");
    }

    private record Arrow(int y, String target, String cls) {}

    private static void folio(StringBuilder sb, Layout lay, int y, Trace.FolioState f, Trace.FolioState p,
            boolean compare, Map<String, List<String>> watched) {
        boolean ghost = f == null;
        Trace.FolioState s = ghost ? p : f;
        boolean isNew = compare && !ghost && p == null;
        boolean freed = s.freed();
        boolean freedNow = freed && compare && p != null && !p.freed();
        String cls = "f" + (ghost || freed ? " ghost" : "") + (isNew || freedNow ? " chg" : "");
        String colour = ghost || freed ? "#94a3b8" : lay.colour(s.name());
        sb.append("<g class=\"").append(cls).append("\"><title>").append(esc(folioTitle(s, p, ghost)))
                .append("</title>");
        rect(sb, FX, y, FW, FOLIO_H, 5, null);
        sb.append("<path class=\"fh\" d=\"M").append(FX).append(' ').append(y + 16).append("v-11a5 5 0 0 1 5 -5h")
                .append(FW - 10).append("a5 5 0 0 1 5 5v11z\" style=\"fill:").append(colour).append("\"/>");
        text(sb, "fn", FX + 6, y + 12, s.name());
        String flags = ghost ? "gone" : freed ? "freed" : String.join(" ", s.flags());
        boolean flagsChanged = compare && !ghost && p != null && !p.flags().equals(s.flags());
        text(sb, "ff" + (flagsChanged ? " hlw" : ""), FX + 18, y + 12, clip(flags, 17));
        counter(sb, "ref", s.refcount(), compare && !ghost && p != null ? p.refcount() : s.refcount(), FX + 6,
                y + 29);
        counter(sb, "map", s.mapcount(), compare && !ghost && p != null ? p.mapcount() : s.mapcount(), FX + 6,
                y + 42);
        int n = s.cells().size();
        if (n > 0) {
            int gap = 4;
            int cw = (FW - 12 - (n - 1) * gap) / n;
            for (int i = 0; i < n; i++) {
                int x = FX + 6 + i * (cw + gap);
                boolean chg = compare && !ghost && p != null && i < p.cells().size()
                        && !p.cells().get(i).equals(s.cells().get(i));
                sb.append("<g class=\"cell").append(chg ? " chg" : "").append("\">");
                rect(sb, x, y + 50, cw, 18, 3, null);
                text(sb, "ci", x + 3, y + 58, "[" + i + "]");
                String v = String.valueOf(s.cells().get(i));
                if (chg) {
                    v = p.cells().get(i) + "\u2192" + v;
                }
                sb.append("<text class=\"cv\" x=\"").append(x + cw / 2 + 6).append("\" y=\"").append(y + 63)
                        .append("\" text-anchor=\"middle\">").append(esc(v)).append("</text>");
                List<String> w = ghost ? null : watched.get(s.name() + "#" + i);
                if (w != null) {
                    sb.append("<rect class=\"watch\" x=\"").append(x - 2).append("\" y=\"").append(y + 48)
                            .append("\" width=\"").append(cw + 4).append("\" height=\"22\" rx=\"4\"><title>")
                            .append(esc(String.join(", ", w) + " reads this cell")).append("</title></rect>");
                }
                sb.append("</g>");
            }
        }
        sb.append("</g>");
    }

    private static void counter(StringBuilder sb, String name, int now, int before, int x, int y) {
        sb.append("<text class=\"fc\" x=\"").append(x).append("\" y=\"").append(y).append("\">").append(name)
                .append(' ');
        if (now != before) {
            sb.append("<tspan class=\"old\">").append(before).append("</tspan>\u2192<tspan class=\"hl\">")
                    .append(now).append("</tspan>");
        } else {
            sb.append(now);
        }
        if (name.equals("ref") && now >= 1024 && now == before) {
            sb.append("<tspan class=\"bias\"> (").append(now / 1024).append(now / 1024 == 1 ? " pin)" : " pins)")
                    .append("</tspan>");
        }
        sb.append("</text>");
    }

    private static void arrow(StringBuilder sb, int x1, int y1, int x2, int y2, String cls, String colour) {
        String style = cls.isEmpty() ? " style=\"stroke:" + colour + "\"" : "";
        String fill = cls.isEmpty() ? " style=\"fill:" + colour + "\"" : "";
        int end = x2 - 7;
        sb.append("<path class=\"ar ").append(cls).append("\"").append(style).append(" d=\"M").append(x1).append(' ')
                .append(y1).append("C").append(x1 + 26).append(' ').append(y1).append(' ').append(end - 20).append(' ')
                .append(y2).append(' ').append(end).append(' ').append(y2).append("\"/>");
        sb.append("<path class=\"ah ").append(cls).append("\"").append(fill).append(" d=\"M").append(end - 1)
                .append(' ').append(y2 - 4).append("L").append(x2).append(' ').append(y2).append("L").append(end - 1)
                .append(' ').append(y2 + 4).append("z\"/>");
    }

    private static void rect(StringBuilder sb, int x, int y, int w, int h, int r, String style) {
        sb.append("<rect x=\"").append(x).append("\" y=\"").append(y).append("\" width=\"").append(w)
                .append("\" height=\"").append(h).append("\" rx=\"").append(r).append('"');
        if (style != null) {
            sb.append(" style=\"").append(style).append('"');
        }
        sb.append("/>");
    }

    private static void text(StringBuilder sb, String cls, int x, int y, String s) {
        sb.append("<text class=\"").append(cls).append("\" x=\"").append(x).append("\" y=\"").append(y).append("\">")
                .append(esc(s)).append("</text>");
    }

    private static String clip(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "\u2026";
    }

    private static String statusText(String status) {
        if (status.equals("alive")) {
            return "";
        }
        if (status.startsWith("alive ")) {
            return " \u00b7 " + status.substring(6).replace("MMF_", "");
        }
        return " " + status;
    }

    private static String shortName(Trace.Entry e) {
        String n = e.name();
        String prefix = e.owner() + ":";
        if (n.startsWith(prefix)) {
            n = n.substring(prefix.length());
        } else if (n.startsWith(e.owner() + " ")) {
            n = n.substring(e.owner().length() + 1);
        }
        return n;
    }

    private static String entryTitle(Trace.Entry e, Trace.Entry before, boolean ghost) {
        String what = switch (e.kind()) {
            case "pte" -> "PTE ";
            case "holder" -> "holder slot ";
            case "pagecache" -> "page-cache slot ";
            default -> "";
        };
        String s = what + e.name() + " \u2192 " + (e.target().isEmpty() ? "-" : e.target())
                + (e.bits().isEmpty() ? "" : " (" + e.bits() + ")");
        if (ghost) {
            return s + ": gone in this step";
        }
        if (before != null && !(before.target() + before.bits()).equals(e.target() + e.bits())) {
            s += "; was " + before.target() + (before.bits().isEmpty() ? "" : " (" + before.bits() + ")");
        }
        return s;
    }

    private static String folioTitle(Trace.FolioState f, Trace.FolioState before, boolean ghost) {
        String s = "folio " + f.name() + ": refcount " + f.refcount() + ", mapcount " + f.mapcount() + ", flags "
                + (f.flags().isEmpty() ? "none" : String.join(",", f.flags())) + ", cells " + f.cells()
                + (f.freed() ? ", freed" : "");
        if (ghost) {
            return s + " (gone in this step)";
        }
        if (before != null) {
            s += "; before: refcount " + before.refcount() + ", mapcount " + before.mapcount() + ", cells "
                    + before.cells();
        }
        return s;
    }

    private static Map<String, Trace.Entry> entries(Trace.Snapshot s) {
        Map<String, Trace.Entry> m = new HashMap<>();
        for (Trace.Entry e : s.entries()) {
            m.put(e.kind() + "|" + e.name(), e);
        }
        return m;
    }

    private static Map<String, Trace.Named> procs(Trace.Snapshot s) {
        Map<String, Trace.Named> m = new HashMap<>();
        for (Trace.Named p : s.processes()) {
            m.put(p.name(), p);
        }
        return m;
    }

    private static Map<String, Trace.FolioState> folios(Trace.Snapshot s) {
        Map<String, Trace.FolioState> m = new HashMap<>();
        for (Trace.FolioState f : s.folios()) {
            m.put(f.name(), f);
        }
        return m;
    }
}
