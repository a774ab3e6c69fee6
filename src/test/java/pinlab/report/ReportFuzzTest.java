package pinlab.report;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import pinlab.Pinlab;
import pinlab.engine.Limits;
import pinlab.policy.Policies;
import pinlab.scenario.Generator;
import pinlab.scenario.Parser;
import pinlab.scenario.Scenario;

/**
 * The JSON and HTML writers over random generated scenarios: the JSON always parses, the HTML carries no script
 * but the report's own two and no raw control character. Runs its seeds in every build; {@code JAZZER_FUZZ=1}
 * fuzzes the seed.
 */
class ReportFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @FuzzTest(maxDuration = "30s")
    void generatedScenario_reportsAreWellFormed(FuzzedDataProvider data) throws Exception {
        long seed = data.consumeLong();
        Scenario sc = Parser.parse("gen.pin", Generator.generate(seed));
        CheckResult r = Pinlab.check(sc, Policies.host(), new Limits(50_000, 0), true);
        JSON.readTree(JsonReport.render(List.of(r)));
        Matrix m = Pinlab.matrix(List.of(sc), List.of(Policies.host()), new Limits(50_000, 0), 1, (a, b, c, d) -> {});
        JSON.readTree(MatrixReport.json(m));
        String file = HtmlReport.render(m);
        // the file: the two scripts and the packed rows; unpacked, the two and the JSON data they draw from
        int packed = file.split("<script type=\"application/gzip\\+base64\" data-row=\"", -1).length - 1;
        int scripts = file.toLowerCase(java.util.Locale.ROOT).split("<script", -1).length - 1;
        if (scripts != 2 + packed || packed != m.rows().size()) {
            throw new AssertionError("seed " + seed + ": " + scripts + " <script> tags, " + packed + " packed rows");
        }
        String html = Packed.unpacked(file);
        int json = html.split("<script type=\"application/json\" ", -1).length - 1;
        scripts = html.toLowerCase(java.util.Locale.ROOT).split("<script", -1).length - 1;
        if (scripts != 2 + json) {
            throw new AssertionError("seed " + seed + ": " + scripts + " <script> tags unpacked");
        }
        for (int i = 0; i < html.length(); i++) {
            char c = html.charAt(i);
            if (c < 0x20 && c != '\n' && c != '\t') {
                throw new AssertionError("seed " + seed + ": control character " + (int) c + " in the HTML");
            }
        }
    }
}
