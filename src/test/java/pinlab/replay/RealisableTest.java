package pinlab.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import pinlab.TestSupport;
import pinlab.engine.Explorer;
import pinlab.engine.Limits;
import pinlab.engine.SearchResult;
import pinlab.policy.Policies;
import pinlab.scenario.Scenario;
import pinlab.scenario.ScenarioModel;

/** Which of the replay model's schedules user space can force, and what each daemon step becomes (pure Java). */
class RealisableTest {
    private record Searches(ScenarioModel model, Realisable forceable, SearchResult restricted,
            SearchResult realisable) {}

    private static Searches search(Scenario sc, String policy) {
        ReplayPlan plan = ReplayPlan.of(sc);
        assertTrue(plan.replayable(), () -> plan.problems().toString());
        ScenarioModel model = new ScenarioModel(plan.scenario(), Policies.byName(policy), true);
        Realisable forceable = new Realisable(model, plan);
        return new Searches(model, forceable, new Explorer(model, Limits.NONE).run(),
                new Explorer(forceable, Limits.NONE).run());
    }

    /** The daemon actions along a schedule of the replay model. */
    private static List<DaemonAction> daemonActions(ScenarioModel model, List<Integer> schedule) {
        List<DaemonAction> out = new ArrayList<>();
        int[] state = model.initial();
        for (int t : schedule) {
            int[] next = model.step(state, t);
            if (t >= model.scenarioThreads()) {
                out.add(DaemonAction.of(model.scenario(), model.layout(), t - model.scenarioThreads(), state, next));
            }
            state = next;
        }
        return out;
    }

    @Test
    void oDirectWriteOnAFile_cannotBeInterleaved() {
        Searches s = search(TestSupport.corpus("mmap-dio-mix"), "linux-6.18");
        List<String> unrealised = new ArrayList<>();
        for (Map.Entry<String, SearchResult.OutcomeStats> e : s.restricted().outcomes().entrySet()) {
            if (!s.realisable().outcomes().containsKey(e.getKey())) {
                unrealised.add(e.getKey());
                String why = s.forceable().firstObstacle(e.getValue().schedule());
                assertNotNull(why);
                assertTrue(why.contains("the O_DIRECT request of wr is in flight"), why);
            }
        }
        assertEquals(2, unrealised.size(), unrealised::toString);
        assertTrue(unrealised.stream().allMatch(o -> o.endsWith("kernel: WARN, EIO")), unrealised::toString);
        assertEquals(2, s.realisable().outcomes().size());
    }

    @Test
    void karaUnder64_reclaimOfAMappedPageIsPageout_ofAnUnreferencedOneEviction() {
        Searches s = search(TestSupport.corpus("kara-dio-reclaim"), "linux-6.4");
        SearchResult.OutcomeStats lost = s.realisable().outcomes().get("disk F[0]=0; cache F[0]=none; kernel: WARN");
        assertNotNull(lost, () -> s.realisable().outcomes().keySet().toString());
        List<DaemonAction> actions = daemonActions(s.model(), lost.schedule());
        assertTrue(actions.stream().anyMatch(a -> a instanceof DaemonAction.Pageout), actions::toString);
        assertTrue(actions.stream().anyMatch(a -> a instanceof DaemonAction.Evict), actions::toString);
        assertTrue(actions.stream().anyMatch(a -> a instanceof DaemonAction.Writeback), actions::toString);
        assertFalse(actions.stream().anyMatch(a -> a instanceof DaemonAction.Impossible), actions::toString);
    }

    @Test
    void reclaimOfAnUnmappedReferencedPage_isNotRealisable() {
        Scenario sc = TestSupport.parse("""
                name unmapped-reclaim
                process P
                holder dio rd
                file F on ext4 size 1
                daemon flusher: writeback F
                daemon kswapd: reclaim F
                setup {
                  P: mmap buf 1 rw shared F
                }
                thread T @ P {
                  dio_read rd buf
                  munmap buf
                  wait rd
                }
                thread DISK @ device {
                  dma rd[0] = 7
                  dio_complete rd
                }
                forall (disk F[0] = 7)
                """);
        Searches s = search(sc, "linux-6.4");
        List<String> impossible = new ArrayList<>();
        for (DaemonAction a : allDaemonActions(s.model())) {
            if (a instanceof DaemonAction.Impossible i) {
                impossible.add(i.reason());
            }
        }
        assertFalse(impossible.isEmpty());
        assertTrue(impossible.stream().allMatch(r -> r.contains("kswapd reclaims F page 0, which no process maps"
                + " and which has references besides the page cache's")), impossible::toString);
    }

    /** Every daemon step of every reachable state of the model, classified. */
    private static List<DaemonAction> allDaemonActions(ScenarioModel model) {
        List<DaemonAction> out = new ArrayList<>();
        java.util.Set<java.util.List<Integer>> seen = new java.util.HashSet<>();
        java.util.ArrayDeque<int[]> todo = new java.util.ArrayDeque<>(List.of(model.initial()));
        while (!todo.isEmpty()) {
            int[] state = todo.pop();
            for (int t = 0; t < model.threads(); t++) {
                int[] next = model.step(state, t);
                if (next == null) {
                    continue;
                }
                if (t >= model.scenarioThreads()) {
                    out.add(DaemonAction.of(model.scenario(), model.layout(), t - model.scenarioThreads(), state,
                            next));
                }
                if (seen.add(java.util.Arrays.stream(next).boxed().toList())) {
                    todo.push(next);
                }
            }
        }
        return out;
    }

    @Test
    void flusherStep_writesTheOnePageItCleans() {
        Searches s = search(TestSupport.corpus("btrfs-pin-write-during-writeback"), "linux-6.18");
        SearchResult.OutcomeStats only = s.realisable().outcomes().values().iterator().next();
        assertEquals(List.of(new DaemonAction.Writeback(0, 0)), daemonActions(s.model(), only.schedule()));
    }
}
