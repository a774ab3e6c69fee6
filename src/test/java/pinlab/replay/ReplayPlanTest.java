package pinlab.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import pinlab.TestSupport;
import pinlab.op.Op;
import pinlab.scenario.Corpus;
import pinlab.scenario.Parser;
import pinlab.scenario.Scenario;

/** Which scenarios can be forced on a real kernel, how their files are made, and why the others cannot. */
class ReplayPlanTest {
    private static Map<String, ReplayPlan> corpusPlans() throws Exception {
        Map<String, ReplayPlan> out = new LinkedHashMap<>();
        for (Corpus.Entry e : Corpus.bundled()) {
            Scenario sc = Parser.parse(e.file(), e.text());
            out.put(sc.name(), ReplayPlan.of(sc));
        }
        return out;
    }

    private static String reasons(ReplayPlan plan) {
        return plan.problems().toString();
    }

    @Test
    void corpus_replayableScenarios() throws Exception {
        Map<String, ReplayPlan> plans = corpusPlans();
        for (String name : new String[] {"fork-longterm-pin", "vmsplice-child-leak", "odirect-fork-thread-write",
            "uring-fixed-buffer-fork", "madv-dontfork", "pin-mprotect-cycle", "vmsplice-untouched",
            "pin-munmap-orphan", "pin-mremap", "dio-write-ro-pin-cow-shared", "dontneed-pinned-anon",
            "kara-dio-reclaim", "longterm-pin-file-writeback", "btrfs-dio-buffer-changes",
            "btrfs-pin-write-during-writeback", "glisse-dio-write-pinned", "mmap-dio-mix", "dio-invalidate-readers",
            "tmpfs-dio-reclaim", "tmpfs-longterm-pin", "xfs-dio-reclaim", "drop-caches-unmapped-pin",
            "uring-fixed-buffer-file"}) {
            assertTrue(plans.get(name).replayable(), () -> name + ": " + reasons(plans.get(name)));
        }
    }

