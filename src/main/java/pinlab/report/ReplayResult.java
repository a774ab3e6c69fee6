package pinlab.report;

import java.util.List;
import java.util.Map;

/**
 * The result of replaying one scenario's interleavings on the real kernel and comparing them with the model.
 *
 * @param scenario the scenario's name
 * @param file its file
 * @param policy the policy the model used (the host's)
 * @param kernel the kernel release the agent reported
 * @param problems why (parts of) the scenario cannot be replayed; non-empty means skipped
 * @param runs one row per outcome of the replay-restricted model: replayed, or found not realisable
 * @param unreached outcomes the full model reaches but the replay-restricted model cannot (the real kernel
 *     cannot separate some steps, and its disk writes complete at once), so nobody replayed them
 * @param agree runs whose real outcome and page identities equal the model's
 * @param disagree runs that differ
 */
public record ReplayResult(String scenario, String file, String policy, String kernel, List<String> problems,
        List<Run> runs, List<String> unreached, int agree, int disagree) {

    /**
     * One replayed schedule.
     *
     * @param modelOutcome the outcome the model predicts for this schedule
     * @param realOutcomes what the kernel showed, with how many repetitions showed it
     * @param modelPages page identity the model predicts: per mapped page, an identity class and whether it
     *     is mapped once
     * @param realPages the same, read from /proc/PID/pagemap (first repetition)
     * @param agree whether every repetition matched the model
     * @param trace the schedule as a trace
     * @param notes what the agent reported on the way (process deaths, failed calls, kernel log lines)
     * @param notRealisable why this outcome could not be replayed (no schedule to it is one user space can
     *     force: the first step of the model's schedule that is not), or null if it was; such a run is neither an
     *     agreement nor a disagreement
     */
    public record Run(String modelOutcome, Map<String, Integer> realOutcomes, Map<String, String> modelPages,
            Map<String, String> realPages, boolean agree, Trace trace, List<String> notes, String notRealisable) {

        /** Returns whether the run was replayed (rather than found not realisable). */
        public boolean replayed() {
            return notRealisable == null;
        }
    }

    /** Returns whether the scenario was skipped as not replayable. */
    public boolean skipped() {
        return !problems.isEmpty();
    }

    /** Returns how many of the model's outcomes could not be replayed (see {@link Run#notRealisable()}). */
    public int notRealisable() {
        return (int) runs.stream().filter(r -> !r.replayed()).count();
    }
}
