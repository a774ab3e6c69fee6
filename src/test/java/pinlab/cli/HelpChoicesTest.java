package pinlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** Every option with a fixed set of values lists them in its help, from the values themselves. */
class HelpChoicesTest {
    /** Each subcommand class of Main, as picocli sees it. */
    static List<CommandLine> commands() throws ReflectiveOperationException {
        List<CommandLine> out = new ArrayList<>();
        for (Class<?> c : Main.class.getDeclaredClasses()) {
            if (c.isAnnotationPresent(CommandLine.Command.class)) {
                Constructor<?> make = c.getDeclaredConstructor();
                make.setAccessible(true);
                out.add(new CommandLine(make.newInstance()));
            }
        }
        return out;
    }

    @Test
    void everyEnumOption_namesItsChoicesInTheHelp() throws ReflectiveOperationException {
        int enums = 0;
        for (CommandLine cl : commands()) {
            String help = cl.getUsageMessage(CommandLine.Help.Ansi.OFF).replaceAll("\\s+", " ");
            for (OptionSpec o : cl.getCommandSpec().options()) {
                if (!o.type().isEnum()) {
                    continue;
                }
                enums++;
                String choices = Arrays.stream(o.type().getEnumConstants()).map(Object::toString)
                        .collect(Collectors.joining(", "));
                String name = cl.getCommandName() + " " + o.longestName();
                assertTrue(help.contains("One of " + choices + " (default: "), name + ": " + choices + ": " + help);
            }
        }
        // check --format and --traces, matrix --format, list --format, policies --format
        assertTrue(enums >= 5, "enum options found: " + enums);
    }

    @Test
    void checkHelp_listsItsFormatsAndTraces() {
        CliRun r = CliRun.run("check", "--help");
        assertEquals(0, r.code());
        String help = r.out().replaceAll("\\s+", " ");
        assertTrue(help.contains("--format=<format> One of text, json, jsonl, herd (default: text):"), help);
        assertTrue(help.contains("--traces=<traces> One of witness, all (default: witness):"), help);
        String matrix = CliRun.run("matrix", "--help").out().replaceAll("\\s+", " ");
        assertTrue(matrix.contains("One of text, markdown, json, html (default: text)."), matrix);
    }
}
