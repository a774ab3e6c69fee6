package pinlab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static pinlab.cli.CliRun.run;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input and output paths: every one gives a clean error with file:line:col and a code, exit 2 (or 3 for a
 * limit), never a stack trace or a hang; a limit never passes for a result.
 */
class RobustnessTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    private static final String HEAD = """
            name r
            process P
            setup {
              P: mmap buf 1 rw private
            }
            thread T @ P {
              buf[0] = 1
            }
            """;

    private static void clean(CliRun r, String code) {
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("error " + code), r.err());
        assertFalse(r.err().contains("internal error"), r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("    at "), r.err());
    }

    @Test
    void deepOrLongConditions_areRefusedWithTheirCode() throws Exception {
        clean(run("check", write("paren.pin", HEAD + "exists " + "(".repeat(3000) + "true" + ")".repeat(3000)
                + "\n").toString()), "PL039");
        clean(run("check", write("not.pin", HEAD + "exists (" + "~".repeat(6000) + "true)\n").toString()), "PL039");
        StringBuilder flat = new StringBuilder("exists (P:buf[0] = 1");
        for (int i = 0; i < 6000; i++) {
            flat.append(" /\\ P:buf[0] = 1");
        }
        clean(run("check", write("flat.pin", HEAD + flat + ")\n").toString()), "PL039");
        // within the limits is fine
        assertEquals(0, run("check", write("ok.pin", HEAD + "exists " + "(".repeat(60) + "P:buf[0] = 1"
                + ")".repeat(60) + "\n").toString()).code());
    }

    @Test
    void unreadableInputs_arePL000_withTheReason() throws Exception {
        Path utf = dir.resolve("bad.pin");
        Files.write(utf, "name x\n# caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        CliRun r = run("check", utf.toString());
        clean(r, "PL000");
        assertTrue(r.err().contains(utf + ":2:6: error PL000: not UTF-8"), r.err());

        Path folder = dir.resolve("f");
        Files.createDirectories(folder.resolve("sub.pin"));
        Files.createSymbolicLink(folder.resolve("dangling.pin"), dir.resolve("nothing"));
        Files.createSymbolicLink(folder.resolve("loop.pin"), folder.resolve("loop.pin"));
        r = run("check", folder.toString());
        clean(r, "PL000");
        assertTrue(r.err().contains("sub.pin:1:1: error PL000: not a regular file: a directory"), r.err());
        assertTrue(r.err().contains("dangling.pin:1:1: error PL000: a symbolic link to nothing"), r.err());
        assertTrue(r.err().contains("loop.pin:1:1: error PL000: a loop of symbolic links"), r.err());

        clean(run("check", "/dev/null"), "PL000");
        assertTrue(run("check", "/dev/null").err().contains("a character device"));
        clean(run("check", dir.resolve("missing.pin").toString()), "PL000");
    }

    @Test
    void aFifo_isRefused_withoutBlocking() throws Exception {
        Path folder = dir.resolve("fifo");
        Files.createDirectories(folder);
        Path fifo = folder.resolve("f.pin");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, mk.waitFor());
        CliRun r = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> run("check", folder.toString()));
        clean(r, "PL000");
        assertTrue(r.err().contains("a fifo"), r.err());
    }

    @Test
    void aHugeFile_isPL040_andNeverRead() throws Exception {
        Path big = dir.resolve("big.pin");
        Files.write(big, ";".repeat(2 << 20).getBytes(StandardCharsets.US_ASCII));
        clean(run("check", big.toString()), "PL040");
    }

    @Test
    void outputs_neverOverwriteAnInput_andFailCleanly() throws Exception {
        Path in = write("in.pin", HEAD + "exists (P:buf[0] = 1)\n");
        String before = Files.readString(in);
        CliRun r = run("check", in.toString(), "-o", in.toString());
        assertEquals(2, r.code());
        assertEquals(before, Files.readString(in), "the scenario is untouched");
        assertEquals(2, run("check", in.toString(), "-o", dir.resolve("no/such/out.txt").toString()).code());
        assertEquals(2, run("check", in.toString(), "-o", dir.toString()).code());
        assertEquals(2, run("check", in.toString(), "-o", "/dev/full").code());
        CliRun m = run("matrix", in.toString(), "--policies", "linux-6.18", "--html", dir.resolve("x/r.html").toString());
        assertEquals(2, m.code(), m.err());
        assertFalse(m.err().contains("internal error"), m.err());
    }

    @Test
    void checkingNothing_isExit2() throws Exception {
        Path empty = dir.resolve("empty");
        Files.createDirectories(empty);
        CliRun r = run("check", empty.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no scenario file (*.pin) in this folder"), r.err());
    }

    @Test
    void errorColumns_countCodePoints() throws Exception {
        // two emoji (four UTF-16 units) before the bad character: it is in column 12 (docs: code points)
        CliRun r = run("check", write("cols.pin", "name c\ntitle \"\uD83D\uDE00\uD83D\uDE00\" \u0001\n").toString());
        assertTrue(r.err().contains(":2:12: error PL001: unexpected character U+0001"), r.err());
    }

    @Test
    void badLimits_areUsageErrors() throws Exception {
        Path in = write("in.pin", HEAD + "exists (P:buf[0] = 1)\n");
        for (String[] bad : new String[][] {{"--max-states", "-5"}, {"--max-seconds", "-1"},
                {"--max-seconds", "NaN"}, {"--max-seconds", "1e999"}, {"--workers", "-1"}, {"--workers", "257"}}) {
            CliRun r = run("check", in.toString(), bad[0], bad[1]);
            assertEquals(2, r.code(), String.join(" ", bad) + ": " + r.err());
        }
        assertEquals(2, run("matrix", in.toString(), "--max-states", "-1", "--no-html").code());
        assertEquals(2, run("bisect", in.toString(), "--max-states", "-1").code());
        CliRun swarm = run("check", in.toString(), "--swarm");
        assertEquals(2, swarm.code());
        assertTrue(swarm.err().contains("--swarm needs --simulate N"), swarm.err());
    }

    @Test
    void aLimit_neverPassesForAResult() throws Exception {
        Path in = write("lim.pin", HEAD.replace("  buf[0] = 1\n", "  buf[0] = 1\n  buf[0] = 2\n")
                + "thread U @ P {\n  buf[1] = 3\n  buf[1] = 4\n}\nforall (P:buf[0] = 2)\n"
                + "expect linux-2.6, linux-6.18: Always\n");
        CliRun b = run("bisect", in.toString(), "--max-states", "3");
        assertEquals(3, b.code(), b.out() + b.err());
        assertTrue(b.out().contains("INCOMPLETE"), b.out());
        assertFalse(b.out().contains("deciding"), "no flip next to an incomplete cell: " + b.out());
        CliRun j = run("check", in.toString(), "--policy", "linux-6.18", "--max-states", "3", "--format", "json");
        assertEquals(3, j.code());
        assertTrue(j.out().contains("\"observation\" : null"), j.out());
        assertTrue(j.out().contains("\"kind\" : \"INCOMPLETE\""), j.out());
        assertTrue(j.out().contains("\"matches\" : null"), j.out());
        CliRun m = run("matrix", in.toString(), "--policies", "linux-2.6,linux-6.18", "--max-states", "3", "--no-html");
        assertEquals(3, m.code());
        assertTrue(m.out().contains("0 mismatched, 2 incomplete"), m.out());
        assertFalse(m.out().contains("INCOMPLETE !("), m.out());
        CliRun c = run("compare", in.toString(), "--policies", "linux-2.6,linux-6.18", "--max-states", "3");
        assertEquals(3, c.code());
    }

    @Test
    void scenarioText_cannotDriveTheTerminal() throws Exception {
        Path in = write("esc.pin", "name e\ntitle \"\u001b[2J\u001b[HALL SAFE \u202e|x\"\n" + HEAD.substring(7)
                + "exists (P:buf[0] = 1)\n");
        CliRun r = run("check", in.toString());
        assertFalse(r.out().contains("\u001b"), r.out());
        assertFalse(r.out().contains("\u202e"), r.out());
        assertTrue(r.out().contains("\\u001b[2J"), r.out());
        CliRun md = run("matrix", write("pipe.pin", HEAD.replace("name r", "name r\ntopic \"a|b\"")
                + "exists (P:buf[0] = 1)\n").toString(), "--policies", "linux-6.18", "--format", "markdown",
                "--no-html");
        assertTrue(md.out().contains("| a\\|b | `r` |"), md.out());
    }

    @Test
    void simulation_isNeverSafe_andFindsAndShrinksViolations() throws Exception {
        Path in = write("sim.pin", HEAD.replace("  buf[0] = 1\n", "  buf[0] = 1\n  buf[0] = 2\n")
                + "thread U @ P {\n  buf[1] = 3\n}\nforall (P:buf[0] = 2)\nexpect linux-6.18: Always\n");
        CliRun r = run("check", in.toString(), "--simulate", "50", "--seed", "7", "--no-timings");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("==  INCOMPLETE \u2014 not judged"), r.out());
        assertTrue(r.out().contains("simulation: 50 random run(s) from seed 7"), r.out());
        assertTrue(r.out().contains("not judged: the run is incomplete"), r.out());
        assertFalse(r.out().contains("SAFE"), r.out());
        assertEquals(r.out(), run("check", in.toString(), "--simulate", "50", "--seed", "7", "--no-timings").out(),
                "the same seed gives the same runs");
        // a scenario whose every run deadlocks: the violation is found, shrunk, and the exit code says so
        Path dl = write("dl.pin", HEAD.replace("  buf[0] = 1\n", "  buf[0] = 1\n  await never\n")
                + "exists (true)\n");
        CliRun d = run("check", dl.toString(), "--simulate", "5");
        assertEquals(1, d.code(), d.out());
        assertTrue(d.out().contains("Violation deadlock"), d.out());
        assertEquals(2, run("check", dl.toString(), "--simulate", "-1").code());
    }

    @Test
    void shards_mergeIntoTheSameMatrix() throws Exception {
        Path full = dir.resolve("full.json");
        assertEquals(0, run("matrix", "--format", "json", "--no-timings", "--no-html", "-o", full.toString()).code());
        List<String> parts = new java.util.ArrayList<>(List.of("merge"));
        for (int i = 2; i >= 0; i--) {
            Path part = dir.resolve("s" + i + ".json");
            CliRun r = run("matrix", "--format", "json", "--no-timings", "--no-html", "--shard", i + "/3", "-o",
                    part.toString());
            assertEquals(0, r.code(), r.err());
            parts.add(part.toString());
        }
        Path merged = dir.resolve("merged.json");
        parts.add("-o");
        parts.add(merged.toString());
        assertEquals(0, run(parts.toArray(String[]::new)).code());
        assertEquals(Files.readString(full), Files.readString(merged), "byte for byte");
        assertEquals(2, run("matrix", "--shard", "3/3", "--no-html").code());
        assertEquals(2, run("matrix", "--shard", "x", "--no-html").code());
    }
}
