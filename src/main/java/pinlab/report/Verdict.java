package pinlab.report;

/**
 * How a result stands against the scenario's expectation. {@link #toString} is the word the reports print (OK,
 * MISMATCH, ..., N/A, NOT ASKED).
 */
public enum Verdict {
    /** The result matches the expectation (and no violation came unexpected). */
    OK("OK"),
    /** The observation or the violations differ from the expectation. */
    MISMATCH("MISMATCH"),
    /** No expectation for this policy, and a violation the scenario does not expect. */
    VIOLATION("VIOLATION"),
    /** No expectation for this policy, and nothing unexpected. */
    UNCHECKED("UNCHECKED"),
    /** A limit stopped the search: no result, neither matching nor contradicting anything. */
    INCOMPLETE("INCOMPLETE"),
    /** The scenario needs a newer kernel than the policy's; nothing was explored. */
    NOT_APPLICABLE("N/A"),
    /** A proposal column the scenario does not ask about; nothing was explored. */
    NOT_ASKED("NOT ASKED");

    private final String word;

    Verdict(String word) {
        this.word = word;
    }

    /** Returns whether this verdict fails a run: a mismatch or an unexpected violation. */
    public boolean fails() {
        return this == MISMATCH || this == VIOLATION;
    }

    /** Returns the word the reports print. */
    public String word() {
        return word;
    }

    @Override
    public String toString() {
        return word;
    }
}
