package pinlab.report;

import java.util.List;

/**
 * The result of checking one scenario under one policy. Reports are formats of this value.
 *
 * @param scenario the scenario's name
 * @param file the scenario file
 * @param title its title
 * @param sources its sources
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
 * @param depth length of the longest shortest run
 * @param millis time spent
 * @param collisionProbability estimated chance that a fingerprint collision hid a state
 */
public record CheckResult(String scenario, String file, String title, List<String> sources, String policy,
        String condition, String quantifier, String observation, long positive, long negative,
        List<OutcomeRow> outcomes, List<ViolationRow> violations, Trace witness, Expected expected, Boolean matches,
        boolean complete, String stopReason, long states, long transitions, long finalStates, int depth,
        long millis, double collisionProbability) {

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

    /** Returns the verdict: OK, MISMATCH, INCOMPLETE, VIOLATION (unexpected, no expectation) or UNCHECKED. */
    public String verdict() {
        if (!complete) {
            return "INCOMPLETE";
        }
        if (matches != null) {
            return matches ? "OK" : "MISMATCH";
        }
        return violations.stream().anyMatch(v -> !v.expected()) ? "VIOLATION" : "UNCHECKED";
    }
}
