package pinlab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import pinlab.engine.Limits;
import pinlab.policy.Policies;
import pinlab.policy.Policy;
import pinlab.report.CheckResult;
import pinlab.report.JsonReport;
import pinlab.report.Matrix;
import pinlab.scenario.Generator;
import pinlab.scenario.Parser;
import pinlab.scenario.Scenario;
import pinlab.scenario.ScenarioException;
import pinlab.scenario.ScenarioModel;

/**
 * Differential determinism: generated scenarios ({@link Generator}) checked twice give the same result, field for
 * field (timing aside), and a matrix on one worker thread gives the same cells as on two. The number of scenarios
 * is the system property {@code pinlab.diff.count} (default 1,000), e.g.
 * {@code scripts/test -o -DskipITs -Dtest=DifferentialTest -Dpinlab.diff.count=2000}; {@code pinlab.diff.start}
 * (default 0) is the first seed.
 */
class DifferentialTest {
    private static final int COUNT = Integer.getInteger("pinlab.diff.count", 1000);
    private static final long START = Long.getLong("pinlab.diff.start", 0L);
    private static final Limits LIMITS = new Limits(200_000, 0);
    private static final List<String> POLICIES = List.of("linux-2.6", "linux-5.9", "linux-6.18");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Scenario parse(long seed) {
        String text = Generator.generate(seed, Generator.Bounds.DEFAULT);
        try {
            return Parser.parse(Generator.name(seed) + ".pin", text);
        } catch (ScenarioException e) {
            throw new AssertionError("seed " + seed + ": " + e.render() + "\n" + text, e);
        }
    }

    /** A check, or the message of the setup error it raised (which must then be raised again). */
    private static Object check(Scenario sc, Policy p, boolean allTraces) {
        try {
            return Pinlab.check(sc, p, LIMITS, allTraces);
        } catch (ScenarioModel.SetupBlocked e) {
            return "SetupBlocked: " + e.getMessage();
        }
    }

