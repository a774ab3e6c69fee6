package pinlab.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * JSON report. The schema (docs/json-schema.md) is stable: keys are only ever added, never renamed or removed
 * within a {@code schema} version.
 */
public final class JsonReport {
    /** The schema version written in every report. */
    public static final int SCHEMA = 2;

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** JSON Lines: one object per line, nothing indented. */
    private static final com.fasterxml.jackson.databind.ObjectWriter LINE = MAPPER.writer()
            .without(SerializationFeature.INDENT_OUTPUT);

    private JsonReport() {}

    /** Returns pinlab's version: the jar's Implementation-Version (the pom's), or {@code dev} outside a jar. */
    public static String version() {
        String v = JsonReport.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** Renders results as one JSON document. */
    public static String render(List<CheckResult> results) {
        return render(results, List.of());
    }

    /** Renders results, and the scenarios that could not be read, as one JSON document. */
    public static String render(List<CheckResult> results, List<pinlab.scenario.ScenarioException> errors) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("schema", SCHEMA);
        root.put("tool", "pinlab");
        root.put("version", version());
        if (!errors.isEmpty()) {
            ArrayNode errs = root.putArray("errors");
            errors.forEach(e -> errs.add(error(e)));
        }
        ArrayNode arr = root.putArray("results");
        for (CheckResult r : results) {
            arr.add(result(r));
        }
        try {
            return MAPPER.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Renders one result as one line of JSON Lines ({@code --format jsonl}): the schema, tool and version, then the
     * result's fields as in {@link #render}.
     */
    public static String line(CheckResult r) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("schema", SCHEMA);
        o.put("tool", "pinlab");
        o.put("version", version());
        o.setAll(result(r));
        try {
            return LINE.writeValueAsString(o) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Renders a scenario that could not be read as one line of JSON Lines, {@code {"error": {...}}}. */
    public static String errorLine(pinlab.scenario.ScenarioException e) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("schema", SCHEMA);
        o.put("tool", "pinlab");
        o.put("version", version());
        o.set("error", error(e));
        try {
            return LINE.writeValueAsString(o) + "\n";
        } catch (JsonProcessingException x) {
            throw new UncheckedIOException(x);
        }
    }

    private static ObjectNode error(pinlab.scenario.ScenarioException e) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("file", e.file());
        o.put("line", e.line());
        o.put("col", e.col());
        o.put("code", e.code());
        o.put("message", e.getMessage());
        if (e.hint() != null) {
            o.put("hint", e.hint());
        }
        return o;
    }

    private static ObjectNode result(CheckResult r) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("scenario", r.scenario());
        o.put("file", r.about().file());
        o.put("title", r.about().title());
        ArrayNode src = o.putArray("sources");
        r.about().sources().forEach(src::add);
        o.put("topic", r.about().topic());
        if (r.about().failure() == null) {
            o.putNull("failure");
        } else {
            o.put("failure", r.about().failure());
        }
        o.put("policy", r.policy());
        ArrayNode kev = o.putArray("kernelEvents");
        r.kernelEvents().forEach(kev::add);
        if (r.notApplicable() == null) {
            o.putNull("notApplicable");
        } else {
            o.put("notApplicable", r.notApplicable());
        }
        o.put("condition", r.about().condition());
        o.put("quantifier", r.about().quantifier().word());
        observation(o, r);
        o.put("positive", r.positive());
        o.put("negative", r.negative());
        ArrayNode outs = o.putArray("outcomes");
        for (CheckResult.OutcomeRow row : r.outcomes()) {
            ObjectNode x = outs.addObject();
            x.put("outcome", row.outcome());
            x.set("values", values(row));
            x.put("count", row.count());
            x.put("satisfies", row.satisfies());
            if (row.trace() != null) {
                x.set("trace", trace(row.trace()));
            }
        }
        ArrayNode viol = o.putArray("violations");
        for (CheckResult.ViolationRow v : r.violations()) {
            ObjectNode x = viol.addObject();
            x.put("kind", v.kind());
            x.put("description", v.description());
            x.put("expected", v.expected());
            x.set("trace", trace(v.trace()));
        }
        if (r.expected() == null) {
            o.putNull("expected");
            o.putNull("matches");
        } else {
            ObjectNode e = o.putObject("expected");
            e.put("observation", r.expected().observation().word());
            ArrayNode ev = e.putArray("violations");
            r.expected().violations().forEach(ev::add);
            e.put("line", r.expected().line());
            o.put("matches", r.matches());
        }
        o.put("verdict", r.verdict().word());
        o.put("status", r.status());
        if (r.mismatch() == null) {
            o.putNull("mismatch");
        } else {
            o.put("mismatch", r.mismatch());
        }
        o.set("cell", cell(r.headline()));
        o.put("complete", r.complete());
        if (r.search().stopReason() == null) {
            o.putNull("stopReason");
        } else {
            o.put("stopReason", r.search().stopReason());
        }
        o.put("states", r.search().states());
        o.put("transitions", r.search().transitions());
        o.put("finalStates", r.search().finalStates());
        o.put("refusedFinals", r.search().refusedFinals());
        o.put("depth", r.search().depth());
        o.put("millis", r.search().millis());
        o.put("collisionProbability", r.search().collisionProbability());
        ArrayNode checked = o.putArray("checked");
        r.search().checked().forEach(checked::add);
        if (r.witness() == null) {
            o.putNull("trace");
        } else {
            o.set("trace", trace(r.witness()));
        }
        return o;
    }

