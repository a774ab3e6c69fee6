package pinlab.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Installs the release archive that {@code mvn package} made (target/pinlab-VERSION.tar.gz) the way a user would,
 * by unpacking it, and runs its bin/pinlab on a machine without Maven: the environment is empty but for a PATH
 * of a few shell tools and a java, with no mvn, no JDK tools and no JAVA_HOME.
 */
class ReleaseArchiveIT {
    static final Path WORK = Path.of("target", "release-archive-it").toAbsolutePath();
    /** What the launcher may use besides java; the shebang needs env and bash. */
    static final List<String> TOOLS = List.of("env", "bash", "readlink", "mkdir", "mv", "rm", "flock");

    static String version;
    static Path root;
    static Path tools;
    static Path javaHome;

    @BeforeAll
    static void unpack() throws IOException {
        version = Command.property("pinlab.version");
        Path archive = Path.of(Command.property("pinlab.releaseArchive"));
        assertTrue(Files.isRegularFile(archive), archive + " is missing: mvn package makes it");
        Command.deleteTree(WORK);
        Files.createDirectories(WORK);
        Command.run(WORK, Map.of("PATH", "/usr/bin:/bin"), 120, List.of("tar", "xzf", archive.toString())).ok();
        root = WORK.resolve("pinlab-" + version);

        javaHome = Path.of(System.getProperty("java.home"));
        tools = WORK.resolve("tools");
        Files.createDirectories(tools);
        for (String t : TOOLS) {
            for (String dir : List.of("/usr/bin", "/bin")) {
                Path p = Path.of(dir, t);
                if (Files.isExecutable(p)) {
                    Files.createSymbolicLink(tools.resolve(t), p);
                    break;
                }
            }
        }
        Files.createSymbolicLink(tools.resolve("java"), javaHome.resolve("bin/java"));
        Files.createDirectories(WORK.resolve("home"));
    }

    /** The environment of a user with only {@code path} on PATH and a home of their own; no JAVA_HOME. */
    static Map<String, String> env(Path... path) {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", String.join(":", Stream.of(path).map(Path::toString).toList()));
        env.put("HOME", WORK.resolve("home").toString());
        env.put("PINLAB_NO_AOT", "1");
        env.put("LANG", "C.UTF-8");
        return env;
    }

    static Command pinlab(Map<String, String> env, String... args) {
        List<String> argv = new ArrayList<>();
        argv.add(root.resolve("bin/pinlab").toString());
        argv.addAll(List.of(args));
        return Command.run(root, env, 300, argv);
    }

