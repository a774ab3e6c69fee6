package pinlab.op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static pinlab.TestSupport.check;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import pinlab.report.CheckResult;

/**
 * One test per rule of the file side of the model (page cache, page_mkwrite, writeback, reclaim, truncate,
 * O_DIRECT on files, GUP on file mappings), each on a scenario small enough to have one interleaving (or a
 * handful), with the expected outcome argued from the rule's source.
 */
class FileRulesTest {

    private static String only(CheckResult r) {
        assertTrue(r.complete());
        assertTrue(r.violations().isEmpty(), () -> "violations: " + r.violations());
        assertEquals(1, r.outcomes().size(), () -> "expected one outcome, got " + r.outcomes());
        return r.outcomes().get(0).outcome();
    }

    /** do_mmap(): MAP_SHARED|PROT_WRITE of a file opened O_RDONLY is -EACCES; MAP_PRIVATE needs only read. */
    @Test
    void mmap_sharedWritableOfReadOnlyFile_isEacces_privateIsNot() {
        String s = """
                name eacces
                process P
                file F on ext4 size 1 ro
                thread T @ P {
                  r0 = mmap a 1 rw shared F
                  r1 = mmap b 1 rw private F
                  b[0] = 3
                }
                exists (T:r0 = -EACCES /\\ T:r1 = 0 /\\ P:b[0] = 3 /\\ disk F[0] = 0)
                """;
        assertEquals("Always", check(s, "linux-6.18").observationWord());
    }

    /** A read-only MAP_SHARED of an O_RDONLY file loses VM_MAYWRITE: mprotect(PROT_WRITE) fails, a store SEGVs. */
    @Test
    void sharedReadOnlyMappingOfReadOnlyFile_cannotBecomeWritable() {
        String s = """
                name nomaywrite
                process P
                file F on ext4 size 1 ro
                thread T @ P {
                  mmap a 1 r shared F
                  mprotect a rw
                  a[0] = 3
                }
                exists (event(segv))
                """;
        assertEquals("Always", check(s, "linux-6.18").observationWord());
    }

    /**
     * vma_wants_writenotify(): a read fault on a shared ext4 mapping maps the page read-only, so the first write
     * goes through page_mkwrite (buffers, dirty); on tmpfs the read fault maps it writable at once.
     */
    @ParameterizedTest
    @CsvSource({"ext4,true", "tmpfs,false"})
    void sharedFileMapping_firstWriteAfterReadFault(String fs, boolean faultsAgain) {
        String s = """
                name mkwrite
                process P
                file F on %s size 1
                setup {
                  P: mmap a 1 rw shared F
                }
                thread T @ P {
                  r0 = a[0]
                  a[0] = 4
                }
                exists (file F[0] = 4)
                """.formatted(fs);
        CheckResult r = check(s, "linux-6.18");
        assertEquals("Always", r.observationWord());
        List<String> rules = r.witness().steps().get(1).rules();
        assertEquals(faultsAgain, rules.contains("page-mkwrite"), rules.toString());
        assertEquals(!faultsAgain, rules.isEmpty(), "tmpfs: the read fault mapped the PTE writable: " + rules);
    }

    /** do_cow_fault(): a write to a MAP_PRIVATE file mapping copies; the page cache and the disk are unchanged. */
    @Test
    void privateFileMapping_writeCopies_fileUnchanged() {
        String s = """
                name cow
                process P
                file F on ext4 size 1
                setup {
                  P: mmap a 1 rw private F
                }
                thread T @ P {
                  a[0] = 4
                  fsync F
                }
                forall (P:a[0] = 4 /\\ file F[0] = 0 /\\ disk F[0] = 0)
                """;
        assertEquals("Always", check(s, "linux-6.18").observationWord());
    }

