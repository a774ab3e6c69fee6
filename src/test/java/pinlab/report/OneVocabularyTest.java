package pinlab.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import pinlab.Pinlab;
import pinlab.engine.Limits;
import pinlab.policy.Policies;
import pinlab.scenario.Corpus;
import pinlab.scenario.Parser;
import pinlab.scenario.Scenario;

/**
 * One word for one result: the check header, the matrix (text, markdown, JSON) and the HTML cell all show the
 * same cell word for every corpus scenario under every preset, and a mismatch is said the same way everywhere.
 */
class OneVocabularyTest {
    @Test
    void everyFormat_showsTheSameWord_forEveryCell() throws Exception {
        List<Scenario> scenarios = new ArrayList<>();
        for (Corpus.Entry e : Corpus.bundled()) {
            scenarios.add(Parser.parse(e.file(), e.text()));
        }
        Matrix m = Pinlab.matrix(scenarios, Policies.all(), Limits.NONE, 2, (done, all, sc, pol) -> { });
        String text = MatrixReport.text(m);
        String md = MatrixReport.markdown(m);
        JsonNode json = new ObjectMapper().readTree(MatrixReport.json(m));
        String html = HtmlReport.render(m);
        int cells = 0;
        for (int i = 0; i < m.rows().size(); i++) {
            Matrix.Row row = m.rows().get(i);
            JsonNode jrow = null;
            for (JsonNode r : json.get("matrix")) {
                if (r.get("scenario").asText().equals(row.scenario())) {
                    jrow = r;
                }
            }
            for (int j = 0; j < row.cells().size(); j++) {
                CheckResult c = row.cells().get(j);
                String word = c.headline().text();
                String what = row.scenario() + " under " + c.policy();
                assertEquals(c.cell(), word, what);
                String header = TextReport.render(c).lines().findFirst().orElseThrow();
                assertTrue(header.endsWith("==  " + word + " \u2014 " + c.status()), what + ": " + header);
                assertEquals(word, jrow.get("cells").get(j).get("cell").get("text").asText(), what);
                assertEquals(c.verdict().word(), jrow.get("cells").get(j).get("verdict").asText(), what);
                String shown = Matrix.cellText(c);
                assertTrue(text.contains(shown), what + ": " + shown);
                assertTrue(md.contains(MatrixReport.md(shown)), what);
                Matcher td = Pattern.compile("data-cell=\"cell-" + Pattern.quote(row.scenario() + "-" + c.policy())
                        + "\">(?:<a [^>]*>)?([^<]*)").matcher(html);
                assertTrue(td.find(), what);
                assertEquals(HtmlText.esc(word), td.group(1), what);
                if (c.mismatch() != null) {
                    assertTrue(c.status().equals(c.mismatch()) && shown.endsWith("(" + c.mismatch() + ")"), what);
                }
                cells++;
            }
        }
        assertEquals(m.rows().size() * Policies.all().size(), cells);
    }
}
