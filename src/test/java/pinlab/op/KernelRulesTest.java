package pinlab.op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static pinlab.TestSupport.check;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import pinlab.report.CheckResult;
import pinlab.report.Trace;

/**
 * One test per kernel rule, each on a scenario small enough to have a single interleaving, with the expected
 * outcome argued from the rule's source.
 */
class KernelRulesTest {

    private static String only(CheckResult r) {
        assertTrue(r.complete());
        assertTrue(r.violations().isEmpty(), () -> "violations: " + r.violations());
        assertEquals(1, r.outcomes().size(), () -> "expected one outcome, got " + r.outcomes());
        return r.outcomes().get(0).outcome();
    }

    private static final String FORK_PINNED = """
            name fork-pinned
            process P
            holder device nic
            setup {
              P: mmap buf 1 rw private
              P: buf[0] = 1
              P: %s nic buf write
            }
            thread T @ P {
              fork C
            }
            exists (same(P:buf[0], C:buf[0]))
            """;

    /** 70e806e4e645 (5.9): a page with a FOLL_PIN is copied for the child; before, it was shared. */
    @ParameterizedTest
    @CsvSource({"linux-2.6,true", "linux-5.8,true", "linux-5.9,false", "linux-5.19,false", "linux-6.18,false"})
    void fork_pinnedPage_copiedForChildFrom59(String policy, boolean shared) {
        assertEquals("same(P:buf[0],C:buf[0])=" + shared, only(check(FORK_PINNED.formatted("pin"), policy)));
    }

    /** FOLL_GET references set no MMF_HAS_PINNED and add 1, not 1024: fork shares the page on every kernel. */
    @ParameterizedTest
    @ValueSource(strings = {"linux-2.6", "linux-5.9", "linux-5.19", "linux-6.18"})
    void fork_pageWithFollGet_stillShared(String policy) {
        assertEquals("same(P:buf[0],C:buf[0])=true", only(check(FORK_PINNED.formatted("get"), policy)));
    }

    @Test
    void fork_unpinnedPage_sharedReadOnly_thenChildWriteCopies() {
        String s = """
                name fork-cow
                process P
                setup {
                  P: mmap buf 1 rw private
                  P: buf[0] = 1
                }
                thread T @ P {
                  fork C
                }
                thread U @ C {
                  buf[0] = 9
                }
                forall (P:buf[0] = 1 /\\ C:buf[0] = 9 /\\ ~same(P:buf[0], C:buf[0]))
                """;
        for (String policy : List.of("linux-2.6", "linux-5.9", "linux-6.18")) {
            CheckResult r = check(s, policy);
            assertEquals("Always", r.observationWord(), policy);
        }
    }

    /** check_vma_flags(): a write GUP of a read-only mapping fails unless FOLL_FORCE; FORCE on shared fails. */
    @ParameterizedTest
    @CsvSource({"r private,write,-14", "r private,write force,0", "r shared,write force,-14", "rw private,write,0",
        "none private,,-14", "r private,,0"})
    void gup_checkVmaFlags_efault(String mapping, String flags, int expected) {
        String s = """
                name efault
                process P
                holder device d
                setup {
                  P: mmap buf 1 %s
                }
                thread T @ P {
                  r0 = pin d buf %s
                }
                exists (T:r0 = 0)
                """.formatted(mapping, flags == null ? "" : flags);
        assertEquals("T:r0=" + expected, only(check(s, "linux-6.18")));
    }

    /** FOLL_FORCE breaks COW in a read-only private mapping: the write lands in a copy private to the writer. */
    @ParameterizedTest
    @ValueSource(strings = {"linux-2.6", "linux-5.9", "linux-6.18"})
    void gup_forceWrite_breaksCowPrivately(String policy) {
        String s = """
                name force
                process P
                holder device d
                setup {
                  P: mmap buf 1 rw private
                  P: buf[0] = 1
                }
                thread T @ P {
                  fork C
                  mprotect buf r
                  pin d buf write force
                  dma d[0] = 5
                }
                forall (P:buf[0] = 5 /\\ C:buf[0] = 1 /\\ ~same(P:buf[0], C:buf[0]))
                """;
        assertEquals("Always", check(s, policy).observationWord());
    }

    @Test
    void uringRegister_beforeIoUring_failsWithEnosys() {
        String s = """
                name nosys
                process P
                holder ring r
                setup {
                  P: mmap buf 1 rw private
                }
                thread T @ P {
                  x = uring_register r buf
                }
                exists (T:x = -ENOSYS)
                """;
        assertEquals("Always", check(s, "linux-2.6").observationWord());
        assertEquals("Never", check(s, "linux-5.8").observationWord());
    }

    /** A read fault maps the zero page from 2.6.32 (reinstated); 2.6.28 allocated a page. */
    @ParameterizedTest
    @CsvSource({"linux-2.6,false", "linux-5.8,true", "linux-6.18,true"})
    void readFault_mapsZeroPageOnlyWhereTheKernelDid(String policy, boolean zero) {
        String s = """
                name zero
                process P
                setup {
                  P: mmap buf 1 rw private
                }
                thread T @ P {
                  r0 = buf[0]
                }
                exists (T:r0 = 0)
                """;
        CheckResult r = check(s, policy);
        Trace t = r.outcomes().get(0).trace();
        String what = String.join("\n", t.steps().get(0).notes());
        assertEquals(zero, what.contains("zero page"), what);
    }

