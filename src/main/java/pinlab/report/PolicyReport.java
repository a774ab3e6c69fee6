package pinlab.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.util.Locale;
import pinlab.policy.Policies;
import pinlab.policy.Policy;
import pinlab.policy.Rule;

/** Lists policies, their rules and the rules' sources, as text or JSON. */
public final class PolicyReport {
    private PolicyReport() {}

    /** Returns the text listing: base rules once, then each policy as a delta of its parent. */
    public static String text() {
        StringBuilder sb = new StringBuilder();
        sb.append("Base rules (every policy):\n");
        for (Rule r : Rule.values()) {
            if (r.group() == Rule.Group.BASE) {
                rule(sb, "  ", r);
            }
        }
        for (Policy p : Policies.all()) {
            sb.append('\n').append(p.name());
            if (p.parent() != null) {
                sb.append(" (extends ").append(p.parent().name()).append(')');
            }
            sb.append(": ").append(p.description()).append('\n');
            for (Rule r : p.added()) {
                rule(sb, "  + ", r);
            }
            for (Rule r : p.removed()) {
                sb.append("  - ").append(r.id()).append('\n');
            }
            sb.append("  rules in force: ");
            StringBuilder ids = new StringBuilder();
            for (Rule r : p.rules()) {
                if (r.group() != Rule.Group.BASE) {
                    ids.append(ids.length() == 0 ? "" : ", ").append(r.id());
                }
            }
            sb.append(ids).append('\n');
        }
        sb.append("\nProposals (overlays on any preset, e.g. linux-5.8+kara-block; never part of a linux preset):\n");
        for (Rule r : Policies.proposals()) {
            rule(sb, "  ", r);
        }
        sb.append("\nAny switchable rule can be added or removed the same way: linux-5.8+fork-copy-maybe-pinned,"
                + " linux-6.5-dio-foll-pin.\n");
        return sb.toString();
    }

    private static void rule(StringBuilder sb, String indent, Rule r) {
        sb.append(indent).append(r.id()).append(": ").append(r.summary()).append('\n');
        sb.append(" ".repeat(indent.length() + 2)).append("source: ").append(r.source()).append('\n');
    }

    /** Returns the JSON listing: each policy with its name, parent, description and every rule in force. */
    public static String json() {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        root.put("schema", JsonReport.SCHEMA);
        ArrayNode arr = root.putArray("policies");
        for (Policy p : Policies.all()) {
            ObjectNode o = arr.addObject();
            o.put("name", p.name());
            if (p.parent() == null) {
                o.putNull("extends");
            } else {
                o.put("extends", p.parent().name());
            }
            o.put("description", p.description());
            ArrayNode rules = o.putArray("rules");
            for (Rule r : p.rules()) {
                ObjectNode x = rules.addObject();
                x.put("id", r.id());
                x.put("group", r.group().name().toLowerCase(Locale.ROOT));
                x.put("summary", r.summary());
                x.put("source", r.source());
                x.put("ops", r.ops());
                x.put("added", p.added().contains(r));
            }
            ArrayNode removed = o.putArray("removed");
            p.removed().forEach(r -> removed.add(r.id()));
        }
        ArrayNode props = root.putArray("proposals");
        for (Rule r : Policies.proposals()) {
            ObjectNode x = props.addObject();
            x.put("id", r.id());
            x.put("summary", r.summary());
            x.put("source", r.source());
            x.put("ops", r.ops());
        }
        try {
            return m.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
