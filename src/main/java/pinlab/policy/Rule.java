package pinlab.policy;

import java.util.List;

/**
 * One behaviour of the kernel that the model implements, with the source it comes from.
 *
 * <p>Rules in the {@link Group#BASE} group hold under every policy; they are listed so that every trace step can
 * name the rule that decided it. The other groups are switches: a policy enables exactly one rule of each
 * choice group, and any subset of the toggles.
 */
public enum Rule {
    // ---- base semantics: the same under every policy -----------------------------------------------
    ANON_FAULT(Group.BASE, "anon-fault",
            "a fault on a missing private anonymous page allocates a new exclusive anonymous folio;"
                    + " a write fault maps it writable and dirty",
            "mm/memory.c do_anonymous_page() (all versions)", "load, store, gup"),
    WP_COPY(Group.BASE, "wp-copy",
            "a write fault that may not reuse the page copies it to a new exclusive folio, maps the copy"
                    + " writable and drops the old page's mapcount and reference",
            "mm/memory.c do_wp_page() -> wp_page_copy() (cow_user_page in 2.6)", "store, gup"),
    WP_SHARED(Group.BASE, "wp-shared",
            "a write fault on a read-only PTE of a shared mapping makes the PTE writable (no copy)",
            "mm/memory.c do_wp_page() shared case (wp_page_shared / reuse in 2.6)", "store, gup"),
    SHMEM_SHARED_ANON(Group.BASE, "shmem-shared-anon",
            "a MAP_SHARED|MAP_ANONYMOUS mapping is backed by a shmem object, a tmpfs file like a memfd: its pages"
                    + " live in that object's page cache, hold one reference for the cache, and are not anonymous;"
                    + " a fault finds or adds the page there",
            "mm/mmap.c mmap_region() -> shmem_zero_setup(); mm/shmem.c shmem_fault(), shmem_get_folio()",
            "mmap, load, store, fork"),
    FORK_WRPROTECT(Group.BASE, "fork-wrprotect",
            "fork copies the page tables of private mappings: both PTEs of an anonymous page are"
                    + " write-protected and the page is shared (mapcount and refcount + 1)",
            "mm/memory.c copy_one_pte() (2.6) / copy_present_pte(): is_cow_mapping && pte_write ->"
                    + " ptep_set_wrprotect", "fork"),
    FORK_DONTCOPY(Group.BASE, "fork-dontcopy",
            "fork skips VM_DONTCOPY VMAs (MADV_DONTFORK): the child has no mapping there",
            "kernel/fork.c dup_mmap(): if (mpnt->vm_flags & VM_DONTCOPY) continue; MADV_DONTFORK since 2.6.16",
            "fork, madvise"),
    FORK_SHARED_NOCOPY(Group.BASE, "fork-shared-nocopy",
            "fork does not copy the PTEs of a VMA without anon_vma (shared mappings, and private ones that"
                    + " only read-faulted the zero page); the child faults them in again",
            "mm/memory.c copy_page_range(): returns early without anon_vma (2.6);"
                    + " vma_needs_copy() (5.x-6.x)", "fork"),
    GUP_CHECK_VMA(Group.BASE, "gup-check-vma",
            "GUP fails with -EFAULT on an address without a VMA, on a read of a VMA without VM_READ unless"
                    + " FOLL_FORCE, and on a write to a VMA without VM_WRITE unless FOLL_FORCE; with FOLL_FORCE a write"
                    + " needs VM_MAYWRITE, and from 3.15 also a private (COW) mapping (gup-force-shared-cow says what"
                    + " 2.6 did in a shared one)",
            "mm/gup.c check_vma_flags(): is_cow_mapping() for a forced write (cda540ace6a1, 3.15); 2.6.28"
                    + " get_user_pages(): vm_flags &= force ? (VM_MAYREAD | VM_MAYWRITE) : (VM_READ | VM_WRITE)",
            "gup, poke, peek"),
    GUP_FAULT(Group.BASE, "gup-fault",
            "GUP faults in a missing page, and takes a write fault (COW) on a read-only PTE when FOLL_WRITE"
                    + " is set, before it takes the reference",
            "mm/gup.c __get_user_pages() -> faultin_page() -> handle_mm_fault()", "gup"),
    GUP_FORCE(Group.BASE, "gup-force",
            "a FOLL_FORCE write through a private mapping without VM_WRITE breaks COW but leaves the PTE"
                    + " read-only (dirty); the reference is taken on the now-private page (what the GUP then follows"
                    + " is the force-follow rule's business)",
            "mm/memory.c do_wp_page() -> wp_page_copy(): maybe_mkwrite() without VM_WRITE; mm/gup.c faultin_page()",
            "gup, poke"),
    GUP_FAST(Group.BASE, "gup-fast",
            "GUP-fast takes no lock: per page it reads the PTE, gives up on a missing, special (zero page) or, for"
                    + " FOLL_WRITE, read-only PTE, grabs the folio, then re-reads the PTE and, if it changed, drops"
                    + " the reference; the pages it could not take go to the slow path (mmap_lock, PT lock)",
            "mm/gup.c gup_fast_pte_range() (gup_pte_range() before 6.10; arch/x86/mm/gup.c from 2.6.27):"
                    + " try_grab_folio_fast(), then pte_val(pte) != pte_val(ptep_get(ptep)) -> gup_put_folio();"
                    + " gup_fast_fallback() -> get_user_pages_unlocked()", "gup"),
    FORK_MMAP_LOCK(Group.BASE, "fork-mmap-lock",
            "fork holds the parent's mmap_lock for write while it copies: the parent's faults, GUP slow path,"
                    + " mmap calls and other forks wait; CPU accesses through present PTEs and GUP-fast do not",
            "kernel/fork.c dup_mmap(): mmap_write_lock_killable(oldmm); copy_pte_range() takes the PT locks per"
                    + " batch of PTEs", "fork, gup, load, store"),
    KSM_REPLACE(Group.BASE, "ksm-replace",
            "ksmd merges a write-protected anonymous page: into an existing KSM page with the same data"
                    + " (replace_page(): if the PTE is unchanged, map the KSM page read-only, drop the old page's"
                    + " mapping and reference), or with an identical page found earlier in the pass: the scanned page"
                    + " becomes a KSM page in place and the earlier one is replaced by it; if that second page cannot"
                    + " be merged, the first is broken again (break_cow)",
            "mm/ksm.c cmp_and_merge_page(), try_to_merge_two_pages(), try_to_merge_one_page(), replace_page()"
                    + " (31dbd01f3143, 2.6.32)", "ksmd"),
    KSM_COW(Group.BASE, "ksm-cow",
            "a write fault, a FOLL_WRITE GUP or an unshare on a KSM page copies it; a KSM page is never"
                    + " PageAnonExclusive, so a read-only FOLL_PIN unshares it from 5.19, and a read-only FOLL_GET"
                    + " (vmsplice) takes a reference on the KSM page itself",
            "mm/memory.c do_wp_page(): PageAnon && !PageKsm (2.6.32-5.0), 09854ba94c6a (5.9),"
                    + " wp_can_reuse_anon_folio(): folio_test_ksm() (5.19+)", "store, gup, ksmd"),
    MIGRATE_REFS(Group.BASE, "migrate-refs",
            "page migration unmaps the folio to migration entries, then gives up with -EAGAIN and restores the PTEs"
                    + " if its refcount is not what its mappings, the page cache and buffers account for (any GUP"
                    + " reference, FOLL_GET or FOLL_PIN); otherwise it copies the folio, remaps every PTE and the"
                    + " page-cache slot to the copy and frees the old one; 5.19+ an exclusive anonymous page that may"
                    + " be pinned is not even unmapped",
            "mm/migrate.c migrate_folio_unmap(), __migrate_folio(): folio_ref_count() != expected_count -> -EAGAIN;"
                    + " folio_migrate_mapping() folio_ref_freeze(); remove_migration_ptes(); mm/rmap.c"
                    + " try_to_migrate_one() (6c287605fd56, 5.19)", "migrate, compact"),
    MIGRATE_SHARED(Group.BASE, "migrate-shared",
            "move_pages() without MPOL_MF_MOVE_ALL does not move a page other mappings share: its status is -EACCES",
            "mm/migrate.c add_folio_for_migration(): folio_maybe_mapped_shared() && !(flags & MPOL_MF_MOVE_ALL)",
            "migrate"),
    COMPACT_SKIP_REFERENCED(Group.BASE, "compact-skip-referenced",
            "compaction does not isolate a page with more references than it has mappings (a page under GUP), nor"
                    + " a locked page or one under writeback; each pass moves every other mapped page once",
            "mm/compaction.c isolate_migratepages_block(): !folio_mapping(folio) && folio_ref_count(folio) >"
                    + " folio_mapcount(folio) -> isolate_fail", "compact"),
    GUP_GET(Group.BASE, "gup-get",
            "FOLL_GET adds 1 to the refcount of each page", "mm/gup.c try_grab_folio(): folio_ref_add(folio, refs)",
            "gup, vmsplice, dio"),
    ZAP(Group.BASE, "zap",
            "munmap and exit remove each PTE: mapcount - 1, then refcount - 1; a folio whose refcount reaches"
                    + " zero is freed",
            "mm/memory.c zap_pte_range(): page_remove_rmap(); tlb batched put_page()", "munmap, exit"),
    RELEASE(Group.BASE, "release",
            "releasing references puts each page (FOLL_GET) or unpins it (FOLL_PIN), optionally dirtying it"
                    + " first with set_page_dirty_lock()",
            "mm/gup.c unpin_user_pages_dirty_lock(); block/bio.c bio_release_pages(); put_page()",
            "release, dio-complete, uring-unregister"),
    MPROTECT(Group.BASE, "mprotect",
            "mprotect() without PROT_WRITE write-protects the VMA's PTEs; with PROT_WRITE it leaves them read-only,"
                    + " so the next write takes a write fault (6.0+ may map exclusive anonymous pages writable at"
                    + " once, which ends in the same state as reusing them on that fault)",
            "mm/mprotect.c change_protection() / change_pte_range(); can_change_pte_writable() (6.0)",
            "mprotect"),
    MREMAP(Group.BASE, "mremap",
            "mremap() moving a VMA moves its page table entries: the same pages, with the same counts, appear at"
                    + " the new address; a mapping already there is unmapped first (MREMAP_FIXED)",
            "mm/mremap.c move_vma() -> move_page_tables()", "mremap"),
    DMA(Group.BASE, "dma",
            "a device reads and writes the folio its holder's reference names, whatever maps that address now;"
                    + " nothing in the mm redirects or stops it",
            "Documentation/core-api/pin_user_pages.rst (the pinned pages are the DMA target);"
                    + " seed 003 (\"the dma will complete on the oldpage\")", "dma, read_fixed, pipe"),
    // ---- files, the page cache and writeback: the same under every policy ---------------------------
    PAGECACHE_READ(Group.BASE, "pagecache-read",
            "a file page that is not cached is read in from its block (zeros for a hole) into a new uptodate"
                    + " folio, which holds one reference for the page cache",
            "mm/filemap.c filemap_fault(), filemap_read(), filemap_add_folio()", "load, store, read, gup"),
    FILE_FAULT_MAP(Group.BASE, "file-fault-map",
            "a read fault on a file mapping maps the page-cache folio: read-only in a private mapping and in a"
                    + " shared one that needs dirty tracking (vma_wants_writenotify), writable in a shared tmpfs"
                    + " mapping",
            "mm/memory.c do_read_fault() -> finish_fault(); mm/mmap.c vma_wants_writenotify()", "load, gup"),
    FILE_COW(Group.BASE, "file-cow",
            "a write fault in a private file mapping copies the page-cache folio into a new exclusive anonymous"
                    + " folio; the file and its page cache are unchanged",
            "mm/memory.c do_cow_fault(), wp_page_copy()", "store, gup"),
    PAGE_MKWRITE(Group.BASE, "page-mkwrite",
            "a write fault in a shared mapping of a file that needs dirty tracking calls ->page_mkwrite: it locks"
                    + " the folio, waits for writeback if the file needs stable pages, attaches buffers (ext4,"
                    + " btrfs), allocates the block and dirties the folio; the PTE becomes writable and dirty",
            "mm/memory.c do_page_mkwrite(), wp_page_shared(); fs/buffer.c block_page_mkwrite();"
                    + " fs/iomap/buffered-io.c iomap_page_mkwrite(); fs/btrfs/file.c btrfs_page_mkwrite()",
            "store, gup"),
    BUFFERED_IO(Group.BASE, "buffered-io",
            "write(2) locks the folio (reading it in first), lets the filesystem attach buffers and allocate the"
                    + " block, waits for writeback if the file needs stable pages, copies the data and dirties the"
                    + " folio; read(2) copies from the cached folio, reading it in first",
            "mm/filemap.c generic_perform_write() (->write_begin / ->write_end), filemap_read()", "read, write"),
    WRITEBACK(Group.BASE, "writeback",
            "writeback of a dirty folio: lock it, folio_clear_dirty_for_io() (folio_mkclean() write-protects and"
                    + " cleans every PTE that maps it), set PG_writeback, unlock, submit the write; the device"
                    + " then writes the block from the folio as it is at that moment and ends writeback."
                    + " Integrity writeback (fsync) waits for a folio already under writeback, the flusher skips it",
            "mm/page-writeback.c write_cache_pages() / writeback_iter(), folio_clear_dirty_for_io(); mm/rmap.c"
                    + " folio_mkclean(); folio_end_writeback()", "fsync, sync, msync, sync_file_range, flusher"),
    FSYNC_ERRSEQ(Group.BASE, "fsync-errseq",
            "fsync and fdatasync write back the file, wait, then report -EIO once for an error recorded in the"
                    + " mapping (errseq_t wb_err) since the open file last reported one; fsync on tmpfs does nothing",
            "mm/filemap.c file_check_and_advance_wb_err(); lib/errseq.c; mm/shmem.c noop_fsync", "fsync, msync"),
    STABLE_PAGES(Group.BASE, "stable-pages",
            "a CPU write through write(2) or page_mkwrite waits until writeback of the folio ends when the"
                    + " device requires stable pages (integrity checksums); GUP holders and PTEs that are already"
                    + " writable bypass the wait",
            "mm/page-writeback.c folio_wait_stable() (wait_for_stable_page before 5.19); Jan Kara, seed 004"
                    + " (\"stable-pages framework for DIF/DIX\")", "store, write"),
    RECLAIM_FILE(Group.BASE, "reclaim-file",
            "reclaim of a file folio (kswapd, MADV_PAGEOUT) skips it while locked, under writeback or dirty,"
                    + " else unmaps every PTE, releases its buffers, and then removes it from the page cache only if"
                    + " no unexpected reference remains; otherwise the folio stays cached, unmapped and without"
                    + " buffers",
            "mm/vmscan.c shrink_folio_list(): try_to_unmap(), filemap_release_folio(), __remove_mapping()"
                    + " (folio_ref_freeze); Jan Kara, \"Filesystem crashes due to pages without buffers\" (2018)",
            "kswapd, madvise pageout"),
    EVICT_CLEAN(Group.BASE, "evict-clean",
            "invalidate_mapping_pages() (POSIX_FADV_DONTNEED, drop_caches) evicts a folio only if it is clean,"
                    + " not under writeback, not locked, not mapped and has no extra reference, checked before its"
                    + " buffers are released",
            "mm/truncate.c mapping_evict_folio() (invalidate_inode_page() before 5.19)", "fadvise, drop_caches"),
    TRUNCATE(Group.BASE, "truncate",
            "truncate and punch-hole unmap the range (private COW copies too), wait for writeback, drop the"
                    + " buffers and remove each folio from the page cache whatever its references (a pinned folio"
                    + " lives on as an orphan), and free the blocks; a fault beyond the new end of file is SIGBUS",
            "mm/truncate.c truncate_pagecache(), truncate_inode_pages_range(); mm/memory.c"
                    + " unmap_mapping_range(even_cows); mm/filemap.c filemap_fault() (VM_FAULT_SIGBUS past EOF)",
            "truncate, punch"),
    MADVISE_FILE(Group.BASE, "madvise",
            "MADV_DONTNEED zaps the PTEs and keeps the VMA (the next touch faults: the zero page or the page"
                    + " cache; a pinned page stays alive); MADV_PAGEOUT reclaims the file folios only this process"
                    + " maps; MADV_COLD only reorders the LRU, which pinlab does not model",
            "mm/madvise.c madvise_dontneed_single_vma(), madvise_cold_or_pageout_pte_range() -> reclaim_pages()",
            "madvise"),
    MMAP_FILE(Group.BASE, "mmap-file",
            "mmap of a file: MAP_SHARED with PROT_WRITE of a file opened read-only fails with -EACCES (no"
                    + " VM_MAYWRITE, so a later mprotect(PROT_WRITE) fails too); MAP_PRIVATE needs only read",
            "mm/mmap.c do_mmap(): MAP_SHARED && !(file->f_mode & FMODE_WRITE) -> EACCES", "mmap, mprotect"),
    DIO_FLUSH(Group.BASE, "dio-flush",
            "O_DIRECT reads and writes first write back and wait for the dirty cached pages of their range",
            "mm/filemap.c filemap_write_and_wait_range() via kiocb_write_and_wait() / kiocb_invalidate_pages()"
                    + " (generic_file_direct_write() in 2.6)", "dio_read, dio_write"),
    // ---- filesystems: the same under every policy --------------------------------------------------
    EXT4_BUFFERS(Group.BASE, "ext4-buffers",
            "ext4 keeps buffer heads on page-cache folios it may write: ->write_begin and ->page_mkwrite attach"
                    + " them, a read does not (block size = page size), ext4_release_folio() frees clean ones",
            "fs/ext4/inode.c ext4_page_mkwrite() -> block_page_mkwrite(); fs/buffer.c try_to_free_buffers()",
            "store, write, writeback, reclaim"),
    XFS_IOMAP(Group.BASE, "xfs-iomap",
            "xfs writes back through iomap, which needs no per-folio state when the block size is the page size:"
                    + " a dirty folio whose block is allocated is written whether or not page_mkwrite ran",
            "fs/iomap/buffered-io.c iomap_writepage_map(); fs/xfs/xfs_aops.c xfs_map_blocks()",
            "writeback"),
    BTRFS_CSUM(Group.BASE, "btrfs-csum",
            "btrfs computes data checksums when it submits a write and verifies them on read: a block whose data"
                    + " changed after the checksum was computed fails the read with -EIO (\"csum failed\")",
            "fs/btrfs/file-item.c btrfs_csum_one_bio(); fs/btrfs/inode.c btrfs_check_data_csum(); Liu Bo in"
                    + " seed 004 (qemu with checksums)", "writeback, dio, read"),
    BTRFS_WAIT_WRITEBACK(Group.BASE, "btrfs-wait-writeback",
            "btrfs page_mkwrite and buffered writes wait for writeback of the folio to end, whatever the device"
                    + " (btrfs gives its own pages stable contents)",
            "fs/btrfs/file.c btrfs_page_mkwrite() (folio_wait_writeback), prepare_one_folio()", "store, write"),
    BTRFS_FIXUP(Group.BASE, "btrfs-fixup",
            "btrfs writeback of a folio dirtied without page_mkwrite (no private state, no reservation) hands it"
                    + " to the COW fixup worker, which reserves space and writes it: the data is saved (6.15 rejects"
                    + " it with -EUCLEAN only in CONFIG_BTRFS_EXPERIMENTAL builds)",
            "fs/btrfs/inode.c btrfs_writepage_cow_fixup(), btrfs_writepage_fixup_worker(); 87826df0ec36"
                    + " \"btrfs: delalloc for page dirtied out-of-band in fixup worker\"; 7ca3e84980ef (6.15,"
                    + " experimental only)", "writeback"),
    TMPFS_NO_WRITEBACK(Group.BASE, "tmpfs-no-writeback",
            "tmpfs (shmem, memfd) pages live only in memory: no writeback, no page_mkwrite, no dirty tracking, so"
                    + " a shared writable mapping is mapped writable at once and long-term writable pins are"
                    + " allowed",
            "mm/shmem.c (no ->page_mkwrite, shmem_writepage() only swaps); vma_needs_dirty_tracking() is false",
            "store, gup, fsync"),
    // ---- write-fault reuse: exactly one ------------------------------------------------------------
    WP_REUSE_MAPCOUNT(Group.WP_REUSE, "wp-reuse-mapcount",
            "a write fault reuses an anonymous page when its mapcount (+ swapcount) is 1, ignoring extra"
                    + " references",
            "mm/memory.c do_wp_page() -> reuse_swap_page() / can_share_swap_page() (2.6.x to 5.8)",
            "store, gup"),
    WP_REUSE_REFCOUNT(Group.WP_REUSE, "wp-reuse-refcount",
            "a write fault reuses an anonymous page only when its refcount is 1 (no other mapping and no"
                    + " GUP reference)",
            "09854ba94c6a \"mm: do_wp_page() simplification\" (5.9)", "store, gup"),
    WP_REUSE_EXCLUSIVE(Group.WP_REUSE, "wp-reuse-anon-exclusive",
            "a write fault reuses a PageAnonExclusive page even when pinned; otherwise only when its refcount"
                    + " is 1, and then marks it exclusive",
            "6c287605fd56 \"mm: remember exclusively mapped anonymous pages with PG_anon_exclusive\" (5.19);"
                    + " mm/memory.c do_wp_page() / wp_can_reuse_anon_folio()", "store, gup"),
    // ---- fork of maybe-pinned anonymous pages: exactly one -----------------------------------------
    FORK_SHARE_PINNED(Group.FORK_PINNED, "fork-share-pinned",
            "fork shares every anonymous page, pinned or not, write-protecting it in the parent",
            "mm/memory.c copy_one_pte() (2.6 to 5.8): no pin check", "fork"),
    FORK_COPY_MAYBE_PINNED(Group.FORK_PINNED, "fork-copy-maybe-pinned",
            "fork copies an anonymous page for the child at once when the parent mm has pinned"
                    + " (MMF_HAS_PINNED) and page_maybe_dma_pinned() (refcount >= 1024); the parent keeps its"
                    + " writable PTE on the original",
            "70e806e4e645 \"mm: Do early cow for pinned pages during fork() for ptes\" (5.9)", "fork"),
    FORK_COPY_EXCLUSIVE_PINNED(Group.FORK_PINNED, "fork-copy-exclusive-pinned",
            "fork refuses to share an exclusive anonymous page that may be pinned (page_try_dup_anon_rmap()"
                    + " fails) and copies it for the child; sharing any other page clears PG_anon_exclusive",
            "\"mm/rmap: split page_dup_rmap() into page_dup_file_rmap() and page_try_dup_anon_rmap()\" (5.19);"
                    + " mm/memory.c copy_present_pte()", "fork"),
    // ---- ext4 and a dirty folio without buffers: exactly one -------------------------------------------
    EXT4_BUG_NO_BUFFERS(Group.EXT4_NO_BUFFERS, "ext4-bug-no-buffers",
            "ext4 writeback of a dirty folio without buffers hits a BUG (the kernel crashes)",
            "fs/ext4/inode.c before cc5095747edf (page_buffers() BUG_ON in the writepage path); Jan Kara,"
                    + " \"Filesystem crashes due to pages without buffers\" (2018)", "writeback"),
    EXT4_WARN_NO_BUFFERS(Group.EXT4_NO_BUFFERS, "ext4-warn-no-buffers",
            "ext4 writeback of a dirty folio without buffers warns (\"page %lu does not have buffers attached\"),"
                    + " clears the dirty bit and skips it: the data never reaches the disk",
            "cc5095747edf \"ext4: don't BUG if someone dirty pages without asking ext4 first\" (5.18)",
            "writeback"),
    // ---- toggles -----------------------------------------------------------------------------------
    FOLL_PIN(Group.TOGGLE, "foll-pin",
            "pin_user_pages() exists: pins use FOLL_PIN and add GUP_PIN_COUNTING_BIAS (1024) to a small"
                    + " folio's refcount; without it every pinner uses get_user_pages() (FOLL_GET, + 1)",
            "eddb1c228f79 \"mm/gup: introduce pin_user_pages*() and FOLL_PIN\" (5.6); the bias and"
                    + " page_maybe_dma_pinned() came with 3faa52c03f44 \"mm/gup: track FOLL_PIN pages\" (5.7)",
            "gup, uring-register"),
    GUP_FORCE_SHARED_COW(Group.TOGGLE, "gup-force-shared-cow",
            "a FOLL_FORCE write into a shared mapping without VM_WRITE but with VM_MAYWRITE is allowed, and since"
                    + " do_wp_page() reuses only in VM_WRITE|VM_SHARED mappings, it COWs: an anonymous page appears"
                    + " inside the shared mapping, private to this process",
            "2.6.28 get_user_pages() (force needs only VM_MAYWRITE) and do_wp_page(): \"read-only shared pages can"
                    + " get COWed by get_user_pages(.write=1, .force=1)\"; removed by cda540ace6a1 \"mm:"
                    + " get_user_pages(write,force) refuse to COW in shared areas\" (3.15)", "gup, poke"),
    UPROBES(Group.TOGGLE, "uprobes",
            "uprobes exist: registering a probe on a file offset writes the breakpoint instruction into every"
                    + " private read-only mapping of that page, and into each such mapping made later (uprobe_mmap());"
                    + " the file and the page cache never change",
            "kernel/events/uprobes.c register_for_each_vma(), install_breakpoint(), uprobe_mmap() (3.5)",
            "uprobe, mmap"),
    TMPFS_DIO(Group.TOGGLE, "tmpfs-dio",
            "tmpfs (shmem, memfd) accepts O_DIRECT and does it as buffered I/O through the page cache; before, opening"
                    + " a tmpfs file with O_DIRECT failed with -EINVAL",
            "\"tmpfs: trivial support for direct IO\" (Hugh Dickins, 6.6; release from memory, and this machine's"
                    + " 6.18 accepts O_DIRECT on tmpfs)", "dio_read, dio_write"),
    PROC_MEM_WRITE(Group.TOGGLE, "proc-mem-write",
            "writes to /proc/PID/mem are possible (before 2.6.39 the file had no write method; debuggers used"
                    + " PTRACE_POKEDATA)",
            "198214a7ee50 \"proc: enable writing to /proc/pid/mem\" (2.6.39); fs/proc/base.c: #define mem_write NULL"
                    + " before it", "poke"),
    PROCESS_VM(Group.TOGGLE, "process-vm",
            "process_vm_readv() and process_vm_writev() exist",
            "fcf634098c00 \"Cross Memory Attach\" (3.2)", "vm_write, vm_read"),
    UPROBE_ORIG_PAGE(Group.TOGGLE, "uprobe-orig-page",
            "removing a uprobe whose page then equals the file's clears the PTE, so the next access maps the"
                    + " page-cache page again, instead of installing another anonymous copy",
            "kernel/events/uprobes.c uprobe_write_opcode() orig_page / __replace_page(vma, vaddr, old_page, NULL)"
                    + " (Song Liu, 5.4)", "uprobe"),
    KSM_BREAK_UNSHARE(Group.TOGGLE, "ksm-break-unshare",
            "break_ksm() (MADV_UNMERGEABLE, break_cow()) unshares with FAULT_FLAG_UNSHARE, leaving the copy"
                    + " read-only; before, it took a write fault, which maps the copy writable and dirty",
            "mm/ksm.c break_ksm(): handle_mm_fault(FAULT_FLAG_UNSHARE | FAULT_FLAG_REMOTE) (David Hildenbrand's"
                    + " break_ksm() series, 6.2; FAULT_FLAG_WRITE before)", "madvise, ksmd"),
    KSM(Group.TOGGLE, "ksm",
            "KSM exists: MADV_MERGEABLE marks a private VMA (VM_MERGEABLE; shared VMAs are ignored) and ksmd"
                    + " scans its anonymous pages; MADV_UNMERGEABLE breaks the KSM pages of the range and clears the flag",
            "f8af4da3b4c1 \"ksm: the mm interface to ksm\", 31dbd01f3143 \"ksm: Kernel SamePage Merging\" (2.6.32);"
                    + " mm/ksm.c ksm_madvise(), ksm_compatible(), break_ksm()", "madvise, ksmd"),
    KSM_REUSE_SOLE(Group.TOGGLE, "ksm-reuse-sole",
            "a write fault on a KSM page that nothing else references (page_count 1, not in the swap cache)"
                    + " turns it back into an ordinary anonymous page and reuses it",
            "\"mm: reuse only-pte-mapped KSM page in do_wp_page()\" (Kirill Tkhai, 5.1): reuse_ksm_page();"
                    + " gone with 09854ba94c6a \"mm: do_wp_page() simplification\" (5.9)", "store"),
    LONGTERM_MIGRATE_MOVABLE(Group.TOGGLE, "longterm-migrate-movable",
            "a FOLL_LONGTERM pin does not leave a page in ZONE_MOVABLE: GUP pins, finds pages that are not"
                    + " long-term pinnable, unpins everything, migrates them out (the expected-refcount rule) and pins"
                    + " again; if a page cannot be migrated the pin fails with -ENOMEM",
            "d1e153fea2a8 \"mm/gup: migrate pinned pages out of movable zone\" (5.13; CMA since 9a4e9f3b2d73,"
                    + " 5.1); mm/gup.c check_and_migrate_movable_folios(), migrate_longterm_unpinnable_folios()",
            "gup, uring-register"),
    GUP_FAST_SEQ(Group.TOGGLE, "gup-fast-seq",
            "a FOLL_PIN GUP-fast reads the mm's write_protect_seq first and gives up while a fork copies the page"
                    + " tables; if the count changed by the end, it unpins everything and takes the slow path",
            "57efa1fe5957 \"mm/gup: prevent gup_fast from racing with COW during fork\" (5.11):"
                    + " raw_write_seqcount_begin() in copy_page_range() for COW mappings, read_seqcount_retry() in"
                    + " gup_fast()", "gup, fork"),
    MMF_HAS_PINNED(Group.TOGGLE, "mmf-has-pinned",
            "the first FOLL_PIN on an mm sets its sticky has_pinned bit (MMF_HAS_PINNED from 5.14)",
            "008cfe4418b3 \"mm: Introduce mm_struct.has_pinned\" (5.9); a458b76a4171 (5.14)",
            "gup, uring-register, dio"),
    ANON_EXCLUSIVE_FLAG(Group.TOGGLE, "anon-exclusive-flag",
            "PG_anon_exclusive is tracked: set on new anonymous pages and on reuse, cleared when fork"
                    + " shares the page",
            "6c287605fd56 \"mm: remember exclusively mapped anonymous pages with PG_anon_exclusive\" (5.19)",
            "store, load, fork, gup"),
    ANON_READ_ZERO_PAGE(Group.TOGGLE, "anon-read-zero-page",
            "a read fault on missing private anonymous memory maps the shared zero page read-only instead"
                    + " of allocating",
            "mm/memory.c do_anonymous_page(); ZERO_PAGE use removed in 2.6.24, reinstated by"
                    + " \"mm: reinstate ZERO_PAGE\" a13ea5b75964 (2.6.32)", "load, gup"),
    GUP_READ_BREAKS_COW(Group.TOGGLE, "gup-read-breaks-cow",
            "GUP with FOLL_GET or FOLL_PIN in a COW mapping is treated as a write (FOLL_WRITE forced): it"
                    + " breaks COW first, so the reference is on a page private to this mm",
            "17839856fd58 \"gup: document and work around 'COW can break either way' issue\" (5.8); removed"
                    + " by a308c71bf1e6 \"mm/gup: Remove enfornced COW mechanism\" (5.9)", "gup, vmsplice"),
    GUP_UNSHARE_ANON(Group.TOGGLE, "gup-unshare-anon",
            "a read-only FOLL_PIN of an anonymous page that is not PageAnonExclusive first unshares it"
                    + " (FAULT_FLAG_UNSHARE): the page is copied, mapped read-only and exclusive",
            "a7f226604170 \"mm/gup: trigger FAULT_FLAG_UNSHARE when R/O-pinning a possibly shared anonymous"
                    + " page\" (5.19); mm/internal.h gup_must_unshare()", "gup"),
    GUP_UNSHARE_COW_LONGTERM(Group.TOGGLE, "gup-unshare-cow-longterm",
            "a read-only FOLL_PIN|FOLL_LONGTERM of a non-anonymous page (the zero page, a file page) in a"
                    + " COW mapping also unshares it into a new exclusive anonymous page",
            "84209e87c696 \"mm/gup: reliable R/O long-term pinning in COW mappings\" (6.2)", "gup"),
    DIO_FOLL_PIN(Group.TOGGLE, "dio-foll-pin",
            "direct I/O takes its page references with FOLL_PIN (iov_iter_extract_pages) instead of"
                    + " FOLL_GET",
            "a7e689dd1c06 \"block: Convert bio_iov_iter_get_pages to use iov_iter_extract_pages\" (6.5), block"
                    + " devices and iomap; FUSE direct I/O pins only since 738adade96b2 \"fuse: Fix missing FOLL_PIN"
                    + " for direct-io\" (6.9), which is what pinlab replay uses",
            "dio-read, dio-write, dio-complete"),
    IO_URING(Group.TOGGLE, "io-uring",
            "io_uring exists; IORING_REGISTER_BUFFERS pins the buffer with FOLL_WRITE|FOLL_LONGTERM"
                    + " (FOLL_PIN when pin_user_pages exists); without it registration fails with -ENOSYS",
            "io_uring merged in 5.1 (get_user_pages_longterm(FOLL_WRITE)); \"fs/io_uring: set FOLL_PIN via"
                    + " pin_user_pages()\" (5.6); io_uring/rsrc.c io_pin_pages(): pin_user_pages_fast(FOLL_WRITE|"
                    + "FOLL_LONGTERM) (6.x)", "uring-register"),
    GUP_LONGTERM_FSDAX(Group.TOGGLE, "gup-longterm-fsdax",
            "a long-term GUP of a filesystem-DAX mapping fails (-EOPNOTSUPP): the kernel cannot revoke it when"
                    + " the file is truncated",
            "2bb6d2837083 \"mm: introduce get_user_pages_longterm\" (4.15); mm/gup.c check_vma_flags()"
                    + " (FOLL_LONGTERM && vma_is_fsdax())", "gup"),
    FOLL_LONGTERM(Group.TOGGLE, "foll-longterm",
            "long-term pinning is the GUP flag FOLL_LONGTERM, checked per VMA in check_vma_flags(); before, it was"
                    + " the separate entry point get_user_pages_longterm() with the same checks",
            "932f4a630a69 \"mm/gup: replace get_user_pages_longterm() with FOLL_LONGTERM\" (5.2)", "gup"),
    GUP_LONGTERM_FILE_WRITE(Group.TOGGLE, "gup-longterm-file-write",
            "a FOLL_PIN|FOLL_LONGTERM|FOLL_WRITE GUP of a shared file mapping that needs dirty tracking fails"
                    + " with -EFAULT (writable_file_mapping_allowed()); short-term pins and tmpfs are still allowed",
            "Lorenzo Stoakes, \"mm/gup: disallow FOLL_LONGTERM GUP-nonfast writing to file-backed mappings\""
                    + " (6.5)", "gup, uring-register"),
    STABLE_WRITES_QUEUE(Group.TOGGLE, "stable-writes-queue",
            "whether a file needs stable pages comes from the superblock flag SB_I_STABLE_WRITES, set from the"
                    + " block queue's QUEUE_FLAG_STABLE_WRITES, instead of the BDI capability; for files on a"
                    + " filesystem the answer is the same (raw block-device access, which pinlab does not model,"
                    + " lost it until the per-mapping flag)",
            "1cb039f3dc16 \"bdi: replace BDI_CAP_STABLE_WRITES with a queue and a sb flag\" (5.10)",
            "store, write"),
    DIO_INVALIDATE_BEFORE(Group.TOGGLE, "dio-invalidate-before",
            "an O_DIRECT write invalidates its range in the page cache before the I/O"
                    + " (invalidate_inode_pages2_range(), which ignores the refcount, so a pinned clean folio leaves"
                    + " the cache); a folio that is dirty again or whose buffers cannot be released makes the"
                    + " write fall back to buffered I/O",
            "mm/filemap.c kiocb_invalidate_pages() (6.5; generic_file_direct_write() before); Matthew Wilcox in"
                    + " seed 002 (\"tossed out of the page cache _before_ an O_DIRECT write starts\")",
            "dio_write"),
    DIO_INVALIDATE_AFTER(Group.TOGGLE, "dio-invalidate-after",
            "an O_DIRECT write invalidates its range again after it completes, so that buffered readers see the"
                    + " new data; a folio that cannot be invalidated stays, stale",
            "mm/filemap.c kiocb_invalidate_post_direct_write() (6.5; iomap_dio_complete() and"
                    + " generic_file_direct_write() before); Jerome Glisse in seed 002 (\"tossed after O_DIRECT"
                    + " starts\")", "dio_complete"),
    DIO_WARN_STALE(Group.TOGGLE, "dio-warn-stale-pagecache",
            "when the invalidation after an O_DIRECT write fails, the kernel logs \"Page cache invalidation"
                    + " failure on direct I/O\" and records -EIO in the mapping, so the next fsync reports it",
            "5a9d929d6e13 \"iomap: report collisions between directio and buffered writes to userspace\";"
                    + " mm/filemap.c dio_warn_stale_pagecache()", "dio_complete, fsync"),
    RECLAIM_SKIP_PINNED(Group.TOGGLE, "reclaim-skip-pinned",
            "reclaim keeps a folio that may be DMA-pinned (refcount >= 1024, FOLL_PIN) once it is unmapped, before"
                    + " releasing its buffers; FOLL_GET references are not seen",
            "d824ec2a1546 \"mm: do not reclaim private data from pinned page\" (Jan Kara, 6.4); mm/vmscan.c"
                    + " shrink_folio_list(): folio_maybe_dma_pinned() -> activate_locked", "kswapd, madvise pageout"),
    EVICT_REFCOUNT_FIRST(Group.TOGGLE, "evict-refcount-first",
            "mapping_evict_folio() checks the refcount before releasing buffers, so fadvise DONTNEED and"
                    + " drop_caches leave a referenced folio alone; before, invalidate_inode_page() checked only"
                    + " page_mapped(), released the buffers of an unmapped pinned page, and then failed to remove it",
            "Matthew Wilcox's folio conversion of mm/truncate.c (5.18): mapping_evict_folio(); 4.x"
                    + " invalidate_inode_page()", "fadvise, drop_caches"),
    DAX_BREAK_LAYOUTS(Group.TOGGLE, "dax-break-layouts",
            "truncate and punch-hole of a filesystem-DAX file wait while a page of the range is still referenced"
                    + " for DMA (dax_layout_busy_page()); before, the pages were freed under the DMA",
            "Dan Williams, \"mm, fs, dax: handle layout changes to pinned dax mappings\" (4.18)",
            "truncate, punch"),
    MADV_PAGEOUT(Group.TOGGLE, "madv-pageout",
            "MADV_PAGEOUT and MADV_COLD exist; without them madvise() fails with -EINVAL",
            "1a4e58cce84e \"mm: introduce MADV_PAGEOUT\" and 9c276cc65a58 \"mm: introduce MADV_COLD\" (5.4)",
            "madvise"),
    BTRFS_DIO_BUFFERED(Group.TOGGLE, "btrfs-dio-csum-buffered",
            "an O_DIRECT write to a btrfs file with data checksums is done as a buffered write, so user space"
                    + " changing the buffer during the I/O cannot make the checksum wrong",
            "Qu Wenruo, \"btrfs: always fallback to buffered write if the inode requires checksum\"", "dio_write"),
    FORCE_DROP_WRITE(Group.FORCE_FOLLOW, "force-drop-write",
            "after the COW fault of a FOLL_FORCE write to a read-only private mapping, GUP drops FOLL_WRITE and looks"
                    + " the page up again as a read: if MADV_DONTNEED zapped the private copy in between, it finds the"
                    + " page-cache page and the write lands in the file (Dirty COW, CVE-2016-5195)",
            "mm/gup.c faultin_page() before 4.9: if ((ret & VM_FAULT_WRITE) && !(vma->vm_flags & VM_WRITE))"
                    + " *flags &= ~FOLL_WRITE", "poke"),
    FOLL_COW(Group.FORCE_FOLLOW, "foll-cow",
            "after the COW fault GUP sets FOLL_COW and follows a read-only PTE for a forced write only if it is"
                    + " dirty; a page-cache PTE faulted in again after a zap is clean, so it faults (COWs) again",
            "19be0eaffa3a \"mm: remove gup_flags FOLL_WRITE games from __get_user_pages()\" (4.9):"
                    + " can_follow_write_pte()", "poke"),
    FORCE_EXCLUSIVE(Group.FORCE_FOLLOW, "force-exclusive",
            "a forced write follows a read-only PTE only to an exclusive anonymous page (PageAnonExclusive) in a"
                    + " private mapping; anything else faults (COWs) again",
            "5535be309971 \"mm/gup: fix FOLL_FORCE COW security issue and remove FOLL_COW\" (6.0):"
                    + " can_follow_write_pte()", "poke"),
    REMOTE_ACCESS(Group.BASE, "remote-access",
            "ptrace(PTRACE_POKEDATA) and a write to /proc/PID/mem go through access_remote_vm() with"
                    + " FOLL_FORCE|FOLL_WRITE: GUP one page of the target's mm, copy into it, set_page_dirty_lock(),"
                    + " put_page(); nothing copied is -EIO. process_vm_writev() pins with FOLL_WRITE only (no"
                    + " FOLL_FORCE): a read-only mapping gives -EFAULT",
            "kernel/ptrace.c generic_ptrace_pokedata(); fs/proc/base.c mem_rw(); mm/memory.c __access_remote_vm();"
                    + " mm/process_vm_access.c process_vm_rw_single_vec()", "poke, peek, vm_write, vm_read"),
    UPROBE_REPLACE_PAGE(Group.UPROBE_WRITE, "uprobe-replace-page",
            "uprobe_write_opcode() copies the page a private file mapping maps (page-cache page or anonymous copy)"
                    + " into a new anonymous page with the new instruction and __replace_page() maps it instead; a"
                    + " holder of the old page keeps the old text. On removal, if the result equals the file's page,"
                    + " the page-cache page is mapped back",
            "kernel/events/uprobes.c uprobe_write_opcode(), __replace_page() (3.5 to 6.15)", "uprobe"),
    UPROBE_IN_PLACE(Group.UPROBE_WRITE, "uprobe-in-place",
            "uprobe_write_opcode() breaks COW with a FOLL_FORCE|FOLL_WRITE GUP (an exclusive anonymous page stays"
                    + " where it is) and writes the instruction into that page in place; on removal it writes the"
                    + " original back and zaps the page if it equals the file's page and nothing else references it",
            "kernel/events/uprobes.c uprobe_write_opcode() rewrite by David Hildenbrand (2025; 6.16 per the"
                    + " research, unconfirmed): __uprobe_write_opcode(), orig_page_is_identical()", "uprobe"),
    TUX3_2015(Group.TUX3_FORK, "tux3-2015",
            "Tux3 as posted: a write (page_mkwrite or write(2)) to a page under writeback of the previous delta"
                    + " forks it: a copy replaces it in the page cache and in every shared mapping (page_cow_file()),"
                    + " the old page stays for its write and is freed when that ends; extra references are not"
                    + " looked at",
            "seed 000_7420fabda81241f5.txt and seed 001_3b980a7f3ff687ab.txt (\"[FYI] tux3: Core changes\","
                    + " May 2015: page forking, page_cow_file())", "store, write, writeback"),
    TUX3_REFCHECK(Group.TUX3_FORK, "tux3-refcheck",
            "Rik van Riel's rule: like migration, Tux3 does not fork a page with references its own code does not"
                    + " account for (page cache, mappings); the write waits for the writeback to end instead"
                    + " (stable-page behaviour)",
            "seed 001_3b980a7f3ff687ab.txt (Rik van Riel: \"your cow code needs to fail if there is an extra"
                    + " reference count pinning the page\")", "store, write"),
    TUX3_NO_MMAP_FORK(Group.TUX3_FORK, "tux3-no-mmap-fork",
            "Daniel Phillips' \"cowardly\" option: no forking of pages that are mapped; a write to a mapped page"
                    + " under writeback waits for it, an unmapped page still forks",
            "seed 001_3b980a7f3ff687ab.txt (Daniel Phillips: not doing page forking for mmapped files)",
            "store, write"),
    KSM_CLEAR_FIRST(Group.KSM_ORDER, "ksm-clear-first",
            "write_protect_page() in the mainline order, in one step under the PT lock: clear the PTE and flush the"
                    + " TLB, then compare mapcount + 1 (+ swap cache) with the refcount and restore the PTE and give up"
                    + " if they differ; 5.19+: give up if the exclusive page may be pinned"
                    + " (folio_try_share_anon_rmap_pte()); then write-protect and clean. A GUP-fast that read the"
                    + " PTE before the clear sees it changed and falls back",
            "mm/ksm.c write_protect_page(): ptep_clear_flush() before the count check since the first merge"
                    + " (2.6.32); seed 003 (Andrea Arcangeli)", "ksmd"),
    KSM_CHECK_BEFORE_CLEAR(Group.KSM_ORDER, "ksm-check-before-clear",
            "an alternative argued in seed 003: ksmd checks the counts under the PT lock and only then"
                    + " write-protects the PTE, without clearing and flushing it first; the slow GUP waits for the PT"
                    + " lock, but a GUP-fast that reads the PTE, grabs the page and re-checks inside the window is"
                    + " missed",
            "seed 003_60c4817039ed1e74.txt: \"check page_count vs page_mapcount inside PT lock before doing"
                    + " anything on the pte\"; the GUP-fast comment in write_protect_page() (2.6.32)", "ksmd"),
    KSM_2008_DRAFT(Group.KSM_ORDER, "ksm-2008-draft",
            "the November 2008 KSM draft: page_wrprotect() checks page_count against mapcount with only the"
                    + " tree_lock held, and write-protects the PTE in a later step; a GUP (O_DIRECT) that starts in"
                    + " between is missed and its DMA lands in a page the process no longer maps",
            "seed 003_60c4817039ed1e74.txt (Andrea Arcangeli on [PATCH 2/4] Add replace_page(), 2008-11-11)",
            "ksmd"),
    // ---- proposals from the threads: never part of a linux preset ------------------------------------
    FORK_COHERENT_SNAPSHOT(Group.PROPOSAL, "fork-coherent-snapshot",
            "fork write-protects the parent's PTE (and flushes the TLB) before it copies a maybe-pinned page for the"
                    + " child, so the parent's writes to it wait for the fork and the child gets a coherent snapshot;"
                    + " after the fork the parent's write fault reuses the exclusive page",
            "Jann Horn, \"[PATCH 1/2] mm/memory: ensure fork child sees coherent memory snapshot\", linux-mm,"
                    + " 2025-06-03 (Fixes: 70e806e4e645; not merged); relies on PageAnonExclusive (5.19+)", "fork"),
    KARA_BLOCK(Group.PROPOSAL, "kara-block",
            "proposal: page_mkclean(), writeback, reclaim's unmapping and page-cache invalidation wait while a"
                    + " folio is GUP-referenced; a long-term pin that is never released makes them wait for ever",
            "Jan Kara, seed 004, option (a): \"block page_mkclean() until they are dropped\"; \"blocking e.g."
                    + " writeback for hours ... simply is not acceptable\"", "writeback, reclaim, dio, truncate"),
    KARA_BOUNCE(Group.PROPOSAL, "kara-bounce",
            "proposal: a long-term GUP of a shared file page gets a bounce page, a copy; set_page_dirty_lock() at"
                    + " release copies it into the page cache through the filesystem, so the file shows the data"
                    + " only then, and the device does not see later CPU writes",
            "Jan Kara, seed 004, option (c): \"bounce pages ... copied into page cache at set_page_dirty_lock()"
                    + " time\"", "gup, release"),
    KARA_TOLERATE(Group.PROPOSAL, "kara-tolerate",
            "proposal: filesystems accept a dirty folio that appeared without page_mkwrite: writeback attaches"
                    + " buffers again (the block was reserved when the page was first written) and writes it",
            "Jan Kara, seed 004, option (b): \"make sure filesystems are prepared for dirty pages suddenly"
                    + " appearing in files\"", "writeback"),
    REVOCABLE(Group.PROPOSAL, "revocable",
            "proposal: long-term device mappings are ODP-style: the device holds a plain reference that an"
                    + " MMU-notifier invalidation (writeback's page_mkclean, unmapping, COW, truncate) makes it drop,"
                    + " dirtying the page if it could write; its next access faults the current page in again",
            "Documentation/core-api/pin_user_pages.rst CASE 3 (mmu notifier registration); rdma-core ODP;"
                    + " Jan Kara, seed 004 (\"require that RDMA users provide a way to revoke access\")",
            "gup, dma, writeback, reclaim"),
    GUP_ANON_ZERO_PAGE(Group.TOGGLE, "gup-anon-zero-page",
            "a read-only GUP of untouched private anonymous memory returns the zero page without filling the"
                    + " PTE (FOLL_ANON)",
            "mm/memory.c follow_page() / __get_user_pages() in 2.6.28: use_zero_page() sets FOLL_ANON;"
                    + " removed with \"mm: reinstate ZERO_PAGE\" (2.6.32)", "gup, vmsplice");

