package pinlab.op;

import java.util.List;
import pinlab.model.FileSystem;

/**
 * The static part of a scenario that the kernel model needs besides the state: which filesystem each file is
 * on and how it was opened, the kernel daemons, and the GUP call of each holder with the process that makes it.
 *
 * @param files one entry per file, in layout order
 * @param daemons one entry per daemon, in layout order
 * @param holderGups the one GUP call of each holder (null for a holder that never takes references)
 * @param holderProcs the process that makes each holder's GUP call (-1 for none): a thread's process or a setup
 *     step's are fixed by the scenario
 * @param syncDisk whether a writeback write completes in the step that submits it (replay: user space can only
 *     ask for writeback that waits, sync_file_range(WAIT_BEFORE|WRITE|WAIT_AFTER)); normally the disk is an
 *     actor of its own that completes writes at any later point
 */
public record Machine(List<FileSpec> files, List<DaemonSpec> daemons, List<Op.Gup> holderGups,
        List<Integer> holderProcs, boolean syncDisk) {

    /** Creates a machine; the lists are copied. */
    public Machine {
        files = List.copyOf(files);
        daemons = List.copyOf(daemons);
        holderGups = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(holderGups));
        holderProcs = List.copyOf(holderProcs);
    }

    /** A machine with no files, daemons or holders (anonymous-memory tests). */
    public static Machine none() {
        return new Machine(List.of(), List.of(), List.of(), List.of(), false);
    }

    /**
     * One file.
     *
     * @param name its name in traces
     * @param fs its filesystem
     * @param pages its size in pages at the start
     * @param sparse whether its blocks start as holes
     * @param readOnly whether it was opened O_RDONLY
     * @param stable whether the device under it requires stable pages
     * @param anonymous whether it is a shmem object that exists only while mapped
     */
    public record FileSpec(String name, FileSystem fs, int pages, boolean sparse, boolean readOnly, boolean stable,
            boolean anonymous) {}

    /** What a daemon does. */
    public enum Work {
        /** The flusher's writeback pass. */
        WRITEBACK,
        /** kswapd's reclaim pass. */
        RECLAIM,
        /** drop_caches. */
        DROP_CACHES,
        /** ksmd. */
        KSM,
        /** kcompactd: a compaction pass. */
        COMPACT
    }

    /**
     * One daemon.
     *
     * @param name its name
     * @param work what it does
     * @param file the file it works on, or -1 for all
     * @param page the one page it works on, or -1 for all
     * @param bound how many runs it may make, 0 for no bound
     */
    public record DaemonSpec(String name, Work work, int file, int page, int bound) {}

    /** Returns file {@code f}. */
    public FileSpec file(int f) {
        return files.get(f);
    }

    /** Returns the GUP call of holder {@code h}, or null. */
    public Op.Gup gupOf(int h) {
        return h < holderGups.size() ? holderGups.get(h) : null;
    }

    /** Returns the process that makes holder {@code h}'s GUP call, or -1. */
    public int procOf(int h) {
        return h < holderProcs.size() ? holderProcs.get(h) : -1;
    }
}
