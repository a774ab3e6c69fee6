package pinlab.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import pinlab.TestSupport;
import java.util.Map;
import pinlab.engine.Explorer;
import pinlab.engine.Limits;
import pinlab.policy.Policies;
import pinlab.scenario.Scenario;
import pinlab.scenario.ScenarioModel;

/** What the replayer refuses before it starts an agent (pure Java). */
class ReplayerTest {
    /** A scenario whose kernel's model can BUG is not run: under 5.2 ext4 BUGs on a dirty page without buffers. */
    @Test
    void kernelBugInTheHostModel_refusesTheScenario() {
        Scenario sc = TestSupport.corpus("kara-dio-reclaim");
        String why = Replayer.kernelBug(sc, Policies.byName("linux-5.2"));
        assertNotNull(why);
        assertTrue(why.startsWith("the linux-5.2 model reaches a kernel BUG") && why.contains("crash this machine"),
                why);
        assertNull(Replayer.kernelBug(sc, Policies.host()));
    }

    /**
     * Page identity relates the holder's pages to the mapped ones: under 5.9 the write fault copies the pinned
     * page away, so the process maps one page and the NIC holds another; under 6.18 they are one page. Before
     * holders were part of it, both policies showed just "P:buf page 0: page1 mapped-once", so the pages column
     * said "same" although the kernel kept the pinned page mapped and 5.9's model did not.
     */
    @Test
    void pageIdentity_namesTheHolderPages_inTheSameNumbering() {
        Scenario sc = TestSupport.corpus("pin-mprotect-cycle");
        ReplayPlan plan = ReplayPlan.of(sc);
        Map<String, String> old = finalPages(plan, "linux-5.9");
        assertEquals("page1 mapped-once", old.get("P:buf page 0"));
        assertEquals("page2 held", old.get("nic page 0"));
        Map<String, String> now = finalPages(plan, "linux-6.18");
        assertEquals("page1 mapped-once", now.get("P:buf page 0"));
        assertEquals("page1 held", now.get("nic page 0"));
        assertNotEquals(old, now);
    }

    /** A free run needs every step in a worker: FUSE's O_DIRECT answers and signals between threads are refused. */
    @Test
    void freeRuns_refuseWhatNeedsTheAgentBetweenSteps() {
        assertNull(Executor.freeRunObstacle(ReplayPlan.of(TestSupport.corpus("pin-mprotect-cycle"))));
        assertNull(Executor.freeRunObstacle(ReplayPlan.of(TestSupport.corpus("fork-longterm-pin"))));
        String fuse = Executor.freeRunObstacle(ReplayPlan.of(TestSupport.corpus("odirect-fork-thread-write")));
        assertNotNull(fuse);
        assertTrue(fuse.contains("FUSE"), fuse);
    }

    private static Map<String, String> finalPages(ReplayPlan plan, String policy) {
        ScenarioModel model = new ScenarioModel(plan.scenario(), Policies.byName(policy), true);
        var outcomes = new Explorer(model, Limits.NONE).run().outcomes();
        assertEquals(1, outcomes.size(), outcomes::toString);
        return Executor.modelPages(plan, model.finalWorld(outcomes.values().iterator().next().schedule()));
    }
}
