package pinlab.report;

import java.util.List;
import pinlab.scenario.Condition.Quantifier;
import pinlab.scenario.Observation;
import pinlab.scenario.Scenario;

/**
 * The result of checking one scenario under one policy. Reports are formats of this value; the typed parts are
 * {@link #headline} (the matrix cell), {@link #verdict}, {@link #observation} and {@link #outcomes}.
 *
 * @param about the scenario: name, file, title, sources, topic, failure meaning and condition
 * @param policy the policy's name
 * @param observation Never, Sometimes or Always; null when there is none (the search did not finish, or the
 *     scenario does not apply): {@link #observationWord} says which
 * @param positive final states where the condition's expression holds
 * @param negative final states where it does not
 * @param outcomes every reachable final outcome
 * @param violations the violations found, each with its shortest trace
 * @param witness the shortest trace that shows the condition's interesting side (a state satisfying an
 *     exists/~exists expression, or one falsifying a forall), or null if there is none
 * @param expected the expected result, or null if the scenario names no expectation for this policy
 * @param matches whether the result matches the expectation (null if none, or not judged)
 * @param search what the search did: whether it finished, its counts and time
 * @param kernelEvents what the kernel reported in some final state, as matrix labels in a fixed order
 *     ({@code CRASH} for a BUG, {@code WARN} for a warning in the log, {@code CSUM} for a checksum failure,
 *     {@code EIO} for an fsync that returned -EIO)
 * @param notApplicable why the scenario does not apply to this policy's kernel (nothing was explored), or null
 */
