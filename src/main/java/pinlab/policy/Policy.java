package pinlab.policy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A kernel version or a proposal: a named set of rules, built as a delta of the policy it extends.
 *
 * @param name the policy's name, e.g. {@code linux-5.9}
 * @param parent the policy it extends, or null for the root
 * @param description one line on what the policy stands for
 * @param rules the rules it enables
 */
public record Policy(String name, Policy parent, String description, Set<Rule> rules) {

    /** Creates a policy; the rule set is copied and checked: one rule per choice group. */
    public Policy {
        Objects.requireNonNull(name);
        rules = Collections.unmodifiableSet(EnumSet.copyOf(rules));
        for (Rule.Group g : Rule.Group.values()) {
            if (!g.choice()) {
                continue;
            }
            long n = rules.stream().filter(r -> r.group() == g).count();
            if (n != 1) {
                throw new IllegalArgumentException(name + ": needs exactly one rule of group " + g + ", has " + n);
            }
        }
        for (Rule r : Rule.values()) {
            if (r.group() == Rule.Group.BASE && !rules.contains(r)) {
                throw new IllegalArgumentException(name + ": base rule " + r.id() + " cannot be switched off");
            }
        }
    }

    /** Returns whether the policy enables {@code rule}. */
    public boolean has(Rule rule) {
        return rules.contains(rule);
    }

    /** Returns a policy named {@code newName} that extends this one with {@code on} enabled and {@code off} disabled. */
    public Policy extend(String newName, String newDescription, List<Rule> on, List<Rule> off) {
        EnumSet<Rule> next = EnumSet.copyOf(rules);
        for (Rule r : on) {
            if (r.group().choice()) {
                next.removeIf(x -> x.group() == r.group());
            }
            next.add(r);
        }
        off.forEach(next::remove);
        return new Policy(newName, this, newDescription, next);
    }

    /** Returns a copy of this policy with one rule switched: a toggle flipped, or a choice replaced. */
    public Policy with(Rule rule, boolean enabled) {
        return with(rule, enabled, name + (enabled ? "+" : "-") + rule.id());
    }

    /** Like {@link #with(Rule, boolean)}, naming the result {@code newName}. */
    public Policy with(Rule rule, boolean enabled, String newName) {
        EnumSet<Rule> next = EnumSet.copyOf(rules);
        if (enabled) {
            if (rule.group().choice()) {
                next.removeIf(x -> x.group() == rule.group());
            }
            next.add(rule);
        } else {
            if (!rule.group().switchable()) {
                throw new IllegalArgumentException(rule.id() + " is " + (rule.group() == Rule.Group.BASE
                        ? "part of every policy" : "one choice of " + rule.group().name().toLowerCase(
                                java.util.Locale.ROOT).replace('_', '-') + "; switch on another choice instead")
                        + " and cannot be switched off");
            }
            next.remove(rule);
        }
        return new Policy(newName, this, description, next);
    }

    /** Returns whether this policy is a linux preset as registered, without overlays or switched rules. */
    public boolean isPreset() {
        return equals(Policies.byName(name));
    }

    /** Returns the rules this policy switches on relative to its parent. */
    public List<Rule> added() {
        List<Rule> out = new ArrayList<>();
        for (Rule r : rules) {
            if (r.group() != Rule.Group.BASE && (parent == null || !parent.has(r))) {
                out.add(r);
            }
        }
        return out;
    }

    /** Returns the rules this policy switches off relative to its parent. */
    public List<Rule> removed() {
        List<Rule> out = new ArrayList<>();
        if (parent != null) {
            for (Rule r : parent.rules) {
                if (!rules.contains(r)) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return name;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Policy p && p.name.equals(name) && p.rules.equals(rules);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + rules.hashCode();
    }
}
