package pinlab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import pinlab.engine.Limits;
import pinlab.policy.Policies;
import pinlab.policy.Policy;
import pinlab.report.CheckResult;
import pinlab.scenario.Corpus;
import pinlab.scenario.Parser;
import pinlab.scenario.Scenario;
import pinlab.scenario.ScenarioException;

/**
 * Golden tests of the bundled corpus: under every policy a scenario names, the checker's observation must equal
 * the scenario's own expect line (written from kernel history and the seeds), with no violation it does not
 * expect; and the state and transition counts must equal the pinned ones in golden/corpus-counts.txt, so that a
 * change to the model's semantics or its canonical encoding cannot pass unnoticed.
 *
 * <p>Run with {@code -Dpinlab.updateGolden=true} to rewrite the counts after an intended change.
 */
class CorpusGoldenTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden/corpus-counts.txt");

    static Stream<Arguments> cases() throws ScenarioException {
        List<Arguments> out = new ArrayList<>();
        for (Corpus.Entry e : Corpus.bundled()) {
            Scenario sc = Parser.parse(e.file(), e.text());
            for (Scenario.Expectation x : sc.expectations()) {
                for (String p : x.policies()) {
                    out.add(Arguments.of(sc.name(), p, sc));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} under {1}")
    @MethodSource("cases")
    void corpusScenario_matchesItsExpectation(String name, String policy, Scenario sc) {
        CheckResult r = Pinlab.check(sc, Policies.resolve(policy), Limits.NONE, false);
        assertTrue(r.complete(), "exploration must finish");
        assertEquals(sc.expectationFor(policy).observation().word(), r.observationWord(),
                () -> name + " under " + policy + ": outcomes " + r.outcomes());
        assertTrue(r.violations().stream().allMatch(CheckResult.ViolationRow::expected),
                () -> "unexpected violations: " + r.violations());
        assertTrue(r.matches());
    }

    @Test
    void corpus_coversEveryPolicyAndTheIssuesCases() throws ScenarioException {
        List<Corpus.Entry> corpus = Corpus.bundled();
        assertTrue(corpus.size() >= 7, "bundled corpus has " + corpus.size() + " scenarios");
        for (Corpus.Entry e : corpus) {
            Scenario sc = Parser.parse(e.file(), e.text());
            assertFalse(sc.sources().isEmpty(), e.file() + " names no source");
            for (Policy p : Policies.all()) {
                if (sc.requires() != null && sc.requires().newerThan(Policies.versionOf(p))) {
                    assertEquals(null, sc.expectationFor(p.name()), e.file() + " requires " + sc.requires().version()
                            + " but expects a result under " + p.name());
                    continue;
                }
                assertNotNull(sc.expectationFor(p.name()), e.file() + " has no expectation for " + p.name());
            }
        }
    }

    @Test
    void corpusCounts_equalTheGoldenFile() throws Exception {
        Map<String, String> actual = new LinkedHashMap<>();
        for (Corpus.Entry e : Corpus.bundled()) {
            Scenario sc = Parser.parse(e.file(), e.text());
            for (Policy p : Policies.all()) {
                CheckResult r = Pinlab.check(sc, p, Limits.NONE, false);
                actual.put(sc.name() + " " + p.name(), "states=" + r.search().states() + " transitions=" + r.search().transitions()
                        + " finals=" + r.search().finalStates() + " observation=" + r.observationWord());
            }
        }
        StringBuilder sb = new StringBuilder();
        actual.forEach((k, v) -> sb.append(k).append(' ').append(v).append('\n'));
        if (Boolean.getBoolean("pinlab.updateGolden")) {
            Files.writeString(GOLDEN, sb.toString(), StandardCharsets.UTF_8);
        }
        assertEquals(read(GOLDEN), sb.toString(), "state counts changed; if intended, rerun with"
                + " -Dpinlab.updateGolden=true and review the diff");
    }

    private static String read(Path p) throws IOException {
        return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "(missing " + p + ")";
    }
}
