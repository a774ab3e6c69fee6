package pinlab.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import pinlab.policy.Policies;

/**
 * The corpus of bad scenarios (src/test/resources/bad): each file is named after the error code it must
 * produce, and must produce it as a clean error with a position, never as another exception.
 */
class ParserErrorsTest {
    static Stream<Path> badFiles() throws Exception {
        Path dir = Path.of("src/test/resources/bad");
        assertTrue(Files.isDirectory(dir), "missing " + dir);
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".pin")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFiles")
    void badScenario_givesTheCodeInItsName(Path file) throws Exception {
        String code = file.getFileName().toString().substring(0, 5);
        String text = Files.readString(file, StandardCharsets.UTF_8);
        try {
            Scenario sc = Parser.parse(file.toString(), text);
            new ScenarioModel(sc, Policies.host());
            fail("no error for " + file);
        } catch (ScenarioException e) {
            assertEquals(code, e.code(), e.render());
            assertTrue(e.line() >= 1 && e.col() >= 1, e.render());
        } catch (ScenarioModel.SetupBlocked e) {
            assertEquals("PL031", code, e.getMessage());
        }
    }
}
