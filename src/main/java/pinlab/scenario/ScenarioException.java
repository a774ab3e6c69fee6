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
    /** The source line the error is on, when known (see {@link #withSource}). */
    private final String source;

    /** Creates an error at {@code file:line:col} with a stable {@code code}. */
    public ScenarioException(String file, int line, int col, String code, String message, String hint) {
        this(file, line, col, code, message, hint, null);
    }

    private ScenarioException(String file, int line, int col, String code, String message, String hint,
            String source) {
        super(message);
        this.file = file;
        this.line = line;
        this.col = col;
        this.code = code;
        this.hint = hint;
        this.source = source;
    }

    /** Returns this error with its line taken from the scenario text {@code text}, to show it with a caret. */
    public ScenarioException withSource(String text) {
        if (source != null || line < 1) {
            return this;
        }
        String[] lines = text.split("\r?\n|\r", -1);
        if (line > lines.length) {
            return this;
        }
        ScenarioException e = new ScenarioException(file, line, col, code, getMessage(), hint, lines[line - 1]);
        e.setStackTrace(getStackTrace());
        return e;
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
        StringBuilder s = new StringBuilder(file + ":" + line + ":" + col + ": error " + code + ": " + getMessage());
        if (source != null) {
            // the line as it reads, one display cell per code point (tabs and control characters as one), and a
            // caret under the column the error is at
            StringBuilder shown = new StringBuilder();
            source.codePoints().forEach(c -> shown.appendCodePoint(c == '\t' ? ' ' : Character.isISOControl(c)
                    ? '?' : c));
            String gutter = Integer.toString(line);
            s.append('\n').append(' ').append(gutter).append(" | ").append(shown.toString().stripTrailing());
            int before = Math.max(0, Math.min(col - 1, shown.codePointCount(0, shown.length())));
            s.append('\n').append(" ".repeat(gutter.length() + 1)).append(" | ").append(" ".repeat(before)).append('^');
        }
        return hint == null ? s.toString() : s + "\n  hint: " + hint;
    }
}