    /** A write after munmap of a pinned page: the DMA lands in a page nobody maps, and the pin keeps it alive. */
    @Test
    void pinThenMunmap_dmaLandsInOrphanPage_noViolation() {
        String s = """
                name orphan
                process P
                holder device d
                setup {
                  P: mmap buf 1 rw private
                  P: buf[0] = 1
                  P: pin d buf write longterm
                }
                thread T @ P {
                  munmap buf
                  dma d[0] = 7
                  r0 = dma d[0]
                  release d dirty
                }
                forall (T:r0 = 7 /\\ P:buf[0] = none)
                """;
        for (String policy : List.of("linux-2.6", "linux-6.18")) {
            CheckResult r = check(s, policy);
            assertEquals("Always", r.observationWord(), policy);
            assertTrue(r.violations().isEmpty());
        }
    }

    @Test
    void dmaAfterRelease_isAViolation() {
        String s = """
                name late-dma
                process P
                holder device d
                setup {
                  P: mmap buf 1 rw private
                  P: pin d buf write
                }
                thread T @ P {
                  release d
                }
                thread NIC @ device {
                  dma d[0] = 7
                }
                exists (P:buf[0] = 7)
                """;
        CheckResult r = check(s, "linux-6.18");
        assertEquals(List.of("dma-after-release"), r.violations().stream().map(CheckResult.ViolationRow::kind).toList());
        assertEquals(2, r.violations().get(0).trace().steps().size(), "shortest trace: release, then dma");
    }

    /** Shared anonymous memory is shmem: fork shares it, and writes are seen by both processes. */
    @Test
    void sharedAnonymous_isSharedAcrossFork() {
        String s = """
                name shmem
                process P
                setup {
                  P: mmap buf 1 rw shared
                  P: buf[0] = 1
                }
                thread T @ P {
                  fork C
                  signal forked
                }
                thread U @ C {
                  buf[1] = 4
                }
                forall (P:buf[1] = 4 /\\ C:buf[0] = 1 /\\ same(P:buf[0], C:buf[0]))
                """;
        assertEquals("Always", check(s, "linux-6.18").observationWord());
    }

    /** Unmapping the last mapping of a shmem object truncates its page cache; a pin keeps the page alive. */
    @Test
    void sharedAnonymous_lastUnmapWithPin_leavesNoLeakNoUaf() {
        String s = """
                name shmem-unmap
                process P
                holder device d
                setup {
                  P: mmap buf 1 rw shared
                  P: buf[0] = 1
                  P: pin d buf write longterm
                }
                thread T @ P {
                  munmap buf
                  r0 = dma d[0]
                  release d
                }
                forall (T:r0 = 1)
                """;
        CheckResult r = check(s, "linux-6.18");
        assertEquals("Always", r.observationWord());
        assertTrue(r.violations().isEmpty(), () -> r.violations().toString());
    }

    @Test
    void segv_killsTheProcess_andItsThreadsEnd() {
        String s = """
                name segv
                process P
                setup {
                  P: mmap buf 1 r private
                }
                thread T @ P {
                  buf[0] = 1
                  buf[1] = 2
                }
                forall (event(segv) /\\ P:buf[0] = none)
                """;
        CheckResult r = check(s, "linux-6.18");
        assertEquals("Always", r.observationWord());
        assertTrue(r.violations().isEmpty());
    }

    /** 5.19+: "GUP is only allowed to take a pin on anonymous pages that is exclusive" is checked on every state. */
    @Test
    void anonExclusiveInvariant_flagsAPinOnANonExclusivePage() {
        pinlab.model.Layout lay = new pinlab.model.Layout(new int[] {0}, 1, new int[] {1}, new int[] {},
                new int[] {1});
        pinlab.model.World w = pinlab.model.World.empty(lay);
        int f = w.alloc(pinlab.model.Folio.ANON, 0);
        w.addRef(f, pinlab.model.Folio.PIN_BIAS - 1);
        w.setHolder(0, pinlab.model.Holder.make(pinlab.model.Holder.HELD, pinlab.model.Holder.PIN, 0));
        w.setSlot(0, 0, pinlab.model.Pte.ofFolio(f));
        assertTrue(new Kernel(pinlab.policy.Policies.byName("linux-5.19")).tracksAnonExclusive());
        assertFalse(new Kernel(pinlab.policy.Policies.byName("linux-5.9")).tracksAnonExclusive(),
                "5.9 does not track the flag");
        int inv = pinlab.model.Event.INV_ANON_EXCLUSIVE.bit();
        assertEquals(0, w.copy().freeze()[0] & inv, "not checked unless asked");
        assertEquals(inv, w.copy().checkingAnonExclusive().freeze()[0] & inv, "a pin on a non-exclusive page");
        // a writable PTE on a non-exclusive anonymous page breaks the rule as well
        pinlab.model.World mapped = pinlab.model.World.empty(lay);
        int g = mapped.alloc(pinlab.model.Folio.ANON, 0);
        mapped.setPte(0, 0, 0, pinlab.model.Pte.make(pinlab.model.Pte.ofFolio(g), pinlab.model.Pte.WRITE));
        assertEquals(inv, mapped.copy().checkingAnonExclusive().freeze()[0] & inv, "writable, not exclusive");
        w.setFlags(f, pinlab.model.Folio.ANON_EXCLUSIVE);
        mapped.setFlags(g, pinlab.model.Folio.ANON_EXCLUSIVE);
        assertEquals(0, w.checkingAnonExclusive().freeze()[0] & inv, "the pinned page is exclusive");
        assertEquals(0, mapped.checkingAnonExclusive().freeze()[0] & inv, "the mapped page is exclusive");
    }
}