    /**
     * check_vma_flags(): a FOLL_FORCE write through a read-only MAP_PRIVATE file mapping COWs into an anonymous
     * page (the file is untouched); through a MAP_SHARED one without VM_WRITE it is -EFAULT from 3.15.
     */
    @Test
    void forceWrite_privateFileCows_sharedFails() {
        String s = """
                name force
                process P
                holder device priv, shar
                file F on ext4 size 1
                setup {
                  P: mmap a 1 r private F
                  P: mmap b 1 r shared F
                }
                thread T @ P {
                  r0 = get priv a write force
                  r1 = get shar b write force
                }
                thread D @ device {
                  dma priv[0] = 8
                  release priv dirty
                }
                forall (T:r0 = 0 /\\ T:r1 = -EFAULT /\\ P:a[0] = 8 /\\ file F[0] = 0)
                """;
        for (String p : List.of("linux-4.8", "linux-5.9", "linux-6.18")) {
            assertEquals("Always", check(s, p).observationWord(), p);
        }
        // Before 3.15 (cda540ace6a1) the forced write into the shared mapping is allowed and COWs an anonymous
        // page into it: the file still does not change.
        String old = s.replace("T:r1 = -EFAULT", "T:r1 = 0");
        assertEquals("Always", check(old, "linux-2.6").observationWord());
    }

    /**
     * writable_file_mapping_allowed() (6.5): a long-term writable pin of a shared ext4 mapping is -EFAULT; of a
     * shared tmpfs mapping or a private ext4 mapping it is allowed; before 6.5 all three are.
     */
    @ParameterizedTest
    @CsvSource({"linux-6.4,0", "linux-6.5,-14", "linux-6.18,-14"})
    void longtermWritePin_sharedExt4_refusedFrom65(String policy, int ext4Shared) {
        String s = """
                name longterm
                process P
                holder device a, b, c
                file F on ext4 size 1
                file M on tmpfs size 1
                setup {
                  P: mmap x 1 rw shared F
                  P: mmap y 1 rw shared M
                  P: mmap z 1 rw private F
                }
                thread T @ P {
                  r0 = pin a x write longterm
                  r1 = pin b y write longterm
                  r2 = pin c z write longterm
                }
                exists (T:r0 = 0)
                locations [T:r1; T:r2]
                """;
        assertEquals("T:r0=" + ext4Shared + "; T:r1=0; T:r2=0", only(check(s, policy)));
    }

    /** Writeback: fsync cleans the folio and write-protects its PTE, so the next write goes through page_mkwrite. */
    @Test
    void fsync_cleansAndWriteProtects_nextWriteFaultsAgain() {
        String s = """
                name wb
                process P
                file F on ext4 size 1
                setup {
                  P: mmap a 1 rw shared F
                  P: a[0] = 1
                }
                thread T @ P {
                  r0 = fsync F
                  a[1] = 2
                }
                forall (T:r0 = 0 /\\ disk F[0] = 1 /\\ disk F[1] = 0 /\\ cache F[1] = 2)
                """;
        CheckResult r = check(s, "linux-6.18");
        assertEquals("Always", r.observationWord());
        pinlab.report.Trace t = r.outcomes().get(0).trace();
        List<String> second = t.steps().get(t.steps().size() - 1).rules();
        assertTrue(second.contains("page-mkwrite"), "the write after writeback faults again: " + second);
    }

    /**
     * folio_wait_stable() and btrfs' own wait: a CPU write to a btrfs page waits while the page is under writeback,
     * so it cannot change the data after btrfs took its checksum; a device writing through a GUP reference does
     * not wait, and can.
     */
    @ParameterizedTest
    @CsvSource({"a[0] = 3,Never", "dma nic[0] = 3,Sometimes"})
    void btrfs_cpuWritesWaitForWriteback_deviceWritesDoNot(String write, String mismatch) {
        String s = """
                name stable
                process P
                holder device nic
                file F on btrfs size 1
                daemon flusher: writeback F bound 1
                setup {
                  P: mmap a 1 rw shared F
                  P: a[0] = 1
                  P: get nic a write
                }
                thread T @ %s {
                  %s
                }
                exists (disk F[0] = -EIO)
                """.formatted(write.startsWith("dma") ? "device" : "P", write);
        assertEquals(mismatch, check(s, "linux-6.18").observationWord(), write);
    }

