package pinlab.scenario;

/** How often the final condition holds over the reachable final states, as herd7 reports it. */
public enum Observation {
    /** In no final state. */
    NEVER,
    /** In some but not all final states. */
    SOMETIMES,
    /** In every final state. */
    ALWAYS;

    /** Returns the observation for the given counts of final states that satisfy and do not satisfy. */
    public static Observation of(long positive, long negative) {
        if (positive == 0) {
            return NEVER;
        }
        return negative == 0 ? ALWAYS : SOMETIMES;
    }

    /** Returns the word used in scenarios and reports: Never, Sometimes, Always. */
    public String word() {
        return switch (this) {
            case NEVER -> "Never";
            case SOMETIMES -> "Sometimes";
            case ALWAYS -> "Always";
        };
    }
}
