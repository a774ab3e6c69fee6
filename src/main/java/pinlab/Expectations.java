package pinlab;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import pinlab.engine.Limits;
import pinlab.policy.Policies;
import pinlab.policy.Policy;
import pinlab.report.CheckResult;
import pinlab.report.TextReport;
import pinlab.scenario.Parser;
import pinlab.scenario.Scenario;
import pinlab.scenario.ScenarioException;

/**
 * Assertions for a project's own tests (JUnit 5 or any framework that reports an {@link AssertionError}): a
 * scenario's {@code expect} lines hold. A downstream project writes, in a test method,
 * {@code Expectations.assertHold(Path.of("src/test/pin/my-rdma-fork.pin"));}.
 */
public final class Expectations {
    private Expectations() {}

    /**
     * Checks the scenario file under every policy its {@code expect} lines name and throws an AssertionError that
     * lists each result that does not match (in words, with its run), or that did not finish.
     *
     * @throws AssertionError when an expectation does not hold, the file cannot be read, or it names no policy
     */
    public static void assertHold(Path scenarioFile) {
        Scenario sc;
        try {
            sc = Parser.parse(scenarioFile);
        } catch (ScenarioException e) {
            throw new AssertionError(e.render(), e);
        }
        assertHold(sc);
    }

    /** Like {@link #assertHold(Path)} for a scenario given as text ({@code name} names it in messages). */
    public static void assertHold(String name, String text) {
        try {
            assertHold(Parser.parse(name, text));
        } catch (ScenarioException e) {
            throw new AssertionError(e.render(), e);
        }
    }

    private static void assertHold(Scenario sc) {
        if (sc.expectations().isEmpty()) {
            throw new AssertionError(sc.file() + ": the scenario has no expect line, so nothing to assert");
        }
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (Scenario.Expectation e : sc.expectations()) {
            for (String name : e.policies()) {
                Policy p = Policies.resolve(name);
                CheckResult r = Pinlab.check(sc, p, Limits.NONE, false);
                checked++;
                if (!Boolean.TRUE.equals(r.matches()) || r.verdict() == pinlab.report.Verdict.VIOLATION) {
                    failures.add(TextReport.render(r));
                }
            }
        }
        if (!failures.isEmpty()) {
            throw new AssertionError(sc.name() + ": " + failures.size() + " of " + checked
                    + " expectations do not hold\n\n" + String.join("\n", failures));
        }
    }
}