    /**
     * On ext4 a device that needs stable pages (stable) makes the CPU write wait for writeback: fewer interleavings,
     * the same outcomes (pinlab does not model the device's integrity check itself).
     */
    @Test
    void ext4_stablePages_removeInterleavings() {
        String s = """
                name stable
                process P
                file F on ext4 size 1%s
                daemon flusher: writeback F bound 1
                setup {
                  P: mmap a 1 rw shared F
                  P: a[0] = 1
                }
                thread T @ P {
                  a[1] = 2
                }
                exists (disk F[1] = 2)
                """;
        CheckResult plain = check(s.formatted(""), "linux-6.18");
        CheckResult stable = check(s.formatted(" stable"), "linux-6.18");
        assertTrue(stable.search().states() < plain.search().states(), stable.search().states() + " vs " + plain.search().states());
        assertEquals(plain.outcomes().stream().map(CheckResult.OutcomeRow::outcome).toList(),
                stable.outcomes().stream().map(CheckResult.OutcomeRow::outcome).toList());
    }

    /** dio_warn_stale_pagecache() sets errseq -EIO once: the first fsync reports it, the second does not. */
    @Test
    void fsync_reportsAStalePagecacheErrorOnce() {
        String s = """
                name eio
                process P
                holder dio wr
                file F on ext4 size 1
                setup {
                  P: mmap buf 1 rw shared F
                  P: mmap src 1 rw private
                  P: src[0] = 9
                }
                thread W @ P {
                  dio_write wr src to F
                  buf[1] = 5
                  dma wr
                  dio_complete wr
                  r0 = fsync F
                  r1 = fsync F
                }
                exists (W:r0 = -EIO /\\ W:r1 = 0 /\\ event(stale-pagecache))
                """;
        assertEquals("Always", check(s, "linux-6.18").observationWord());
        assertEquals("Never", check(s, "linux-2.6").observationWord(), "2.6 ignored the failure silently");
    }

    /** truncate_inode_pages_range() ignores references: a pinned page leaves the cache; a later fault is SIGBUS. */
    @Test
    void truncate_orphansAPinnedPage_andAccessBeyondEofIsSigbus() {
        String s = """
                name trunc
                process P
                holder device nic
                file F on ext4 size 1
                setup {
                  P: mmap a 1 rw shared F
                  P: a[0] = 1
                  P: pin nic a write
                }
                thread T @ P {
                  truncate F 0
                  dma nic[0] = 7
                  r0 = a[0]
                }
                exists (event(sigbus) /\\ nic[0] = 7 /\\ cache F[0] = none)
                """;
        assertEquals("Always", check(s, "linux-6.18").observationWord());
    }

    /** truncate_pagecache() removes private COW copies (even_cows); truncate_pagecache_range() (punch) keeps them. */
    @ParameterizedTest
    @CsvSource({"truncate F 0,none", "punch F 0,4"})
    void truncateDropsPrivateCows_punchKeepsThem(String op, String seen) {
        String s = """
                name cows
                process P
                file F on ext4 size 1
                setup {
                  P: mmap a 1 rw private F
                  P: a[0] = 4
                }
                thread T @ P {
                  %s
                }
                exists (P:a[0] = 4)
                locations [P:a[0]]
                """.formatted(op);
        assertTrue(only(check(s, "linux-6.18")).contains("P:a[0]=" + seen), op);
    }

