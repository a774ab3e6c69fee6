package pinlab.scenario;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import pinlab.Pinlab;
import pinlab.engine.Limits;
import pinlab.policy.Policies;

/**
 * Any text is either a scenario or a {@link ScenarioException}; a parsed scenario either checks or reports a
 * blocked setup. Nothing else may escape. Runs its seed inputs in every build (among them the deep, long and
 * control-character inputs of issue 9); {@code JAZZER_FUZZ=1} fuzzes, with the language's tokens as a dictionary.
 */
class ParserFuzzTest {
    @FuzzTest(maxDuration = "30s")
    @DictionaryEntries({"name ", "process ", "thread ", " @ ", "setup {", "}", "holder device ", "file ", " on ext4",
        "mmap ", " rw private", " rw shared", "pin ", " write", " longterm", " gup_fast", "fork ", " stepwise",
        "dio_read ", "dma ", "release ", "exists (", "forall (", "~", "(", ")", "/\\", "\\/", " = ", "!=",
        "P:buf[0]", "expect linux-6.18: ", "Always", "Never", "Sometimes", "daemon k: ksm", "poke P buf[0] = 1",
        "uprobe F[0]", "\\x0A", ";"})
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
