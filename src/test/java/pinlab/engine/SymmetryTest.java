package pinlab.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import pinlab.policy.Policies;
import pinlab.scenario.Generator;
import pinlab.scenario.Parser;
import pinlab.scenario.Scenario;
import pinlab.scenario.ScenarioException;
import pinlab.scenario.ScenarioModel;

/**
 * Merging interchangeable threads keeps the verdict: the same outcomes (each satisfying the condition or not,
 * with the same kernel tags), the same violations, runs of the same length, and every schedule it reports
 * replays, thread for thread, to a state with that outcome or violation.
 */
class SymmetryTest {
    private static final String WRITERS = """
            name sym-writers
            process P
            holder device d
            setup {
              P: mmap buf 2 rw private
              P: buf[0] = 1
            }
            thread W1 @ P {
              buf[1] = 5
              r0 = buf[0]
              buf[2] = 6
            }
            thread W2 @ P {
              buf[1] = 5
              r0 = buf[0]
              buf[2] = 6
            }
            thread W3 @ P {
              buf[1] = 5
              r0 = buf[0]
              buf[2] = 6
            }
            thread T0 @ P {
              pin d buf 0 1 write longterm
              fork C
              buf[0] = 3
              release d dirty
            }
            thread DEV @ device {
              dma d[0] = 9
            }
            exists (P:buf[0] = 9)
            """;

    /** What symmetry must not change: outcome keys with satisfaction, tags and run length, and violations. */
    private static String verdict(SearchResult r) {
        List<Object> out = new ArrayList<>();
        out.add(r.positive() > 0);
        out.add(r.negative() > 0);
        out.add(r.complete());
        for (Map.Entry<String, SearchResult.OutcomeStats> e : r.outcomes().entrySet()) {
            out.add(List.of(e.getKey(), e.getValue().satisfied(), e.getValue().tags(), e.getValue().schedule().size()));
        }
        r.violations().forEach((k, v) -> out.add(List.of(k, v.size())));
        return out.toString();
    }

    private static void compare(Scenario sc, String policy, Limits limits) {
        ScenarioModel plain = new ScenarioModel(sc, Policies.byName(policy), false, false);
        ScenarioModel merged = new ScenarioModel(sc, Policies.byName(policy), false, true);
        SearchResult a = new Explorer(plain, limits).run();
        SearchResult b = new Explorer(merged, limits).run();
        String what = sc.name() + " under " + policy;
        assertEquals(verdict(a), verdict(b), what);
        assertTrue(b.states() <= a.states(), what);
        // the reported schedules name canonical positions; the model maps them back to real threads
        b.outcomes().forEach((key, o) -> assertEquals(key,
                merged.outcome(merged.finalWorld(o.schedule()).freeze()).key(), what + ": " + key));
        b.violations().forEach((name, s) -> {
            int[] end = merged.finalWorld(s).freeze();
            boolean stuck = name.equals("deadlock") || name.equals("stall");
            assertTrue(stuck || merged.violations(end) != 0, what + ": " + name);
        });
    }

    @Test
    void interchangeableWriters_areMerged_andKeepTheVerdict() throws ScenarioException {
        Scenario sc = Parser.parse("sym.pin", WRITERS);
        ScenarioModel m = new ScenarioModel(sc, Policies.byName("linux-6.18"), false, true);
        assertEquals(1, m.symmetricGroups().length);
        assertEquals(List.of(0, 1, 2), java.util.Arrays.stream(m.symmetricGroups()[0]).boxed().toList());
        for (String pol : List.of("linux-6.18", "linux-5.9", "linux-2.6")) {
            compare(sc, pol, Limits.NONE.withWorkers(1));
            compare(sc, pol, Limits.NONE.withWorkers(1).withPor(false));
        }
        long full = new Explorer(new ScenarioModel(sc, Policies.byName("linux-6.18"), false, false),
                Limits.NONE.withPor(false)).run().states();
        long merged = new Explorer(m, Limits.NONE.withPor(false)).run().states();
        assertTrue(merged * 3 < full, merged + " of " + full + " states");
    }

    @Test
    void observedRegisters_keepThreadsApart() throws ScenarioException {
        Scenario sc = Parser.parse("sym.pin", WRITERS.replace("exists (P:buf[0] = 9)", "exists (W1:r0 = 3)"));
        int[][] groups = new ScenarioModel(sc, Policies.byName("linux-6.18"), false, true).symmetricGroups();
        assertEquals(1, groups.length, "W2 and W3 are still interchangeable");
        assertEquals(List.of(1, 2), java.util.Arrays.stream(groups[0]).boxed().toList());
        compare(sc, "linux-6.18", Limits.NONE.withWorkers(1));
    }

    /** Generated scenarios rarely have twins: each gets a copy of its first thread, under another name. */
    private static final java.util.regex.Pattern THREAD = java.util.regex.Pattern.compile(
            "(?ms)^thread (\\w+) (@ \\w+ \\{\n.*?^\\}\n)");

    @Test
    void generatedScenarios_withATwinThread_keepTheVerdict() throws ScenarioException {
        int grouped = 0;
        for (long seed = 0; seed < 1000; seed++) {
            String text = Generator.generate(seed, new Generator.Bounds(3, 3, 2, seed % 2 == 0, false));
            java.util.regex.Matcher m = THREAD.matcher(text);
            if (!m.find()) {
                continue;
            }
            text = text.substring(0, m.end()) + "\nthread " + m.group(1) + "twin " + m.group(2)
                    + text.substring(m.end());
            Scenario sc;
            try {
                sc = Parser.parse(Generator.name(seed) + ".pin", text);
            } catch (ScenarioException x) {
                continue; // a twin may not take a holder's references a second time
            }
            ScenarioModel probe;
            try {
                probe = new ScenarioModel(sc, Policies.byName("linux-6.18"), false, true);
            } catch (ScenarioModel.SetupBlocked x) {
                continue;
            }
            if (probe.symmetricGroups().length == 0) {
                continue;
            }
            grouped++;
            for (String pol : List.of("linux-6.18", "linux-2.6")) {
                compare(sc, pol, new Limits(200_000, 0).withWorkers(1));
            }
        }
        assertTrue(grouped > 300, grouped + " generated scenarios have interchangeable threads");
    }
}
