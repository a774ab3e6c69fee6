package pinlab.scenario;

import java.util.List;
import pinlab.op.Op;

/**
 * A parsed and resolved scenario: its header, its static shape (processes, VMA names, holders, signals), the
 * setup run before exploration, the threads, the final condition and the expected results.
 *
 * @param name the scenario's name
 * @param title one line on what it asks
 * @param sources where it comes from: seed files, commits, CVEs
 * @param topic the group it is listed under in the matrix (a seed, a CVE, a subject), or empty
 * @param failure what it means when the condition's failing side is reachable, or null if it has no
     failure meaning
 * @param file the file it was read from (for messages)
 * @param text the scenario's source text
 * @param processes process names; the first {@code initialProcesses} exist from the start
 * @param initialProcesses how many processes exist before setup
 * @param vmas VMA names and sizes
 * @param files the files: named files and memfds, then one shmem object per shared anonymous mmap op
 * @param daemons the kernel daemons that may run at any time
 * @param holders reference holders
 * @param signals user-level signal names
 * @param setup operations run in order before the threads start, each in a process
 * @param threads the concurrent threads
 * @param condition the final condition
 * @param locations extra terms shown in every outcome
 * @param expectations the expected results per policy
 * @param requires the oldest kernel the scenario applies to (a filesystem or a call that came later), or null
 */
