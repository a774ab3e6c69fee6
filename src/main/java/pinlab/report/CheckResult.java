package pinlab.report;

import java.util.List;

/**
 * The result of checking one scenario under one policy. Reports are formats of this value.
 *
 * @param scenario the scenario's name
 * @param file the scenario file
 * @param title its title
 * @param sources its sources
 * @param topic its topic (matrix group), or empty
 * @param failure what its failing side means, e.g. {@code DATA LOSS}, or null
 * @param policy the policy's name
 * @param condition the final condition as written
 * @param quantifier exists, ~exists or forall
 * @param observation Never, Sometimes or Always
 * @param positive final states where the condition's expression holds
 * @param negative final states where it does not
 * @param outcomes every reachable final outcome
 * @param violations the violations found, each with its shortest trace
 * @param witness the shortest trace that shows the condition's interesting side (a state satisfying an
 *     exists/~exists expression, or one falsifying a forall), or null if there is none
 * @param expected the expected result, or null if the scenario names no expectation for this policy
 * @param matches whether the result matches the expectation (null if none)
 * @param complete whether the exploration finished
 * @param stopReason why it did not, or null
 * @param states distinct states
 * @param transitions transitions
 * @param finalStates final states
 * @param refusedFinals final states in which the kernel refused a GUP (an errno, e.g. -ENOSYS or -EFAULT)
 * @param depth length of the longest shortest run
 * @param millis time spent
 * @param collisionProbability estimated chance that a fingerprint collision hid a state
 * @param kernelEvents what the kernel reported in some final state, as matrix labels in a fixed order
 *     ({@code CRASH} for a BUG, {@code WARN} for a warning in the log, {@code CSUM} for a checksum failure,
 *     {@code EIO} for an fsync that returned -EIO)
 * @param notApplicable why the scenario does not apply to this policy's kernel (nothing was explored), or null
 */
