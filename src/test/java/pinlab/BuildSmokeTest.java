package pinlab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import pinlab.cli.Main;

/** Placeholder test proving the build, Error Prone and Surefire are wired up; replace freely. */
class BuildSmokeTest {

    @Test
    void helpMentionsTheCommandName() {
        StringWriter out = new StringWriter();
        CommandLine cmd = new CommandLine(new Main());
        cmd.setOut(new PrintWriter(out, true));
        int exit = cmd.execute("--help");
        assertEquals(0, exit);
        assertTrue(out.toString().contains("pinlab"), out::toString);
    }
}
