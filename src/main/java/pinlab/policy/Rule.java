package pinlab.policy;

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
            "a MAP_SHARED|MAP_ANONYMOUS mapping is backed by a shmem object: its pages live in that object's"
                    + " page cache, hold one reference for the cache, and are not anonymous",
            "mm/mmap.c mmap_region() -> shmem_zero_setup(); mm/shmem.c", "mmap, load, store, fork"),
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
            "GUP fails with -EFAULT on an address without a VMA, on a read of a VMA without VM_READ, on a"
                    + " write to a VMA without VM_WRITE unless FOLL_FORCE, and on a FOLL_FORCE write to a"
                    + " shared mapping without VM_WRITE",
            "mm/gup.c check_vma_flags() (6.x); the vm_flags test in get_user_pages() (2.6)", "gup"),
    GUP_FAULT(Group.BASE, "gup-fault",
            "GUP faults in a missing page, and takes a write fault (COW) on a read-only PTE when FOLL_WRITE"
                    + " is set, before it takes the reference",
            "mm/gup.c __get_user_pages() -> faultin_page() -> handle_mm_fault()", "gup"),
    GUP_FORCE(Group.BASE, "gup-force",
            "a FOLL_FORCE write through a private mapping without VM_WRITE breaks COW but leaves the PTE"
                    + " read-only (dirty); the reference is taken on the now-private page. (2.6.28 also allowed"
                    + " FOLL_FORCE writes to shared mappings without VM_WRITE; pinlab rejects them as 4.x+ does)",
            "mm/gup.c: FOLL_WRITE games (2.6); 19be0eaffa3a FOLL_COW (4.9); 5535be309971 (6.0)", "gup"),
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
    // ---- toggles -----------------------------------------------------------------------------------
    FOLL_PIN(Group.TOGGLE, "foll-pin",
            "pin_user_pages() exists: pins use FOLL_PIN and add GUP_PIN_COUNTING_BIAS (1024) to a small"
                    + " folio's refcount; without it every pinner uses get_user_pages() (FOLL_GET, + 1)",
            "eddb1c228f79 \"mm/gup: introduce pin_user_pages*() and FOLL_PIN\" (5.6); the bias and"
                    + " page_maybe_dma_pinned() came with 3faa52c03f44 \"mm/gup: track FOLL_PIN pages\" (5.7)",
            "gup, uring-register"),
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
        /** Independent switches. */
        TOGGLE
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
}