    /** The decision a rule belongs to. */
    public enum Group {
        /** Always on. */
        BASE,
        /** When a write fault may reuse an anonymous page. */
        WP_REUSE,
        /** What fork does with anonymous pages that may be pinned. */
        FORK_PINNED,
        /** The order in which ksmd checks a page's references and write-protects it. */
        KSM_ORDER,
        /** What a FOLL_FORCE write follows after its COW fault. */
        FORCE_FOLLOW,
        /** How uprobes write an instruction into a mapped page. */
        UPROBE_WRITE,
        /** What Tux3 does with a write to a page under writeback. */
        TUX3_FORK,
        /** What ext4 writeback does with a dirty folio that has no buffers. */
        EXT4_NO_BUFFERS,
        /** Independent switches. */
        TOGGLE,
        /** A proposal from the threads, applied as an overlay on a linux preset ({@code linux-5.8+kara-block}). */
        PROPOSAL;

        /** Returns whether a policy must enable exactly one rule of this group. */
        public boolean choice() {
            return this != BASE && this != TOGGLE && this != PROPOSAL;
        }

        /** Returns whether a rule of this group can be switched off on its own. */
        public boolean switchable() {
            return this == TOGGLE || this == PROPOSAL;
        }
    }

    private final Group group;
    private final String id;
    private final String summary;
    private final String source;
    private final String ops;

