package pinlab;

import pinlab.engine.Limits;
import pinlab.policy.Policies;
import pinlab.policy.Policy;
import pinlab.report.CheckResult;
import pinlab.scenario.Parser;
import pinlab.scenario.Scenario;
import pinlab.scenario.ScenarioException;

/** Helpers shared by tests: parse inline scenario text and check it. */
public final class TestSupport {
    private TestSupport() {}

    /** Parses inline scenario text, failing the test with the rendered error if it is bad. */
    public static Scenario parse(String text) {
        try {
            return Parser.parse("inline.pin", text);
        } catch (ScenarioException e) {
            throw new AssertionError(e.render(), e);
        }
    }

    /** Checks inline scenario text under the named policy. */
    public static CheckResult check(String text, String policy) {
        Policy p = Policies.resolve(policy);
        return Pinlab.check(parse(text), p, Limits.NONE, true);
    }

    /** Returns the bundled corpus scenario named {@code name}. */
    public static Scenario corpus(String name) {
        for (pinlab.scenario.Corpus.Entry e : pinlab.scenario.Corpus.bundled()) {
            if (e.file().endsWith("/" + name + ".pin")) {
                try {
                    return Parser.parse(e.file(), e.text());
                } catch (ScenarioException ex) {
                    throw new AssertionError(ex.render(), ex);
                }
            }
        }
        throw new AssertionError("no corpus scenario " + name);
    }
}