public record CheckResult(About about, String policy, Observation observation, long positive, long negative,
        List<OutcomeRow> outcomes, List<ViolationRow> violations, Trace witness, Expected expected, Boolean matches,
        Search search, List<String> kernelEvents, String notApplicable) {

    /**
     * The scenario a result is about.
     *
     * @param name the scenario's name
     * @param file the scenario file
     * @param title its title
     * @param sources its sources
     * @param topic its topic (matrix group), or empty
     * @param failure what its failing side means, e.g. {@code DATA LOSS}, or null
     * @param condition the final condition as written
     * @param quantifier exists, ~exists or forall
     */
    public record About(String name, String file, String title, List<String> sources, String topic, String failure,
            String condition, Quantifier quantifier) {
        /** Describes a parsed scenario. */
        public static About of(Scenario sc) {
            return new About(sc.name(), sc.file(), sc.title(), sc.sources(), sc.topic(),
                    sc.failure() == null ? null : sc.failure().label(), sc.condition().text(),
                    sc.condition().quantifier());
        }
    }

    /**
     * What the search did.
     *
     * @param complete whether the exploration finished
     * @param stopReason why it did not, or null
     * @param states distinct states
     * @param transitions transitions
     * @param finalStates final states
     * @param refusedFinals final states in which the kernel refused a GUP (an errno, e.g. -ENOSYS or -EFAULT)
     * @param depth length of the longest shortest run
     * @param millis time spent
     * @param collisionProbability estimated chance that a fingerprint collision hid a state
     * @param checked the violation kinds the search looked for: invariants checked in every state, then stall and
     *     deadlock, judged where nothing can step
     */
    public record Search(boolean complete, String stopReason, long states, long transitions, long finalStates,
            long refusedFinals, int depth, long millis, double collisionProbability, List<String> checked) {
        /** Nothing explored. */
        public static final Search NONE = new Search(true, null, 0, 0, 0, 0, 0, 0, 0, List.of());

        /** Returns this search with its time written as 0. */
        public Search withoutTimings() {
            return new Search(complete, stopReason, states, transitions, finalStates, refusedFinals, depth, 0,
                    collisionProbability, checked);
        }
    }

    /** Returns the scenario's name: {@code about().name()}. */
    public String scenario() {
        return about.name();
    }

    /** Returns whether the exploration finished: {@code search().complete()}. */
    public boolean complete() {
        return search.complete();
    }

    /** Returns the observation as the reports print it: Never, Sometimes, Always, {@code incomplete} or {@code n/a}. */
    public String observationWord() {
        if (observation != null) {
            return observation.word();
        }
        return notApplicable != null ? "n/a" : "incomplete";
    }

    /** The {@code notApplicable} reason of a proposal column's cell for a scenario that does not ask about it. */
    public static final String NOT_ASKED = "the scenario has no expectation for this proposal or switched rule";

    /** Returns this result with its timing written as 0, so that two runs' reports compare byte for byte. */
    public CheckResult withoutTimings() {
        return new CheckResult(about, policy, observation, positive, negative, outcomes, violations, witness,
                expected, matches, search.withoutTimings(), kernelEvents, notApplicable);
    }

    /** Returns the cell of a proposal column for a scenario that does not ask about it: nothing is explored. */
    public static CheckResult notAsked(Scenario sc, String policy) {
        return notApplicable(sc, policy, NOT_ASKED);
    }

    /** Returns the result of a scenario that does not apply to the policy's kernel: nothing is explored. */
    public static CheckResult notApplicable(Scenario sc, String policy, String reason) {
        return new CheckResult(About.of(sc), policy, null, 0, 0, List.of(), List.of(), null, null, null,
                Search.NONE, List.of(), reason);
    }

    /**
     * One reachable outcome.
     *
     * @param outcome the observed values
     * @param count how many final states reach it
     * @param satisfies whether the condition's expression holds there
     * @param trace the shortest run reaching it (only when traces of every outcome were asked for)
     */
    public record OutcomeRow(String outcome, long count, boolean satisfies, Trace trace) {
        /**
         * Returns the observed values, in the order the outcome shows them: each term's value (a {@code Long}, or
         * null where the term has none, e.g. an unmapped page), each event atom and {@code same()} atom (a
         * {@code Boolean}), and last, under the name {@code kernel}, what the kernel reported (a list of labels).
         */
        public List<Value> values() {
            List<Value> out = new java.util.ArrayList<>();
            if (outcome.isEmpty()) {
                return out;
            }
            for (String part : outcome.split("; ", -1)) {
                if (part.startsWith("kernel: ")) {
                    out.add(new Value("kernel", List.of(part.substring("kernel: ".length()).split(", ", -1))));
                    continue;
                }
                int eq = part.lastIndexOf('=');
                String name = part.substring(0, eq);
                String text = part.substring(eq + 1);
                Object value = switch (text) {
                    case "none" -> null;
                    case "true" -> true;
                    case "false" -> false;
                    default -> Long.valueOf(text);
                };
                out.add(new Value(name, value));
            }
            return out;
        }
    }

    /**
     * One observed value of an outcome.
     *
     * @param name the term ({@code P:buf[0]}, {@code nic[1]}, {@code r1}), the event atom or {@code same(a,b)} atom,
     *     or {@code kernel}
     * @param value a {@code Long}, a {@code Boolean}, a {@code List<String>} of kernel reports, or null for none
     */
    public record Value(String name, Object value) {}

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
    public record Expected(Observation observation, List<String> violations, int line) {}

    /** Returns whether the condition's failing side is reachable: a satisfying exists/~exists, a failing forall. */
    public boolean failing() {
        return about.quantifier() == Quantifier.FORALL ? negative > 0 : positive > 0;
    }

    /** Returns whether the failing side holds in every final state. */
    public boolean alwaysFailing() {
        return about.quantifier() == Quantifier.FORALL ? positive == 0 && negative > 0
                : negative == 0 && positive > 0;
    }

    /** Returns what a matrix cell says, as text: {@code headline().text()}. */
    public String cell() {
        return headline().text();
    }

    /**
     * Returns what a matrix cell says: INCOMPLETE; the violation kinds (STALL, UAF, ...); REFUSED when the
     * kernel refused a GUP in every final state; the kernel events of any final state (CRASH, WARN, CSUM, EIO),
     * joined with the failure (DATA LOSS, ...) when the failing side is reachable, marked as happening in every run
     * when it does; else SAFE. Scenarios without a failure meaning show the observation instead of the failure.
     */
    public Cell headline() {
        List<String> none = List.of();
        if (NOT_ASKED.equals(notApplicable)) {
            return new Cell(Cell.Kind.NOT_ASKED, none, null, none, false);
        }
        if (notApplicable != null) {
            return new Cell(Cell.Kind.NOT_APPLICABLE, none, null, none, false);
        }
        if (!complete()) {
            return new Cell(Cell.Kind.INCOMPLETE, none, null, none, false);
        }
        if (!violations.isEmpty()) {
            return new Cell(Cell.Kind.VIOLATION, none, null, violations.stream().map(ViolationRow::kind).toList(),
                    false);
        }
        if (search.finalStates() > 0 && search.refusedFinals() == search.finalStates()) {
            return new Cell(Cell.Kind.REFUSED, none, null, none, false);
        }
        String failure = about.failure();
        if (failure == null) {
            return new Cell(Cell.Kind.OBSERVED, kernelEvents, observationWord(), none, false);
        }
        if (failing()) {
            return new Cell(Cell.Kind.FAILURE, kernelEvents, failure, none, alwaysFailing());
        }
        return new Cell(kernelEvents.isEmpty() ? Cell.Kind.SAFE : Cell.Kind.REPORTED, kernelEvents, null, none,
                false);
    }

    /**
     * Returns the result a mismatch has, in words ({@code expected Never, got Sometimes}), or null when the result
     * matches its expectation or there is none to judge by.
     */
    public String mismatch() {
        if (!Boolean.FALSE.equals(matches)) {
            return null;
        }
        if (expected.observation() != observation) {
            return "expected " + expected.observation().word() + ", got " + observationWord();
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
            case OK -> "as expected";
            case MISMATCH -> mismatch();
            case VIOLATION -> "an unexpected violation";
            case INCOMPLETE -> "not judged: the run is incomplete";
            case UNCHECKED -> "no expectation for this policy";
            case NOT_APPLICABLE, NOT_ASKED -> "not applicable: " + notApplicable;
        };
    }

    /** Returns the verdict: how the result stands against the scenario's expectation. */
    public Verdict verdict() {
        if (NOT_ASKED.equals(notApplicable)) {
            return Verdict.NOT_ASKED;
        }
        if (notApplicable != null) {
            return Verdict.NOT_APPLICABLE;
        }
        if (!complete()) {
            return Verdict.INCOMPLETE;
        }
        if (matches != null) {
            return matches ? Verdict.OK : Verdict.MISMATCH;
        }
        return violations.stream().anyMatch(v -> !v.expected()) ? Verdict.VIOLATION : Verdict.UNCHECKED;
    }
}