    Rule(Group group, String id, String summary, String source, String ops) {
        this.group = group;
        this.id = id;
        this.summary = summary;
        this.source = source;
        this.ops = ops;
    }

    /** Returns the decision this rule belongs to. */
    public Group group() {
        return group;
    }

    /** Returns the stable id, e.g. {@code wp-reuse-refcount}. */
    public String id() {
        return id;
    }

    /** Returns what the rule does, in one sentence. */
    public String summary() {
        return summary;
    }

    /** Returns where the rule comes from: version, function, commit or mail. */
    public String source() {
        return source;
    }

    /** Returns the operations the rule affects. */
    public String ops() {
        return ops;
    }

    /** Returns the rule with id {@code id}, or null. */
    public static Rule byId(String id) {
        for (Rule r : values()) {
            if (r.id.equals(id)) {
                return r;
            }
        }
        return null;
    }

    /**
     * Returns the rules without which this one has nothing to act on, as the model uses them: fork copies a
     * maybe-pinned page only in an mm that has MMF_HAS_PINNED (page_needs_cow_for_dma(): test_bit(MMF_HAS_PINNED)
     * && page_maybe_dma_pinned()), and 5.19's version only if the page is PageAnonExclusive; the bit is set only
     * by FOLL_PIN (mm/gup.c: mm_set_has_pinned_flag() under FOLL_PIN).
     */
    public List<Rule> needs() {
        return switch (this) {
            case FORK_COPY_MAYBE_PINNED -> List.of(MMF_HAS_PINNED);
            case FORK_COPY_EXCLUSIVE_PINNED -> List.of(MMF_HAS_PINNED, ANON_EXCLUSIVE_FLAG);
            case MMF_HAS_PINNED -> List.of(FOLL_PIN);
            default -> List.of();
        };
    }

    /** Returns the name of a rule group as the output writes it ({@code fork-pinned}). */
    public static String groupName(Group g) {
        return g.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
