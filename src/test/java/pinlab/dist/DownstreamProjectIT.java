package pinlab.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Builds examples/downstream, a separate Maven project that depends on pinlab's coordinates, against the thin jar
 * and pom this build just made, and runs its JUnit tests.
 *
 * <p>{@code mvn verify} installs nothing, so the IT installs the two files itself into a local repository of its
 * own (the layout `mvn install` writes: groupId path, artifactId, version, the jar and the pom as is). Everything
 * else (pinlab's dependencies, JUnit, the plugins) comes from the local repository this build runs with, read
 * as a file:// mirror of every remote repository, with Maven offline: nothing is fetched and nothing is written
 * to the user's ~/.m2. A project that resolves pinlab's dependencies wrongly, or finds them twice, fails here.
 */
class DownstreamProjectIT {
    static final Path WORK = Path.of("target", "downstream-it").toAbsolutePath();
    static final Path EXAMPLE = Path.of("examples", "downstream").toAbsolutePath();

    @Test
    void theDownstreamProject_buildsAgainstPinlabsCoordinates_andItsTestsPass() throws IOException {
        String group = Command.property("pinlab.groupId");
        String artifact = Command.property("pinlab.artifactId");
        String version = Command.property("pinlab.version");
        Path thinJar = Path.of(Command.property("pinlab.thinJar"));
        Path pom = Path.of(Command.property("pinlab.pom"));
        Path userRepo = Path.of(Command.property("pinlab.localRepository"));
        Path mvn = Path.of(Command.property("pinlab.mavenHome"), "bin", "mvn");
        assertTrue(Files.isExecutable(mvn), mvn + " is not executable");

        // the example names the version it was written for: it must be this one
        Matcher declared = Pattern.compile("<pinlab.version>([^<]+)</pinlab.version>")
                .matcher(Files.readString(EXAMPLE.resolve("pom.xml")));
        assertTrue(declared.find());
        assertEquals(version, declared.group(1), "examples/downstream/pom.xml: update pinlab.version");

        String pomText = Files.readString(pom);
        for (String dep : List.of("picocli", "jackson-databind", "fastutil-core", "hash4j", "progressbar")) {
            assertTrue(pomText.contains("<artifactId>" + dep + "</artifactId>"), pom + " (the pom mvn install"
                    + " installs) does not declare " + dep);
        }

        Command.deleteTree(WORK);
        Path repo = WORK.resolve("repo");
        Path dir = repo.resolve(group.replace('.', '/')).resolve(artifact).resolve(version);
        Files.createDirectories(dir);
        String base = artifact + "-" + version;
        Files.copy(thinJar, dir.resolve(base + ".jar"));
        Files.copy(pom, dir.resolve(base + ".pom"));
        // marks both as installed here rather than downloaded from some repository
        Files.writeString(dir.resolve("_remote.repositories"), base + ".jar>=\n" + base + ".pom>=\n");

        Path settings = WORK.resolve("settings.xml");
        Files.writeString(settings, """
                <settings>
                  <localRepository>%s</localRepository>
                  <mirrors>
                    <mirror>
                      <id>this-machine</id>
                      <mirrorOf>*</mirrorOf>
                      <url>%s</url>
                    </mirror>
                  </mirrors>
                </settings>
                """.formatted(repo, userRepo.toUri()));

        Path project = WORK.resolve("project");
        copyTree(EXAMPLE, project);

        Path java = Path.of(System.getProperty("java.home"));
        Map<String, String> env = new HashMap<>();
        env.put("PATH", java.resolve("bin") + ":/usr/bin:/bin");
        env.put("JAVA_HOME", java.toString());
        env.put("HOME", System.getProperty("user.home"));
        env.put("LANG", "C.UTF-8");
        if (Runtime.version().feature() >= 24) {
            env.put("MAVEN_OPTS", "--sun-misc-unsafe-memory-access=allow");   // Maven 3.8's Guava on JDK 24+
        }
        Command c = Command.run(project, env, 600, List.of(mvn.toString(), "-B", "-o", "-q",
                "-Daether.offline.protocols=file", "-s", settings.toString(), "-gs", settings.toString(),
                "-Dpinlab.version=" + version, "test"));
        c.ok();

        String report = Files.readString(project.resolve(
                "target/surefire-reports/TEST-com.example.storage.PinScenariosTest.xml"));
        Matcher suite = Pattern.compile("<testsuite [^>]*\\btests=\"(\\d+)\" errors=\"(\\d+)\" skipped=\"(\\d+)\""
                + " failures=\"(\\d+)\"").matcher(report);
        assertTrue(suite.find(), report);
        assertEquals(List.of("5", "0", "0", "0"),
                List.of(suite.group(1), suite.group(2), suite.group(3), suite.group(4)), report);
        // the downstream build resolved pinlab from the repository the IT laid out, and its dependencies too
        assertTrue(Files.isDirectory(repo.resolve("info/picocli/picocli")), "picocli was not resolved through"
                + " pinlab's pom");
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path rel = from.relativize(p);
                if (rel.toString().startsWith("target")) {
                    continue;
                }
                Path dest = to.resolve(rel.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
