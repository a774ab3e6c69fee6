package pinlab.engine;

import java.util.List;
import java.util.Map;

/**
 * What a search found.
 *
 * @param states distinct states reached
 * @param transitions steps taken (including those reaching known states)
 * @param finalStates final states (every thread finished)
 * @param positive final states where the condition's expression holds
 * @param negative final states where it does not
 * @param markedFinals final states the model marked (see {@link TransitionSystem.Outcome#marked()})
 * @param outcomes per outcome key: how many final states reach it, whether it satisfies the expression, and the
 *     thread schedule of the shortest run reaching it
 * @param violations per violation: the thread schedule of the shortest run reaching it
 * @param complete whether the whole state space was explored
 * @param stopReason why the search stopped early, or null
 * @param maxDepth the length of the longest shortest path
 * @param nanos time spent
 */
public record SearchResult(long states, long transitions, long finalStates, long positive, long negative,
        long markedFinals,
        Map<String, OutcomeStats> outcomes, Map<String, List<Integer>> violations, boolean complete, String stopReason,
        int maxDepth, long nanos) {

    /**
     * One outcome.
     *
     * @param count how many final states reach it
     * @param satisfied whether it satisfies the condition's expression
     * @param schedule the threads stepped, in order, along the shortest run reaching it
     * @param tags the model's tags of its final states, OR-ed
     */
    public record OutcomeStats(long count, boolean satisfied, List<Integer> schedule, int tags) {}

    /** Returns an estimate of the probability that a fingerprint collision hid a state, as TLC prints it. */
    public double collisionProbability() {
        double n = states;
        return Math.min(1.0, n * n / Math.pow(2, 65));
    }

    /** Returns this result with {@code time} as the time spent. */
    public SearchResult withNanos(long time) {
        return new SearchResult(states, transitions, finalStates, positive, negative, markedFinals, outcomes,
                violations, complete, stopReason, maxDepth, time);
    }

    /** Returns this result with {@code found} as its violations and their schedules. */
    public SearchResult withViolations(Map<String, List<Integer>> found) {
        return new SearchResult(states, transitions, finalStates, positive, negative, markedFinals, outcomes,
                found, complete, stopReason, maxDepth, nanos);
    }

    /** Returns the violation names, in the order first found. */
    public List<String> violationNames() {
        return List.copyOf(violations.keySet());
    }
}