public record Scenario(String name, String title, List<String> sources, String topic, Failure failure,
        String file, String text,
        List<String> processes, int initialProcesses, List<VmaDecl> vmas, List<FileDecl> files,
        List<DaemonDecl> daemons, List<HolderDecl> holders, List<String> signals, List<SetupStep> setup, List<ThreadDecl> threads,
        Condition condition, List<Term> locations, List<Expectation> expectations, Requirement requires) {

    /**
     * The oldest kernel a scenario applies to.
     *
     * @param version the release, e.g. {@code 2.6.29}
     * @param reason why, e.g. "btrfs was merged in 2.6.29"
     */
    public record Requirement(String version, String reason) {
        /** Returns whether a kernel of release {@code other} is older than this one. */
        public boolean newerThan(String other) {
            return pinlab.policy.Policies.compareVersions(version, other) > 0;
        }
    }

    /**
     * What a reachable failing side of the condition means: a final state satisfying an exists/~exists
     * expression, or one falsifying a forall.
     */
    public enum Failure {
        /** Data written by a device or a thread is lost. */
        DATA_LOSS("data-loss", "DATA LOSS"),
        /** A process sees data it should not (CVE-2020-29374). */
        INFO_LEAK("info-leak", "INFO LEAK"),
        /** A reader (a device, a pipe) sees stale data. */
        STALE_READ("stale-read", "STALE READ"),
        /** Memory that should be untouched is changed. */
        CORRUPTION("corruption", "CORRUPTION"),
        /** The kernel warns (WARN, a filesystem warning). */
        KERNEL_WARNING("kernel-warning", "KERNEL WARNING"),
        /** The kernel crashes (BUG). */
        CRASH("crash", "CRASH"),
        /** Data that was written is not on the disk (what survives a crash, or a read after dropping caches). */
        DISK_DATA_LOSS("disk-data-loss", "DATA LOSS (disk)");

        private final String id;
        private final String label;

        Failure(String id, String label) {
            this.id = id;
            this.label = label;
        }

        /** Returns the id used in scenarios, e.g. {@code data-loss}. */
        public String id() {
            return id;
        }

        /** Returns the matrix label, e.g. {@code DATA LOSS}. */
        public String label() {
            return label;
        }

        /** Returns the kind with id {@code id}, or null. */
        public static Failure byId(String id) {
            for (Failure f : values()) {
                if (f.id.equals(id)) {
                    return f;
                }
            }
            return null;
        }
    }

    /** A VMA name and its size in pages. */
    public record VmaDecl(String name, int pages) {}

    /**
     * A file: a named file on a filesystem, a memfd, or the shmem object behind a shared anonymous mapping.
     *
     * @param name its name (shmem objects are named {@code shmemN})
     * @param fs the filesystem it is on
     * @param pages its size in pages at the start (and the most it can grow to)
     * @param sparse whether its blocks start as holes (otherwise allocated and zero-filled)
     * @param readOnly whether the scenario's processes opened it O_RDONLY
     * @param stable whether the device under it requires stable pages (integrity checksums, DIF/DIX)
     * @param anonymous whether it is a shmem object that exists only while mapped
     * @param line the line it is declared on (or the mmap that creates it)
     */
    public record FileDecl(String name, pinlab.model.FileSystem fs, int pages, boolean sparse, boolean readOnly,
            boolean stable, boolean anonymous, int line) {}

    /** What a kernel daemon does when it runs. */
    public enum DaemonWork {
        /** The flusher: a writeback pass over a file's dirty pages (WB_SYNC_NONE). */
        WRITEBACK("writeback"),
        /** kswapd: a reclaim pass over a file's page-cache folios (shrink_folio_list). */
        RECLAIM("reclaim"),
        /** drop_caches: invalidate_mapping_pages() of every file. */
        DROP_CACHES("drop_caches"),
        /** ksmd: a pass over the VM_MERGEABLE anonymous pages that merges identical ones. */
        KSM("ksm"),
        /** kcompactd: a compaction pass that migrates every page it can isolate. */
        COMPACT("compact");

        private final String word;

        DaemonWork(String word) {
            this.word = word;
        }

        /** Returns the word used in scenarios. */
        public String word() {
            return word;
        }
    }

    /**
     * A kernel daemon: it may run whenever it has work, at any point of any interleaving.
     *
     * @param name its name
     * @param work what it does
     * @param file the file it works on, or -1 for every file
     * @param page the one page it works on, or -1 for every page
     * @param bound how many runs it may make (0: as many as there is work for)
     * @param line the line it is declared on
     */
    public record DaemonDecl(String name, DaemonWork work, int file, int page, int bound, int line) {}

    /** A reference holder: something outside page tables that takes page references. */
    public record HolderDecl(String name, HolderKind kind, int slots) {}

    /** The kinds of reference holders. */
    public enum HolderKind {
        /** A DMA-capable device (an RDMA NIC, a GPU) registered through GUP. */
        DEVICE,
        /** A pipe filled by vmsplice. */
        PIPE,
        /** An io_uring instance with registered fixed buffers. */
        RING,
        /** One O_DIRECT request and the disk that serves it. */
        DIO
    }

    /** One setup operation, run in process {@code process}. */
    public record SetupStep(int process, Op op) {}

    /**
     * A thread: a sequence of operations in a process's mm, or with {@code process == -1} a device context.
     *
     * @param name the thread's name
     * @param process the process it runs in, or -1 for a device
     * @param ops its operations
     * @param registers its register names
     * @param line the line it is declared on
     */
    public record ThreadDecl(String name, int process, List<Op> ops, List<String> registers, int line) {}

    /** An expected observation under some policies, with the violations expected too. */
    public record Expectation(List<String> policies, Observation observation, List<String> violations, int line) {}

    /** Returns the expectation for {@code policy}, or null. */
    public Expectation expectationFor(String policy) {
        for (Expectation e : expectations) {
            if (e.policies().contains(policy)) {
                return e;
            }
        }
        return null;
    }

    /** Returns the shmem-object sizes of the old layout: every file's size in pages. */
    public List<Integer> filePages() {
        return files.stream().map(FileDecl::pages).toList();
    }

    /** Returns the index of thread {@code name}, or -1. */
    public int threadIndex(String name) {
        for (int t = 0; t < threads.size(); t++) {
            if (threads.get(t).name().equals(name)) {
                return t;
            }
        }
        return -1;
    }
}
