package pinlab.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The data behind a row's side-by-side comparisons, as JSON for a {@code <script type="application/json">} block
 * that the report's script draws from when a cell opens: the row's columns, the runs (each written once), and one
 * entry per precomputed {@link Diff}.
 */
final class HtmlCompare {
    private HtmlCompare() {}

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Returns the row's comparison data as JSON that is safe inside a script element. */
    static String json(Matrix.Row row, List<String> cellIds, Comparisons cmp) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("scenario", row.scenario());
        root.put("file", row.file());
        ArrayNode cols = root.putArray("cols");
        Map<String, Integer> col = new HashMap<>();
        for (int i = 0; i < row.cells().size(); i++) {
            CheckResult c = row.cells().get(i);
            col.putIfAbsent(c.policy(), i);
            ObjectNode o = cols.addObject();
            o.put("p", c.policy());
            o.put("c", c.cell());
            o.put("k", HtmlText.kind(c));
            o.put("id", cellIds.get(i));
            o.put("on", c.notApplicable() == null && c.complete());
            o.put("states", c.search().states());
        }
        ArrayNode runs = root.putArray("runs");
        Map<String, Integer> seen = new HashMap<>();
        List<String> order = new ArrayList<>();
        ArrayNode pairs = root.putArray("pairs");
        for (Diff d : cmp.diffs()) {
            ObjectNode p = pairs.addObject();
            p.put("a", col.getOrDefault(d.a(), -1));
            p.put("b", col.getOrDefault(d.b(), -1));
            p.put("kind", d.kind().name());
            p.put("side", d.quantifier().equals("forall") ? "fails" : "holds");
            if (d.kind() != Diff.Kind.RUN) {
                continue;
            }
            p.put("from", col.getOrDefault(d.from(), -1));
            p.put("there", run(d.there(), runs, seen, order));
            p.put("here", run(d.here(), runs, seen, order));
            p.put("first", d.first());
            ArrayNode part = p.putArray("part");
            for (Diff.RuleNote r : d.parting()) {
                part.addArray().add(r.policy().equals(d.from()) ? 0 : 1).add(r.id());
            }
        }
        String s;
        try {
            s = MAPPER.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("comparison data of " + row.scenario(), e);
        }
        // '<', '>' and '&' occur only in JSON strings, where unicode escapes mean the same: no "</script>"
        return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026");
    }

    /** Returns the index of the run in {@code runs}, adding it if no identical run is there yet. */
    private static int run(Trace t, ArrayNode runs, Map<String, Integer> seen, List<String> order) {
        ObjectNode o = MAPPER.createObjectNode();
        ArrayNode threads = o.putArray("t");
        t.threads().forEach(threads::add);
        ArrayNode steps = o.putArray("st");
        for (Trace.Step s : t.steps()) {
            ArrayNode a = steps.addArray();
            a.add(s.thread()).add(s.op());
            ArrayNode rules = a.addArray();
            s.rules().forEach(rules::add);
            ArrayNode notes = a.addArray();
            s.notes().forEach(notes::add);
        }
        o.put("end", t.outcome());
        String key = o.toString();
        Integer at = seen.get(key);
        if (at == null) {
            at = order.size();
            seen.put(key, at);
            order.add(key);
            runs.add(o);
        }
        return at;
    }
}
