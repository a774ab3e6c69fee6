package pinlab.replay;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import pinlab.TestSupport;
import pinlab.policy.Policies;
import pinlab.scenario.Scenario;

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
}