    @Test
    void corpus_notReplayable_saysWhy() throws Exception {
        Map<String, ReplayPlan> plans = corpusPlans();
        assertTrue(plans.get("ro-pin-cow-shared").problems().get(0).reason().contains("FOLL_PIN|FOLL_LONGTERM|FOLL_WRITE"));
        assertTrue(plans.get("force-twice").problems().get(0).reason().contains("FOLL_FORCE"));
        assertFalse(plans.get("force-pin-after-cow").replayable());
        assertFalse(plans.get("ro-longterm-pin-zero-page").replayable());
        ReplayPlan roFile = plans.get("ro-longterm-pin-private-file");
        assertEquals(1, roFile.problems().size(), () -> reasons(roFile));
        assertTrue(roFile.problems().get(0).reason().contains("FOLL_PIN|FOLL_LONGTERM|FOLL_WRITE"));
        ReplayPlan dax = plans.get("fsdax-longterm-pin");
        assertEquals(List.of("file D"), dax.problems().stream().map(ReplayPlan.Problem::what).toList());
        assertTrue(dax.problems().get(0).reason().contains("persistent memory"));
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

    // ---- files -------------------------------------------------------------------------------------

    @Test
    void files_oneFileSystemPerKind_thenTheFiles() throws Exception {
        Map<String, ReplayPlan> plans = corpusPlans();
        assertEquals(List.of("fs_make ext4 ext4", "file_create 0 ext4 1 full"),
                plans.get("kara-dio-reclaim").fileSetup());
        assertEquals(List.of("fs_make xfs xfs", "file_create 0 xfs 1 full"), plans.get("xfs-dio-reclaim").fileSetup());
        assertEquals(List.of("fs_make btrfs btrfs", "file_create 0 btrfs 1 full"),
                plans.get("btrfs-dio-buffer-changes").fileSetup());
        assertEquals(List.of("fs_make tmpfs tmpfs", "file_create 0 tmpfs 1 sparse"),
                plans.get("tmpfs-longterm-pin").fileSetup());
        assertEquals(List.of("memfd_create 0 1"), plans.get("tmpfs-dio-reclaim").fileSetup());
        assertEquals(List.of("fs_make ext4 ext4", "file_create 0 ext4 1 full", "memfd_create 1 1"),
                plans.get("uring-fixed-buffer-file").fileSetup());
        assertEquals(List.of(), plans.get("fork-longterm-pin").fileSetup());
    }

    @Test
    void fileOptions_sparseReadOnlyStable() {
        Scenario sc = TestSupport.parse("""
                name options
                process P
                file A on ext4 size 1 sparse
                file B on ext4 size 1 ro
                file C on ext4 size 1 stable
                file D on xfs size 1 sparse stable
                memfd M size 1 ro
                thread T @ P {
                  r0 = read A[0]
                }
                exists (T:r0 = 0)
                """);
        ReplayPlan plan = ReplayPlan.of(sc);
        assertTrue(plan.replayable(), () -> reasons(plan));
        assertEquals(List.of("fs_make ext4 ext4", "fs_make ext4-stable ext4 stable", "fs_make xfs-stable xfs stable",
                "fs_make tmpfs tmpfs", "file_create 0 ext4 1 sparse", "file_create 1 ext4 1 full ro",
                "file_create 2 ext4-stable 1 full", "file_create 3 xfs-stable 1 sparse",
                "file_create 4 tmpfs 1 sparse ro"), plan.fileSetup());
    }

    @Test
    void fileDio_runsInsideTheSubmittingCall() throws Exception {
        ReplayPlan plan = corpusPlans().get("glisse-dio-write-pinned");
        Scenario sc = plan.scenario();
        int wr = holder(sc, "wr");
        assertEquals(ReplayPlan.Realisation.FILE_DIO, plan.realisation(wr));
        assertEquals(sc.threadIndex("DISK"), plan.fileDioDevice(wr));
        assertEquals(-1, plan.fileDioDevice(holder(sc, "nic")));
        assertEquals(2, sc.threads().get(sc.threadIndex("DISK")).ops().size(), "the device thread keeps its ops");
    }

    private static int holder(Scenario sc, String name) {
        for (int h = 0; h < sc.holders().size(); h++) {
            if (sc.holders().get(h).name().equals(name)) {
                return h;
            }
        }
        throw new AssertionError(name);
    }

    @Test
    void fileDio_deviceThreadDoingMore_isNotReplayable() {
        ReplayPlan plan = ReplayPlan.of(TestSupport.parse("""
                name ordered-dio
                process P
                holder dio wr
                file F on ext4 size 1
                setup {
                  P: mmap src 1 rw private
                }
                thread W @ P {
                  dio_write wr src to F
                  signal go
                  wait wr
                }
                thread DISK @ device {
                  await go
                  dma wr
                  dio_complete wr
                }
                exists (disk F[0] = 0)
                """));
        assertFalse(plan.replayable());
        assertTrue(reasons(plan).contains("inside the submitting call"), () -> reasons(plan));
    }

    @Test
    void fileDio_ofTwoPages_isNotReplayable() {
        ReplayPlan plan = ReplayPlan.of(TestSupport.parse("""
                name two-pages
                process P
                holder dio rd
                file F on ext4 size 2
                setup {
                  P: mmap dst 2 rw private
                }
                thread T @ P {
                  dio_read rd dst from F
                  wait rd
                }
                thread DISK @ device {
                  dma rd
                  dio_complete rd
                }
                exists (P:dst[0] = 0)
                """));
        assertEquals(1, plan.problems().size(), () -> reasons(plan));
        assertTrue(plan.problems().get(0).reason().contains("covers one page"));
    }

    @Test
    void multiPageFileMapping_isNotReplayable_faultAround() {
        ReplayPlan plan = ReplayPlan.of(TestSupport.parse("""
                name two-page-mapping
                process P
                file F on ext4 size 2
                setup {
                  P: mmap buf 2 r shared F
                }
                thread T @ P {
                  r0 = buf[0]
                }
                exists (T:r0 = 0)
                """));
        assertEquals(1, plan.problems().size(), () -> reasons(plan));
        assertTrue(plan.problems().get(0).reason().contains("fault-around"));
    }

    @Test
    void multiPageBtrfsFile_isNotReplayable_extents() {
        ReplayPlan plan = ReplayPlan.of(TestSupport.parse("""
                name btrfs-two-pages
                process P
                file F on btrfs size 2
                thread T @ P {
                  write F[0] = 1
                  fsync F
                }
                exists (disk F[0] = 1)
                """));
        assertEquals(List.of("file F"), plan.problems().stream().map(ReplayPlan.Problem::what).toList());
        assertTrue(plan.problems().get(0).reason().contains("extent"));
    }

    @Test
    void kernelReportsInTheCondition_areObservable_roDmaWriteIsNot() {
        ReplayPlan ok = ReplayPlan.of(TestSupport.parse("""
                name reports
                process P
                file F on btrfs size 1
                thread T @ P {
                  r0 = read F[0]
                }
                exists (event(csum-error) \\/ event(fsync-eio) \\/ event(fs-warning) \\/ event(stale-pagecache))
                """));
        assertTrue(ok.replayable(), () -> reasons(ok));
        ReplayPlan no = ReplayPlan.of(TestSupport.parse("""
                name ro-dma
                process P
                holder device nic
                setup {
                  P: mmap buf 1 rw private
                }
                thread T @ P {
                  pin nic buf write longterm
                }
                exists (event(ro-dma-write))
                """));
        assertEquals(List.of("event(ro-dma-write)"), no.problems().stream().map(ReplayPlan.Problem::what).toList());
    }
}