public record CheckResult(String scenario, String file, String title, List<String> sources, String topic,
        String failure, String policy,
        String condition, String quantifier, String observation, long positive, long negative,
        List<OutcomeRow> outcomes, List<ViolationRow> violations, Trace witness, Expected expected, Boolean matches,
        boolean complete, String stopReason, long states, long transitions, long finalStates, long refusedFinals,
        int depth,
        long millis, double collisionProbability, List<String> kernelEvents, String notApplicable) {

    /** The {@code notApplicable} reason of a proposal column's cell for a scenario that does not ask about it. */
    public static final String NOT_ASKED = "the scenario has no expectation for this proposal or switched rule";

    /** Returns this result with its timing written as 0, so that two runs' reports compare byte for byte. */
    public CheckResult withoutTimings() {
        return new CheckResult(scenario, file, title, sources, topic, failure, policy, condition, quantifier,
                observation, positive, negative, outcomes, violations, witness, expected, matches, complete,
                stopReason, states, transitions, finalStates, refusedFinals, depth, 0, collisionProbability,
                kernelEvents, notApplicable);
    }

    /** Returns the cell of a proposal column for a scenario that does not ask about it: nothing is explored. */
    public static CheckResult notAsked(pinlab.scenario.Scenario sc, String policy) {
        return notApplicable(sc, policy, NOT_ASKED);
    }

    /** Returns the result of a scenario that does not apply to the policy's kernel: nothing is explored. */
    public static CheckResult notApplicable(pinlab.scenario.Scenario sc, String policy, String reason) {
        return new CheckResult(sc.name(), sc.file(), sc.title(), sc.sources(), sc.topic(),
                sc.failure() == null ? null : sc.failure().label(), policy, sc.condition().text(),
                sc.condition().quantifier().word(), "n/a", 0, 0, List.of(), List.of(), null, null, null, true, null, 0,
                0, 0, 0, 0, 0, 0, List.of(), reason);
    }

    /**
     * One reachable outcome.
     *
     * @param outcome the observed values
     * @param count how many final states reach it
     * @param satisfies whether the condition's expression holds there
     * @param trace the shortest run reaching it (only when traces of every outcome were asked for)
     */
    public record OutcomeRow(String outcome, long count, boolean satisfies, Trace trace) {}

    /**
     * One violation.
     *
     * @param kind its name, e.g. {@code stall} or {@code inv-refcount}
     * @param description what it means
     * @param expected whether the scenario expects it
     * @param trace the shortest run reaching it
     */
    public record ViolationRow(String kind, String description, boolean expected, Trace trace) {}

    /**
     * An expectation from the scenario's {@code expect} line.
     *
     * @param observation Never, Sometimes or Always
     * @param violations violations the scenario expects
     * @param line the line of the expect
     */
    public record Expected(String observation, List<String> violations, int line) {}

    /** Returns whether the condition's failing side is reachable: a satisfying exists/~exists, a failing forall. */
    public boolean failing() {
        return quantifier.equals("forall") ? negative > 0 : positive > 0;
    }

    /** Returns whether the failing side holds in every final state. */
    public boolean alwaysFailing() {
        return quantifier.equals("forall") ? positive == 0 && negative > 0 : negative == 0 && positive > 0;
    }

    /**
     * Returns what a matrix cell says: INCOMPLETE; the violation kinds (STALL, UAF, ...); REFUSED when the
     * kernel refused a GUP in every final state; the kernel events of any final state (CRASH, WARN, CSUM, EIO),
     * joined with the failure (DATA LOSS, ...) when the failing side is reachable; else SAFE. Scenarios without a
     * failure meaning show the observation instead of the failure.
     */
    public String cell() {
        String s = cellClass();
        if (complete && violations.isEmpty() && failure != null && s.endsWith(failure) && alwaysFailing()) {
            s += "*"; // in every run
        }
        return s;
    }

    /**
     * Returns the result a mismatch has, in words ({@code expected Never, got Sometimes}), or null when the result
     * matches its expectation or there is none to judge by.
     */
    public String mismatch() {
        if (!Boolean.FALSE.equals(matches)) {
            return null;
        }
        if (!expected.observation().equals(observation)) {
            return "expected " + expected.observation() + ", got " + observation;
        }
        List<String> found = violations.stream().map(ViolationRow::kind).toList();
        return "expected " + (expected.violations().isEmpty() ? "no violation" : String.join(", ",
                expected.violations())) + ", got " + (found.isEmpty() ? "none" : String.join(", ", found));
    }

    /**
     * Returns how the result stands against the scenario's expectation, in words: as expected, the
     * {@link #mismatch}, an unexpected violation, no expectation, or not judged (unfinished, not applicable).
     */
    public String status() {
        return switch (verdict()) {
            case "OK" -> "as expected";
            case "MISMATCH" -> mismatch();
            case "VIOLATION" -> "an unexpected violation";
            case "INCOMPLETE" -> "not judged: the run is incomplete";
            case "UNCHECKED" -> "no expectation for this policy";
            default -> notApplicable == null ? verdict() : "not applicable: " + notApplicable;
        };
    }

    /** Like {@link #cell}, without the mark of a failure in every run. */
    private String cellClass() {
        if (NOT_ASKED.equals(notApplicable)) {
            return "-";
        }
        if (notApplicable != null) {
            return "N/A";
        }
        if (!complete) {
            return "INCOMPLETE";
        }
        if (!violations.isEmpty()) {
            return String.join(",", violations.stream().map(v -> v.kind().toUpperCase(java.util.Locale.ROOT))
                    .toList());
        }
        if (finalStates > 0 && refusedFinals == finalStates) {
            return "REFUSED";
        }
        String result = failure == null ? observation : failing() ? failure : null;
        List<String> parts = new java.util.ArrayList<>(kernelEvents);
        if (result != null) {
            parts.add(result);
        }
        return parts.isEmpty() ? "SAFE" : String.join(" + ", parts);
    }

    /** Returns the verdict: OK, MISMATCH, INCOMPLETE, VIOLATION (unexpected, no expectation) or UNCHECKED. */
    public String verdict() {
        if (NOT_ASKED.equals(notApplicable)) {
            return "NOT ASKED";
        }
        if (notApplicable != null) {
            return "N/A";
        }
        if (!complete) {
            return "INCOMPLETE";
        }
        if (matches != null) {
            return matches ? "OK" : "MISMATCH";
        }
        return violations.stream().anyMatch(v -> !v.expected()) ? "VIOLATION" : "UNCHECKED";
    }
}
