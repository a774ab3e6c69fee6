package pinlab.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import pinlab.op.Op;
import pinlab.scenario.Corpus;
import pinlab.scenario.Parser;
import pinlab.scenario.Scenario;

/** Which scenarios can be forced on a real kernel, and the reasons for those that cannot. */
class ReplayPlanTest {
    private static Map<String, ReplayPlan> corpusPlans() throws Exception {
        Map<String, ReplayPlan> out = new LinkedHashMap<>();
        for (Corpus.Entry e : Corpus.bundled()) {
            Scenario sc = Parser.parse(e.file(), e.text());
            out.put(sc.name(), ReplayPlan.of(sc));
        }
        return out;
    }

    @Test
    void corpus_replayableScenarios() throws Exception {
        Map<String, ReplayPlan> plans = corpusPlans();
        for (String name : new String[] {"fork-longterm-pin", "vmsplice-child-leak", "odirect-fork-thread-write",
            "uring-fixed-buffer-fork", "madv-dontfork", "pin-mprotect-cycle", "vmsplice-untouched",
            "pin-munmap-orphan", "pin-mremap", "dio-write-ro-pin-cow-shared"}) {
            assertTrue(plans.get(name).replayable(), () -> name + ": " + plans.get(name).problems());
        }
    }

    @Test
    void corpus_notReplayable_saysWhy() throws Exception {
        Map<String, ReplayPlan> plans = corpusPlans();
        assertTrue(plans.get("ro-pin-cow-shared").problems().get(0).reason().contains("FOLL_PIN|FOLL_LONGTERM|FOLL_WRITE"));
        assertTrue(plans.get("force-twice").problems().get(0).reason().contains("FOLL_FORCE"));
        assertFalse(plans.get("force-pin-after-cow").replayable());
        assertFalse(plans.get("ro-longterm-pin-zero-page").replayable());
    }

    @Test
    void dioDmaAndCompletion_areMergedIntoOneStep() throws Exception {
        ReplayPlan plan = corpusPlans().get("odirect-fork-thread-write");
        Scenario.ThreadDecl disk = plan.scenario().threads().get(plan.scenario().threadIndex("DISK"));
        assertEquals(1, disk.ops().size());
        assertInstanceOf(Op.Atomic.class, disk.ops().get(0));
        assertEquals(2, ((Op.Atomic) disk.ops().get(0)).ops().size());
    }

    @Test
    void dioDmaNotFollowedByCompletion_isNotReplayable() throws Exception {
        Scenario sc = Parser.parse("x.pin", """
                name split
                process P
                holder dio rd
                setup {
                  P: mmap buf 1 rw private
                }
                thread T @ P {
                  dio_read rd buf
                  wait rd
                }
                thread DISK @ device {
                  dma rd[0] = 7
                  await later
                  dio_complete rd
                }
                thread U @ P {
                  signal later
                }
                exists (P:buf[0] = 7)
                """);
        ReplayPlan plan = ReplayPlan.of(sc);
        assertFalse(plan.replayable());
        assertTrue(plan.problems().get(0).reason().contains("FUSE reply"));
    }
}