    /** Returns the JSON report of {@code r} with every timing field removed. */
    static String untimedJson(CheckResult r) {
        try {
            JsonNode root = JSON.readTree(JsonReport.render(List.of(r)));
            stripTiming(root);
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void stripTiming(JsonNode n) {
        if (n instanceof ObjectNode o) {
            o.remove("millis");
            o.remove("nanos");
            o.remove("seconds");
        }
        for (Iterator<JsonNode> it = n.elements(); it.hasNext();) {
            stripTiming(it.next());
        }
    }

    /** Returns a one-line summary of the fields compared explicitly (for readable failure messages). */
    static String summary(CheckResult r) {
        List<String> outcomes = new ArrayList<>();
        for (CheckResult.OutcomeRow o : r.outcomes()) {
            outcomes.add(o.outcome() + " x" + o.count() + (o.satisfies() ? " +" : " -"));
        }
        return "observation=" + r.observationWord() + " outcomes=" + outcomes
                + " violations=" + r.violations().stream().map(CheckResult.ViolationRow::kind).toList()
                + " states=" + r.search().states() + " transitions=" + r.search().transitions() + " finals=" + r.search().finalStates()
                + " +" + r.positive() + "/-" + r.negative() + " refused=" + r.search().refusedFinals() + " depth=" + r.search().depth()
                + " complete=" + r.complete() + " stop=" + r.search().stopReason() + " events=" + r.kernelEvents()
                + " cell=" + r.cell() + " verdict=" + r.verdict().word() + " n/a=" + r.notApplicable();
    }

    private static void assertSame(String what, Scenario sc, Object a, Object b) {
        if (a instanceof CheckResult x && b instanceof CheckResult y) {
            assertEquals(summary(x), summary(y), () -> what + ": results differ for\n" + sc.text());
            assertEquals(untimedJson(x), untimedJson(y), () -> what + ": JSON reports differ for\n" + sc.text());
        } else {
            assertEquals(String.valueOf(a), String.valueOf(b), () -> what + ": differ for\n" + sc.text());
        }
    }

    @Test
    void checkTwice_givesTheSameResult() {
        List<Policy> policies = POLICIES.stream().map(Policies::byName).toList();
        int incomplete = 0;
        int blocked = 0;
        for (long seed = START; seed < START + COUNT; seed++) {
            Scenario a = parse(seed);
            Scenario b = parse(seed); // parsed again: the parser is part of what must be deterministic
            boolean traces = seed % 10 == 0; // rebuild every outcome's trace now and then
            for (Policy p : policies) {
                Object r1 = check(a, p, traces);
                Object r2 = check(b, p, traces);
                assertSame("seed " + seed + " under " + p.name(), a, r1, r2);
                if (r1 instanceof CheckResult c) {
                    assertTrue(c.complete() || c.search().stopReason() != null, () -> "incomplete without a reason");
                    assertEquals(c.complete(), c.search().states() < LIMITS.maxStates() || c.notApplicable() != null,
                            () -> "complete flag vs the state cap: " + summary(c) + "\n" + a.text());
                    long total = c.outcomes().stream().mapToLong(CheckResult.OutcomeRow::count).sum();
                    assertEquals(c.search().finalStates(), total, () -> "outcome counts vs final states\n" + a.text());
                    assertEquals(c.search().finalStates(), c.positive() + c.negative(),
                            () -> "positive + negative vs final states\n" + a.text());
                    if (!c.complete()) {
                        incomplete++;
                    }
                } else {
                    blocked++;
                }
            }
        }
        System.out.println("DifferentialTest: " + COUNT + " scenarios x " + policies.size() + " policies, "
                + incomplete + " incomplete, " + blocked + " with a blocked setup");
        assertEquals(0, blocked, "the generator's setups never block");
    }

    @Test
    void matrix_oneWorkerAndTwoWorkers_giveTheSameCells() {
        List<Policy> policies = POLICIES.stream().map(Policies::byName).toList();
        List<Scenario> scenarios = new ArrayList<>();
        for (long seed = START; seed < START + COUNT; seed++) {
            scenarios.add(parse(seed));
        }
        Matrix one = Pinlab.matrix(scenarios, policies, LIMITS, 1, (a, b, c, d) -> { });
        Matrix two = Pinlab.matrix(scenarios, policies, LIMITS, 2, (a, b, c, d) -> { });
        assertEquals(one.policies(), two.policies());
        assertEquals(scenarios.size(), one.rows().size());
        assertEquals(scenarios.size(), two.rows().size());
        for (int i = 0; i < scenarios.size(); i++) {
            Matrix.Row r1 = one.rows().get(i);
            Matrix.Row r2 = two.rows().get(i);
            Scenario sc = scenarios.get(i);
            assertEquals(sc.name(), r1.scenario());
            assertEquals(r1.scenario(), r2.scenario());
            assertEquals(r1.source(), r2.source());
            for (int j = 0; j < policies.size(); j++) {
                assertSame(sc.name() + " under " + policies.get(j).name() + ", matrix on 1 vs 2 workers", sc,
                        r1.cells().get(j), r2.cells().get(j));
            }
        }
        // the matrix's cell is the same as a lone check of that cell
        for (int i = 0; i < scenarios.size(); i += 7) {
            for (int j = 0; j < policies.size(); j++) {
                Object alone = check(scenarios.get(i), policies.get(j), false);
                assertSame(scenarios.get(i).name() + " under " + policies.get(j).name() + ", matrix vs check",
                        scenarios.get(i), one.rows().get(i).cells().get(j), alone);
            }
        }
        Map<String, Long> cells = new java.util.TreeMap<>();
        one.rows().forEach(r -> r.cells().forEach(c -> cells.merge(c.cell(), 1L, Long::sum)));
        System.out.println("DifferentialTest: matrix cells " + cells);
    }
}
