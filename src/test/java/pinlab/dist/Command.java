package pinlab.dist;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One external command as the packaging ITs run it: in a directory, with exactly the environment given (nothing
 * inherited), its exit code and what it printed on stdout and stderr.
 */
record Command(int code, String out, String err) {
    /** Runs {@code argv} in {@code dir} with the environment {@code env} only; fails the test after {@code seconds}. */
    static Command run(Path dir, Map<String, String> env, long seconds, List<String> argv) {
        try {
            Path out = Files.createTempFile("pinlab-it-out", ".txt");
            Path err = Files.createTempFile("pinlab-it-err", ".txt");
            try {
                ProcessBuilder pb = new ProcessBuilder(argv).directory(dir.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                        .redirectOutput(out.toFile()).redirectError(err.toFile());
                pb.environment().clear();
                pb.environment().putAll(env);
                Process p = pb.start();
                if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                    fail(argv + " did not finish in " + seconds + " s; stderr:\n" + Files.readString(err));
                }
                return new Command(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + argv + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + argv, e);
        }
    }

    /** Fails the test unless the command exited 0. */
    Command ok() {
        assertTrue(code == 0, "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err);
        return this;
    }

    /** A system property the pom hands to Failsafe, or a failed test that says so. */
    static String property(String name) {
        String v = System.getProperty(name);
        if (v == null || v.isEmpty() || v.startsWith("${")) {
            fail("system property " + name + " is not set: run this IT through Maven (mvn verify, scripts/test)");
        }
        return v;
    }

    /** Deletes a directory tree if it exists. */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