    /** MADV_DONTNEED on a shared file mapping zaps the PTE; the page stays cached and dirty. */
    @Test
    void dontneed_sharedFile_pageStaysCachedAndDirty() {
        String s = """
                name dontneed
                process P
                file F on ext4 size 1
                setup {
                  P: mmap a 1 rw shared F
                  P: a[0] = 5
                }
                thread T @ P {
                  madvise a dontneed
                  r0 = a[0]
                }
                forall (T:r0 = 5 /\\ cache F[0] = 5 /\\ disk F[0] = 0)
                """;
        assertEquals("Always", check(s, "linux-6.18").observationWord());
    }

    /** mapping_evict_folio(): fadvise DONTNEED writes back, then evicts only clean, unmapped, unreferenced folios. */
    @Test
    void fadvise_evictsCleanUnmappedOnly() {
        String s = """
                name fadvise
                process P
                file F on ext4 size 2
                setup {
                  P: mmap a 1 rw shared F
                  P: a[0] = 1
                  P: write F[2] = 3
                }
                thread T @ P {
                  fsync F
                  fadvise F dontneed
                }
                forall (cache F[0] = 1 /\\ cache F[2] = none /\\ disk F[2] = 3)
                """;
        assertEquals("Always", check(s, "linux-6.18").observationWord());
    }

    /**
     * tmpfs: read(2) of a page that is not cached allocates nothing (shmem_file_read_iter, SGP_READ); a clean page
     * (never written) is dropped by MADV_PAGEOUT and evicted by drop_caches once unmapped, but kswapd, whose LRU
     * scan does not reach swap-backed folios without swap, never takes it. Found by replay on 6.18 (probe 4g).
     */
    @ParameterizedTest
    @CsvSource({"'r0 = buf[0]; munmap buf; drop_caches; r1 = read M[0]',Always",
        "'r0 = buf[0]; madvise buf pageout',Always", "'r0 = buf[0]; signal go',Never"})
    void tmpfs_cleanPages_goOnlyWhenAskedDirectly(String ops, String gone) {
        String s = """
                name tmpfs-clean
                process P
                memfd M size 1
                daemon kswapd: reclaim M
                setup {
                  P: mmap buf 1 rw shared M
                }
                thread T @ P {
                  %s
                }
                forall (cache M[0] = none)
                """.formatted(ops.replace("; ", "\n  "));
        assertEquals(gone, check(s, "linux-6.18").observationWord(), ops);
    }

    /** btrfs verifies checksums on read: data that changed after its checksum was taken reads as -EIO. */
    @Test
    void btrfs_checksumMismatch_readFailsWithEio() {
        String s = """
                name csum
                process P
                holder dio wr
                file F on btrfs size 1
                setup {
                  P: mmap g 1 rw private
                  P: g[0] = 1
                }
                thread T @ P {
                  dio_write wr g to F
                  g[0] = 2
                  dma wr
                  dio_complete wr
                  r0 = read F[0]
                }
                exists (T:r0 = -EIO /\\ event(csum-error))
                """;
        assertEquals("Always", check(s, "linux-6.5").observationWord());
        assertEquals("Never", check(s, "linux-6.18").observationWord(), "6.15 buffers such writes");
    }

    /** Stuck states: a kernel wait that no step ends is a stall; the scenario's own await is a deadlock. */
    @Test
    void stuck_kernelWaitIsStall_ownWaitIsDeadlock() {
        String own = """
                name own
                process P
                thread T @ P {
                  await never
                }
                exists (true)
                """;
        assertEquals(List.of("deadlock"), check(own, "linux-6.18").violations().stream()
                .map(CheckResult.ViolationRow::kind).toList());
        String kernel = """
                name kernel
                process P
                holder device nic
                file F on ext4 size 1
                setup {
                  P: mmap a 1 rw shared F
                  P: a[0] = 1
                  P: pin nic a write longterm
                }
                thread T @ P {
                  fsync F
                  release nic dirty
                }
                exists (true)
                """;
        assertEquals(List.of("stall"), check(kernel, "linux-5.18+kara-block").violations().stream()
                .map(CheckResult.ViolationRow::kind).toList());
    }
}
