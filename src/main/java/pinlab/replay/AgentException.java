package pinlab.replay;

/** The agent failed, timed out or answered something unexpected during a replay. */
public final class AgentException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Creates the error. */
    public AgentException(String message) {
        super(message);
    }
}
