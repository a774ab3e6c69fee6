package pinlab.scenario;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import pinlab.Pinlab;
import pinlab.engine.Limits;
import pinlab.policy.Policies;

/**
 * Any text is either a scenario or a {@link ScenarioException}; a parsed scenario either checks or reports a
 * blocked setup. Nothing else may escape. Runs its seed inputs in every build; {@code JAZZER_FUZZ=1} fuzzes.
 */
class ParserFuzzTest {
    @FuzzTest(maxDuration = "30s")
    void anyText_parsesOrFailsCleanly(FuzzedDataProvider data) {
        String text = data.consumeRemainingAsString();
        Scenario sc;
        try {
            sc = Parser.parse("fuzz.pin", text);
        } catch (ScenarioException e) {
            if (e.code() == null || e.line() < 1 || e.col() < 1) {
                throw new AssertionError("error without a position or code: " + e.render(), e);
            }
            return;
        }
        try {
            Pinlab.check(sc, Policies.host(), new Limits(2_000, 2), false);
        } catch (ScenarioModel.SetupBlocked e) {
            // a clean, reported error (PL031)
        }
    }
}