    /** Writes a result's observation as the reports word it, or null when there is none. */
    static void observation(ObjectNode o, CheckResult r) {
        if (r.observation() == null) {
            o.putNull("observation");
        } else {
            o.put("observation", r.observation().word());
        }
    }

    /** Encodes a cell: {@code {text, kind, kernelEvents, result, violations, everyRun}}, here and in the matrix. */
    static ObjectNode cell(Cell c) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("text", c.text());
        o.put("kind", c.kind().name());
        ArrayNode ev = o.putArray("kernelEvents");
        c.kernelEvents().forEach(ev::add);
        if (c.result() == null) {
            o.putNull("result");
        } else {
            o.put("result", c.result());
        }
        ArrayNode v = o.putArray("violations");
        c.violations().forEach(v::add);
        o.put("everyRun", c.everyRun());
        return o;
    }

    /** An outcome's observed values: numbers, null for none, booleans, and the kernel's reports as strings. */
    private static ObjectNode values(CheckResult.OutcomeRow row) {
        ObjectNode o = MAPPER.createObjectNode();
        for (CheckResult.Value v : row.values()) {
            switch (v.value()) {
                case Long n -> o.put(v.name(), n);
                case Boolean b -> o.put(v.name(), b);
                case List<?> l -> {
                    ArrayNode a = o.putArray(v.name());
                    l.forEach(x -> a.add(x.toString()));
                }
                case null -> o.putNull(v.name());
                default -> o.put(v.name(), v.value().toString());
            }
        }
        return o;
    }

    private static ObjectNode trace(Trace t) {
        ObjectNode o = MAPPER.createObjectNode();
        ArrayNode th = o.putArray("threads");
        t.threads().forEach(th::add);
        ArrayNode init = o.putArray("initial");
        t.initial().forEach(init::add);
        ArrayNode steps = o.putArray("steps");
        for (Trace.Step s : t.steps()) {
            ObjectNode x = steps.addObject();
            x.put("thread", t.threads().get(s.thread()));
            x.put("op", s.op());
            x.put("line", s.line());
            ArrayNode rules = x.putArray("rules");
            s.rules().forEach(rules::add);
            ArrayNode notes = x.putArray("notes");
            s.notes().forEach(notes::add);
            ArrayNode ch = x.putArray("changes");
            s.changes().forEach(ch::add);
        }
        ArrayNode last = o.putArray("final");
        t.last().forEach(last::add);
        o.set("startState", state(t.start()));
        o.set("endState", state(t.steps().isEmpty() ? t.start() : t.steps().get(t.steps().size() - 1).after()));
        return o;
    }

    /** A state as values: processes, what names each page, folios with their counters, flags and cells, notes. */
    private static ObjectNode state(Trace.Snapshot s) {
        ObjectNode o = MAPPER.createObjectNode();
        ArrayNode procs = o.putArray("processes");
        for (Trace.Named n : s.processes()) {
            procs.addObject().put("name", n.name()).put("status", n.status());
        }
        ArrayNode entries = o.putArray("entries");
        for (Trace.Entry e : s.entries()) {
            entries.addObject().put("kind", e.kind()).put("owner", e.owner()).put("name", e.name())
                    .put("target", e.target()).put("bits", e.bits());
        }
        ArrayNode folios = o.putArray("folios");
        for (Trace.FolioState f : s.folios()) {
            ObjectNode x = folios.addObject().put("name", f.name()).put("refcount", f.refcount())
                    .put("mapcount", f.mapcount());
            f.flags().forEach(x.putArray("flags")::add);
            f.cells().forEach(x.putArray("cells")::add);
            x.put("freed", f.freed());
        }
        ArrayNode notes = o.putArray("notes");
        s.notes().forEach(notes::add);
        return o;
    }
}
