package pinlab.scenario;

/**
 * A scenario that cannot be read: where, a stable code, what is wrong and how to fix it.
 *
 * <p>Codes are stable across releases; docs/scenario-format.md lists them.
 */
public final class ScenarioException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final int line;
    private final int col;
    private final String code;
    private final String hint;

    /** Creates an error at {@code file:line:col} with a stable {@code code}. */
    public ScenarioException(String file, int line, int col, String code, String message, String hint) {
        super(message);
        this.file = file;
        this.line = line;
        this.col = col;
        this.code = code;
        this.hint = hint;
    }

    /** Returns the file. */
    public String file() {
        return file;
    }

    /** Returns the 1-based line. */
    public int line() {
        return line;
    }

    /** Returns the 1-based column. */
    public int col() {
        return col;
    }

    /** Returns the stable error code, e.g. {@code PL012}. */
    public String code() {
        return code;
    }

    /** Returns a hint on how to fix it, or null. */
    public String hint() {
        return hint;
    }

    /** Returns the message as printed: {@code file:line:col: error CODE: message} and the hint. */
    public String render() {
        String s = file + ":" + line + ":" + col + ": error " + code + ": " + getMessage();
        return hint == null ? s : s + "\n  hint: " + hint;
    }
}
