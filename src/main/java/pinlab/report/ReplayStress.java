package pinlab.report;

import java.util.List;
import java.util.Map;

/**
 * The free runs of one scenario ({@code pinlab replay --stress N}): its threads run on the real kernel with no
 * barrier between their steps, each its operations back to back, released together; klitmus7's histogram of the
 * real outcomes against the model's reachable ones. The counts are nondeterministic by nature.
 *
 * @param scenario the scenario's name
 * @param policy the policy the model used
 * @param unavailable why free runs cannot be made of this scenario (empty if they were made)
 * @param runs how many free runs were made
 * @param spread whether the threads could run on every CPU (else on the agent's one)
 * @param histogram per real outcome, how many runs showed it (outcomes sorted)
 * @param satisfied per real outcome, whether it satisfies the final condition's expression
 * @param predicted the outcomes the model reaches under the policy, with whether each satisfies it
 * @param notes what the agent reported on the way, once per distinct note
 * @param hostModel whether the policy is the model of the kernel the runs were made on ({@code host}); only then
 *     is a real outcome the model cannot reach a model bug, rather than a difference between two kernels
 */
public record ReplayStress(String scenario, String policy, List<String> unavailable, int runs, boolean spread,
        Map<String, Integer> histogram, Map<String, Boolean> satisfied, Map<String, Boolean> predicted,
        List<String> notes, boolean hostModel) {

    /** Returns whether free runs were made. */
    public boolean ran() {
        return unavailable.isEmpty();
    }

    /** Returns how many runs satisfy the condition's expression (klitmus7's positive count). */
    public int positive() {
        int n = 0;
        for (Map.Entry<String, Integer> e : histogram.entrySet()) {
            n += satisfied.get(e.getKey()) ? e.getValue() : 0;
        }
        return n;
    }

    /**
     * Returns the real outcomes the model says are unreachable: under the host's model each is a model bug (or a
     * replay bug); under another release's model, a difference between that release and this kernel.
     */
    public List<String> unpredicted() {
        return histogram.keySet().stream().filter(k -> !predicted.containsKey(k)).toList();
    }

    /** Returns Never, Sometimes or Always over the real runs. */
    public String observation() {
        return pinlab.scenario.Observation.of(positive(), runs - positive()).word();
    }
}