    @Test
    void theArchive_holdsTheLauncherTheJarTheCorpusAndTheDocs() throws IOException {
        assertEquals("rwxr-xr-x",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("bin/pinlab"))));
        assertTrue(Files.isRegularFile(root.resolve("lib/pinlab.jar")));
        assertTrue(Files.isRegularFile(root.resolve("README.md")));
        for (String doc : List.of("architecture.md", "scenario-format.md", "json-schema.md", "kernel-facts.md")) {
            assertTrue(Files.isRegularFile(root.resolve("docs").resolve(doc)), doc);
        }
        assertEquals(names(Path.of("corpus")), names(root.resolve("corpus")));
        for (String t : List.of("mvn", "javac")) {
            assertFalse(Files.exists(tools.resolve(t)), t);
        }
    }

    static java.util.SortedSet<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".pin"))
                    .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void version_isThePomsVersion_inTheArchiveTheRunnableJarAndTheThinJar() throws IOException {
        assertEquals("pinlab " + version, pinlab(env(tools), "--version").ok().out().strip());
        // through a symbolic link in a directory on PATH, as the README suggests
        Path onPath = WORK.resolve("user-bin");
        Files.createDirectories(onPath);
        Files.deleteIfExists(onPath.resolve("pinlab"));
        Files.createSymbolicLink(onPath.resolve("pinlab"), root.resolve("bin/pinlab"));
        // env searches the PATH given (a bare name would be searched on this JVM's PATH)
        Command linked = Command.run(WORK, env(onPath, tools), 60,
                List.of(tools.resolve("env").toString(), "pinlab", "--version"));
        assertEquals("pinlab " + version, linked.ok().out().strip());
        Command jar = Command.run(WORK, env(tools), 60, List.of(javaHome.resolve("bin/java").toString(), "-jar",
                Path.of("target/pinlab.jar").toAbsolutePath().toString(), "--version"));
        assertEquals("pinlab " + version, jar.ok().out().strip());
        try (JarFile thin = new JarFile(Command.property("pinlab.thinJar"))) {
            assertEquals(version, thin.getManifest().getMainAttributes().getValue("Implementation-Version"));
        }
    }

    @Test
    void list_namesEveryBundledScenario() throws IOException {
        String out = pinlab(env(tools), "list").ok().out();
        for (String n : names(Path.of("corpus"))) {
            String name = n.substring(0, n.length() - ".pin".length());
            assertTrue(out.contains("\n" + name + " ") || out.startsWith(name + " "), name + " missing from:\n" + out);
        }
    }

    @Test
    void checkByName_findsTheBundledCorpus_andGivesEachPolicysResult() {
        Command c = pinlab(env(tools), "check", "fork-child-exits-first", "-q").ok();
        Map<String, String> result = new HashMap<>();
        for (String line : c.out().split("\n", -1)) {
            String[] cells = line.split("\\|", -1);
            if (cells.length > 7 && cells[0].strip().equals("fork-child-exits-first")) {
                result.put(cells[1].strip(), cells[2].strip());
                assertEquals("OK", cells[7].strip(), line);
            }
        }
        assertEquals(14, result.size(), c.out());
        assertEquals("SAFE", result.get("linux-5.8"));
        assertEquals("DATA LOSS", result.get("linux-5.9"));
        assertEquals("SAFE", result.get("linux-6.5"));
    }

    @Test
    void checkAFileOfTheUnpackedCorpus_andAMatrixWithItsReport() {
        Command c = pinlab(env(tools), "check", "corpus/fork-longterm-pin.pin", "-q").ok();
        assertTrue(c.out().contains("fork-longterm-pin | linux-5.9 "), c.out());
        Command m = pinlab(env(tools), "matrix", "--scenario", "fork-*", "--html",
                WORK.resolve("report.html").toString()).ok();
        assertTrue(m.out().contains("3 scenarios x 15 policies = 45 cells, 0 mismatched, 0 incomplete"), m.out());
        assertTrue(Files.isRegularFile(WORK.resolve("report.html")));
    }

    @Test
    void aJavaHomeOlderThan21_isPassedOver_forTheJavaOnPath() throws IOException {
        Path old = fakeJava("java17", "17.0.15");
        Map<String, String> env = env(tools);
        env.put("JAVA_HOME", old.toString());
        assertEquals("pinlab " + version, pinlab(env, "--version").ok().out().strip());
    }

    @Test
    void withNoJavaOnPath_theNewestUnderTheJvmDirectoryIsUsed() throws IOException {
        Path jvms = WORK.resolve("jvms");
        Files.createDirectories(jvms);
        fakeJava("jvms/java-17-fake", "17.0.15");
        Files.createSymbolicLink(jvms.resolve("a-real-one"), javaHome);
        Path shellOnly = shellOnly();
        Map<String, String> env = env(shellOnly);
        env.put("PINLAB_JDK_DIRS", jvms + " " + WORK.resolve("no-such-dir"));
        assertEquals("pinlab " + version, pinlab(env, "--version").ok().out().strip());
    }

    @Test
    void withoutAnyJava21_itSaysWhatItFoundAndWhatToDo() throws IOException {
        Path old = fakeJava("only17", "17.0.15");
        Map<String, String> env = env(shellOnly(), old.resolve("bin"));
        env.put("PINLAB_JDK_DIRS", WORK.resolve("no-such-dir").toString());
        Command c = pinlab(env, "list");
        assertEquals(2, c.code(), c.err());
        assertEquals("", c.out());
        assertTrue(c.err().startsWith("pinlab: needs a Java runtime >= 21 (JAVA_HOME is not set; the java on PATH is"
                + " Java 17; none >= 21 under "), c.err());
        assertTrue(c.err().contains("JAVA_HOME"), c.err());
    }

    @Test
    void theStartUpCache_isTrainedOnceInTheUsersCache_andChangesNoOutput() throws IOException {
        String plain = pinlab(env(tools), "check", "fork-child-exits-first", "-q", "--no-timings").ok().out();
        Path cache = WORK.resolve("cache");
        Map<String, String> env = env(tools);
        env.remove("PINLAB_NO_AOT");
        env.put("XDG_CACHE_HOME", cache.toString());
        assertEquals(plain, pinlab(env, "check", "fork-child-exits-first", "-q", "--no-timings").ok().out());
        List<Path> made;
        try (Stream<Path> s = Files.list(cache.resolve("pinlab"))) {
            made = s.filter(p -> p.toString().endsWith(".aot") || p.toString().endsWith(".jsa")).toList();
        }
        assertEquals(1, made.size(), made.toString());
        long size = Files.size(made.get(0));
        assertTrue(size > 0);
        assertEquals(plain, pinlab(env, "check", "fork-child-exits-first", "-q", "--no-timings").ok().out());
        // a cache directory that cannot be made: no cache, same output
        Files.writeString(WORK.resolve("a-file"), "");
        env.put("XDG_CACHE_HOME", WORK.resolve("a-file/cache").toString());
        assertEquals(plain, pinlab(env, "check", "fork-child-exits-first", "-q", "--no-timings").ok().out());
    }

    /** A directory with the shell tools and no java. */
    static Path shellOnly() throws IOException {
        Path dir = WORK.resolve("shell-only");
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            try (Stream<Path> s = Files.list(tools)) {
                for (Path t : s.filter(p -> !p.getFileName().toString().equals("java")).toList()) {
                    Files.createSymbolicLink(dir.resolve(t.getFileName()), Files.readSymbolicLink(t));
                }
            }
        }
        return dir;
    }

    /** A java home whose bin/java says it is {@code v} (as Java 17's does), without a release file. */
    static Path fakeJava(String name, String v) throws IOException {
        Path home = WORK.resolve(name);
        Files.createDirectories(home.resolve("bin"));
        Path java = home.resolve("bin/java");
        Files.writeString(java, "#!/bin/sh\necho 'openjdk version \"" + v + "\" 2025-04-15' >&2\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return home;
    }
}
