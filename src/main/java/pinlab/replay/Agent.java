package pinlab.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The native agent (native/pinlab-agent.c) as a Java object: it is built on first use, started in a fresh
 * temporary directory, spoken to in the line protocol of docs/replay-protocol.md, and always shut down.
 */
public final class Agent implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String EOF = "\u0000eof";

    /** The prefix of every replay work directory in the temporary folder. */
    static final String DIR_PREFIX = "pinlab-replay-";
    /** The file in a work directory that names the Java process owning it. */
    static final String OWNER = "owner.pid";

    /** The agents this JVM runs, closed by a shutdown hook if the JVM is stopped (SIGTERM, SIGINT). */
    private static final java.util.Set<Agent> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Agent::close), "pinlab-agent-cleanup"));
    }

    private final Process proc;
    private final OutputStream in;
    private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
    private final Path workdir;
    private final Path bin;
    private final long timeoutMs;

    private Agent(Process proc, Path bin, Path workdir, long timeoutMs) {
        this.proc = proc;
        this.bin = bin;
        this.in = proc.getOutputStream();
        this.workdir = workdir;
        this.timeoutMs = timeoutMs;
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    replies.add(line);
                }
            } catch (IOException e) {
                // the agent went away; EOF below tells the waiter
            }
            replies.add(EOF);
        }, "pinlab-agent-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** The protocol version of docs/replay-protocol.md this client speaks. */
    static final int PROTOCOL = 2;

    /** Returns the repository root this build runs from (where native/ and target/ are). */
    static Path home() throws ReplayUnavailable {
        String prop = System.getProperty("pinlab.home");
        if (prop != null) {
            return Path.of(prop);
        }
        try {
            Path code = Path.of(Agent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = code; p != null; p = p.getParent()) {
                if (Files.isRegularFile(p.resolve("native/pinlab-agent.c"))) {
                    return p;
                }
            }
        } catch (URISyntaxException | SecurityException e) {
            throw new ReplayUnavailable("cannot locate pinlab's native/ folder: " + e.getMessage());
        }
        throw new ReplayUnavailable("cannot find native/pinlab-agent.c next to this pinlab build;"
                + " run pinlab from its repository or set -Dpinlab.home");
    }

    /**
     * Returns whether the agent binary is older than any of its inputs: native/build.sh, native/sources.txt and
     * every source that list names.
     */
    private static boolean stale(Path home, java.nio.file.attribute.FileTime built) throws IOException {
        Path dir = home.resolve("native");
        List<Path> inputs = new java.util.ArrayList<>(List.of(dir.resolve("build.sh"), dir.resolve("sources.txt")));
        for (String line : Files.readAllLines(dir.resolve("sources.txt"), StandardCharsets.UTF_8)) {
            String name = line.replaceFirst("#.*", "").strip();
            if (!name.isEmpty()) {
                inputs.add(dir.resolve(name));
            }
        }
        for (Path p : inputs) {
            if (Files.getLastModifiedTime(p).compareTo(built) > 0) {
                return true;
            }
        }
        return false;
    }

    /** Checks what replay needs and builds the agent if it is missing or stale; returns the binary. */
    public static Path prepare() throws ReplayUnavailable {
        List<String> missing = Preflight.missing();
        if (!missing.isEmpty()) {
            throw new ReplayUnavailable("pinlab replay cannot run here. Missing:\n  - "
                    + String.join("\n  - ", missing));
        }
        Path home = home();
        Path bin = home.resolve("target/native/pinlab-agent");
        try {
            if (!Files.isExecutable(bin) || stale(home, Files.getLastModifiedTime(bin))) {
                Files.createDirectories(bin.getParent());
                Process b = new ProcessBuilder("bash", home.resolve("native/build.sh").toString(), bin.toString())
                        .redirectErrorStream(true).start();
                String out = new String(b.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!b.waitFor(120, TimeUnit.SECONDS) || b.exitValue() != 0) {
                    throw new ReplayUnavailable("building the native agent failed:\n" + out.strip());
                }
            }
        } catch (IOException e) {
            throw new ReplayUnavailable("building the native agent failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ReplayUnavailable("interrupted while building the native agent");
        }
        return bin;
    }

    /** Starts the agent in a fresh temporary directory. */
    public static Agent start(Path bin, long stepTimeoutMs) throws AgentException {
        try {
            Path dir = Files.createTempDirectory(DIR_PREFIX);
            Files.writeString(dir.resolve(OWNER), Long.toString(ProcessHandle.current().pid()),
                    StandardCharsets.US_ASCII);
            Process p = new ProcessBuilder(bin.toString(), "--workdir", dir.toString(), "--step-timeout-ms",
                    Long.toString(stepTimeoutMs)).redirectError(dir.resolve("agent.stderr").toFile()).start();
            Agent a = new Agent(p, bin, dir, stepTimeoutMs + 2000);
            LIVE.add(a);
            JsonNode hello = a.call("hello");
            if (hello.path("protocol").asInt() != PROTOCOL) {
                a.close();
                throw new AgentException("the agent speaks protocol " + hello.path("protocol") + ", not "
                        + PROTOCOL);
            }
            return a;
        } catch (IOException e) {
            throw new AgentException("cannot start the agent: " + e.getMessage());
        }
    }

    /** Sends one command line and returns its reply, failing if the reply is not ok. */
    public JsonNode call(String line) throws AgentException {
        JsonNode r = request(line);
        if (!r.path("ok").asBoolean()) {
            throw new AgentException("agent: '" + line + "' failed: " + r.path("error").asText(r.toString()));
        }
        return r;
    }

    /** Sends one command line and returns its reply, ok or not. */
    public JsonNode request(String line) throws AgentException {
        if (line.indexOf('\n') >= 0) {
            throw new AgentException("a command is one line");
        }
        try {
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
            String reply = replies.poll(timeoutMs, TimeUnit.MILLISECONDS);
            if (reply == null) {
                throw new AgentException("agent: no reply to '" + line + "' within " + timeoutMs + " ms");
            }
            if (reply.equals(EOF)) {
                throw new AgentException("agent died during '" + line + "'" + stderrTail());
            }
            return JSON.readTree(reply);
        } catch (IOException e) {
            throw new AgentException("agent: " + e.getMessage() + stderrTail());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException("interrupted");
        }
    }

    private String stderrTail() {
        try {
            String s = Files.readString(workdir.resolve("agent.stderr"), StandardCharsets.UTF_8).strip();
            return s.isEmpty() ? "" : "\n" + s.substring(Math.max(0, s.length() - 2000));
        } catch (IOException e) {
            return "";
        }
    }

    /** Shuts the agent down (it kills its processes and unmounts), then removes the temporary directory. */
    @Override
    public void close() {
        try {
            if (proc.isAlive()) {
                in.write("shutdown\n".getBytes(StandardCharsets.UTF_8));
                in.flush();
                if (!proc.waitFor(10, TimeUnit.SECONDS)) {
                    proc.destroy();
                    if (!proc.waitFor(5, TimeUnit.SECONDS)) {
                        proc.destroyForcibly();
                    }
                }
            }
        } catch (IOException e) {
            proc.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            proc.destroyForcibly();
        }
        if (!proc.isAlive() && proc.exitValue() != 0) {
            // it died or was killed: an agent on the same directory detaches what it left (mounts, loop devices)
            cleanUp(bin, workdir);
        }
        deleteTree(workdir);
        LIVE.remove(this);
    }

    /** Starts an agent on a work directory a dead agent left, which removes its leftovers, and shuts it down. */
    private static void cleanUp(Path bin, Path dir) {
        try {
            Process p = new ProcessBuilder(bin.toString(), "--workdir", dir.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            p.getOutputStream().write("shutdown\n".getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            // nothing more can be done from here
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Removes the work directories of replays whose Java process is gone (killed with SIGKILL, so neither it nor
     * its shutdown hook could clean up): their agents' leftovers first, then the directories. A directory whose
     * owner is alive, or that names no owner, is never touched. Returns how many were removed.
     */
    public static int sweep(Path bin) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        int removed = 0;
        List<Path> dirs;
        try (Stream<Path> s = Files.list(tmp)) {
            dirs = s.filter(d -> d.getFileName().toString().startsWith(DIR_PREFIX) && Files.isDirectory(d,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList();
        } catch (IOException e) {
            return 0;
        }
        for (Path d : dirs) {
            long owner;
            try {
                owner = Long.parseLong(Files.readString(d.resolve(OWNER), StandardCharsets.US_ASCII).strip());
            } catch (IOException | NumberFormatException e) {
                continue;
            }
            if (ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false)) {
                continue;
            }
            cleanUp(bin, d);
            deleteTree(d);
            removed += Files.exists(d) ? 0 : 1;
        }
        return removed;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a leftover temporary directory is harmless; the agent already unmounted
        }
    }
}
