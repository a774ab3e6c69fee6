package pinlab.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One command line run in-process, as the CLI tests see it: its exit code and what it printed. */
record CliRun(int code, String out, String err) {
    /** Runs {@code pinlab ARGS...}. */
    static CliRun run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new CliRun(code, out.toString(), err.toString());
    }
}
