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
 * @param spacePages size in pages of each shared-memory object (one per shared mmap op)
 * @param holders reference holders
 * @param signals user-level signal names
 * @param setup operations run in order before the threads start, each in a process
 * @param threads the concurrent threads
 * @param condition the final condition
 * @param locations extra terms shown in every outcome
 * @param expectations the expected results per policy
 */
public record Scenario(String name, String title, List<String> sources, String topic, Failure failure,
        String file, String text,
        List<String> processes, int initialProcesses, List<VmaDecl> vmas, List<Integer> spacePages,
        List<HolderDecl> holders, List<String> signals, List<SetupStep> setup, List<ThreadDecl> threads,
        Condition condition, List<Term> locations, List<Expectation> expectations) {

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
        CRASH("crash", "CRASH");

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
