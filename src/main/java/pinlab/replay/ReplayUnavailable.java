package pinlab.replay;

/** Replay cannot run on this machine: something it needs is missing. The message says what and how to get it. */
public final class ReplayUnavailable extends Exception {
    private static final long serialVersionUID = 1L;

    /** Creates the error with a message naming what is missing. */
    public ReplayUnavailable(String message) {
        super(message);
    }
}
