package pinlab.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import pinlab.policy.Policies;
import pinlab.policy.Policy;

/** {@link Generator}: every text parses, the same seed gives the same text, and the texts cover the language. */
class GeneratorTest {
    private static final int SEEDS = 2_000;

    private static Scenario parse(long seed, String text) {
        try {
            return Parser.parse(Generator.name(seed) + ".pin", text);
        } catch (ScenarioException e) {
            throw new AssertionError("seed " + seed + ": " + e.render() + "\n" + text, e);
        }
    }

    @Test
    void everyGeneratedText_parses_andItsSetupRuns() {
        List<String> failures = new ArrayList<>();
        Policy[] policies = {Policies.byName("linux-2.6"), Policies.byName("linux-5.9"),
            Policies.byName("linux-6.18")};
        for (long seed = 0; seed < SEEDS; seed++) {
            String text = Generator.generate(seed, Generator.Bounds.DEFAULT);
            Scenario sc;
            try {
                sc = Parser.parse(Generator.name(seed) + ".pin", text);
            } catch (ScenarioException e) {
                failures.add("seed " + seed + ": " + e.render() + "\n" + text);
                continue;
            }
            assertEquals(Generator.name(seed), sc.name());
            for (Policy p : policies) {
                try {
                    new ScenarioModel(sc, p);
                } catch (ScenarioModel.SetupBlocked e) {
                    failures.add("seed " + seed + " under " + p.name() + ": setup blocks: " + e.getMessage() + "\n"
                            + text);
                }
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " bad texts; the first:\n"
                + (failures.isEmpty() ? "" : failures.get(0)));
    }

    @Test
    void otherBounds_parseAndAreRespected() {
        Generator.Bounds[] all = {
            new Generator.Bounds(1, 1, 1, false, false),
            new Generator.Bounds(2, 3, 1, true, false),
            new Generator.Bounds(4, 6, 3, true, true),
            new Generator.Bounds(8, 16, 8, true, true),
            new Generator.Bounds(3, 4, 2, false, true),
        };
        for (Generator.Bounds b : all) {
            for (long seed = 0; seed < 300; seed++) {
                String text = Generator.generate(seed, b);
                Scenario sc = parse(seed, text);
                assertTrue(sc.threads().size() <= b.maxThreads(), () -> b + " threads:\n" + text);
                for (Scenario.ThreadDecl t : sc.threads()) {
                    assertTrue(t.ops().size() <= b.maxOpsPerThread(), () -> b + " ops of " + t.name() + ":\n" + text);
                }
                for (Scenario.VmaDecl v : sc.vmas()) {
                    assertTrue(v.pages() <= b.maxPages(), () -> b + " pages:\n" + text);
                }
                if (!b.files()) {
                    assertTrue(sc.files().stream().allMatch(Scenario.FileDecl::anonymous), () -> b + ":\n" + text);
                }
                if (!b.daemons()) {
                    assertTrue(sc.daemons().isEmpty(), () -> b + ":\n" + text);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new Generator.Bounds(0, 1, 1, false, false));
        assertThrows(IllegalArgumentException.class, () -> new Generator.Bounds(1, 1, 9, false, false));
    }

    @Test
    void sameSeed_sameText_otherSeeds_otherTexts() {
        Set<String> distinct = new HashSet<>();
        for (long seed = 0; seed < 500; seed++) {
            String a = Generator.generate(seed, Generator.Bounds.DEFAULT);
            assertEquals(a, Generator.generate(seed, Generator.Bounds.DEFAULT), "seed " + seed);
            assertEquals(a, Generator.generate(seed));
            distinct.add(a);
        }
        assertEquals(500, distinct.size());
        assertEquals(Generator.generate(-7, Generator.Bounds.DEFAULT), Generator.generate(-7, Generator.Bounds.DEFAULT));
        assertNotEquals(Generator.generate(1, Generator.Bounds.DEFAULT),
                Generator.generate(1, new Generator.Bounds(3, 4, 2, false, false)));
        // a pinned text: the generator's output for a seed is stable within a JVM and across JVMs
        String first = Generator.generate(42);
        assertTrue(first.contains("name gen-42\n"), first);
        assertFalse(first.isEmpty());
    }

    @Test
    void texts_coverTheLanguage() {
        Map<String, Pattern> wanted = new LinkedHashMap<>();
        String op = "^\\s*(?:[A-Z]\\w*: )?(?:r\\d+ = )?";
        for (String w : List.of("pin", "get", "vmsplice", "uring_register", "dio_read", "dio_write", "dma", "release",
                "dio_complete", "uring_unregister", "read_fixed", "wait", "signal", "await", "madvise", "mprotect",
                "munmap", "mremap", "mmap", "exit", "fork", "poke", "peek", "vm_write", "vm_read", "ptrace_poke",
                "ptrace_peek", "migrate", "ksm_merge", "read", "write", "fsync", "fdatasync", "truncate", "punch",
                "sync_file_range", "fadvise", "sync", "drop_caches", "msync", "uprobe")) {
            wanted.put(w, Pattern.compile(op + w + "\\b", Pattern.MULTILINE));
        }
        wanted.put("pipe read", Pattern.compile("= pipe \\w+\\["));
        wanted.put("load", Pattern.compile("^\\s*r\\d+ = [a-z]\\w*\\[\\d+\\]$", Pattern.MULTILINE));
        wanted.put("store", Pattern.compile("^\\s*(?:[A-Z]\\w*: )?[a-z]\\w*\\[\\d+\\] = \\d+$", Pattern.MULTILINE));
        wanted.put("fork stepwise", Pattern.compile("fork C\\d stepwise"));
        wanted.put("gup_fast", Pattern.compile(" gup_fast$", Pattern.MULTILINE));
        wanted.put("pin write longterm", Pattern.compile("pin \\w+ \\w+( \\d+)*( write)? longterm"));
        wanted.put("force", Pattern.compile(" force( |$)", Pattern.MULTILINE));
        wanted.put("dio from file", Pattern.compile("dio_read \\w+ \\w+.* from [A-Z]"));
        wanted.put("dio to file", Pattern.compile("dio_write \\w+ \\w+.* to [A-Z]"));
        wanted.put("dma of a file request", Pattern.compile("^\\s*dma rd\\d+$", Pattern.MULTILINE));
        for (String a : List.of("dontfork", "dofork", "dontneed", "mergeable", "unmergeable", "pageout", "cold")) {
            wanted.put("madvise " + a, Pattern.compile("madvise \\w+ " + a + "$", Pattern.MULTILINE));
        }
        for (String fs : List.of("ext4", "xfs", "btrfs", "tmpfs", "tux3", "fsdax")) {
            wanted.put("file on " + fs, Pattern.compile("^file \\w+ on " + fs + "\\b", Pattern.MULTILINE));
        }
        wanted.put("memfd", Pattern.compile("^memfd ", Pattern.MULTILINE));
        wanted.put("file mmap shared", Pattern.compile("mmap \\w+ \\d \\w+ shared [A-Z]"));
        wanted.put("file mmap private", Pattern.compile("mmap \\w+ \\d \\w+ private [A-Z]"));
        wanted.put("anon mmap shared", Pattern.compile("mmap \\w+ \\d \\w+ shared$", Pattern.MULTILINE));
        wanted.put("anon mmap private", Pattern.compile("mmap \\w+ \\d \\w+ private$", Pattern.MULTILINE));
        for (String d : List.of("writeback", "reclaim", "ksm", "compact", "drop_caches")) {
            wanted.put("daemon " + d, Pattern.compile("^daemon \\w+: " + d + "\\b", Pattern.MULTILINE));
        }
        for (String k : List.of("device", "pipe", "ring", "dio")) {
            wanted.put("holder " + k, Pattern.compile("^holder " + k + " ", Pattern.MULTILINE));
        }
        wanted.put("device thread", Pattern.compile("^thread D\\d @ device \\{", Pattern.MULTILINE));
        wanted.put("child thread", Pattern.compile("^thread T\\d @ C\\d \\{", Pattern.MULTILINE));
        wanted.put("second process", Pattern.compile("^process P, Q$", Pattern.MULTILINE));
        wanted.put("remote from another process", Pattern.compile("(poke|peek) (P|Q|C\\d) "));
        wanted.put("exists", Pattern.compile("^exists ", Pattern.MULTILINE));
        wanted.put("~exists", Pattern.compile("^~exists ", Pattern.MULTILINE));
        wanted.put("forall", Pattern.compile("^forall ", Pattern.MULTILINE));
        wanted.put("event()", Pattern.compile("event\\("));
        wanted.put("same()", Pattern.compile("same\\("));
        wanted.put("disk term", Pattern.compile("disk [A-Z]\\["));
        wanted.put("register term", Pattern.compile("[TD]\\d:r\\d"));
        wanted.put("locations", Pattern.compile("^locations \\[", Pattern.MULTILINE));
        wanted.put("failure", Pattern.compile("^failure ", Pattern.MULTILINE));
        wanted.put("requires", Pattern.compile("^requires ", Pattern.MULTILINE));

        Map<String, Integer> hits = new LinkedHashMap<>();
        wanted.keySet().forEach(k -> hits.put(k, 0));
        for (long seed = 0; seed < SEEDS; seed++) {
            String text = Generator.generate(seed, Generator.Bounds.DEFAULT);
            for (Map.Entry<String, Pattern> e : wanted.entrySet()) {
                if (e.getValue().matcher(text).find()) {
                    hits.merge(e.getKey(), 1, Integer::sum);
                }
            }
        }
        List<String> missing = new ArrayList<>();
        hits.forEach((k, n) -> {
            if (n < 3) {
                missing.add(k + " (" + n + ")");
            }
        });
        assertTrue(missing.isEmpty(), "too rare in " + SEEDS + " scenarios: " + missing + "\nall: " + hits);
    }
}
