package pinlab.replay;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import pinlab.model.Event;
import pinlab.op.Kernel;

/**
 * What the kernel reported during one real run, as the model's events: the kernel log since the run began
 * ({@code kmsg_mark}/{@code kmsg_events}), the errors recorded in the files' mappings ({@code file_errors}) and
 * what the run's fsync, fdatasync and msync calls returned.
 *
 * <ul>
 *   <li>{@link Event#KERNEL_BUG}: any "kernel BUG" / "BUG:" record (the log is global; a BUG anywhere counts).</li>
 *   <li>{@link Event#FS_WARNING}: ext4's "does not have buffers attached" on one of the run's loop devices
 *       (ext4 rate-limits its warnings per super block, 10 per 5 s; every run has a new one).</li>
 *   <li>{@link Event#CSUM_ERROR}: btrfs "csum failed" on one of the run's loop devices (btrfs_warn_rl: 10 per 5 s
 *       for the whole machine).</li>
 *   <li>{@link Event#STALE_PAGECACHE}: dio_warn_stale_pagecache() records -EIO in the file's mapping (errseq) every
 *       time, but prints "Page cache invalidation failure on direct I/O" at most 10 times per 24 hours per boot,
 *       and without the device on that line; so the event is read from the errseq ({@code file_errors}, through
 *       a descriptor of the agent's own), not from the log. The model records an error there for this reason
 *       only, and writeback to a healthy loop device records none.</li>
 *   <li>{@link Event#FSYNC_EIO}: an fsync, fdatasync or msync(MS_SYNC) of the run returned -EIO.</li>
 * </ul>
 */
final class KernelEvents {
    private final Set<String> devices = new HashSet<>();
    private int events;

    /** Adds a loop device the run's file systems are on. */
    void device(int loop) {
        devices.add("(device loop" + loop + ")");
    }

    /** Records the return value of a call that reports writeback errors (fsync, fdatasync, msync). */
    void syncReturned(int ret) {
        if (ret == -Kernel.EIO) {
            events |= Event.FSYNC_EIO.bit();
        }
    }

    /** Records that a process was killed by signal {@code sig}. */
    void killed(int sig) {
        if (sig == 11) {
            events |= Event.SEGV.bit();
        } else if (sig == 7) {
            events |= Event.SIGBUS.bit();
        }
    }

    /** Reads the kernel log and the files' recorded errors; records on the way what is worth a note. */
    void collect(Agent agent, List<Integer> files, List<String> notes) throws AgentException {
        JsonNode k = agent.call("kmsg_events");
        for (JsonNode e : k.path("events")) {
            logRecord(e.path("kind").asText(), e.path("line").asText(), notes);
        }
        if (k.path("dropped").asInt() > 0 || k.path("lost").asInt() > 0) {
            notes.add("kernel log: " + k.path("dropped").asInt() + " matching records dropped, "
                    + k.path("lost").asInt() + " overwritten before they were read");
        }
        for (int f : files) {
            int ret = agent.call("file_errors " + f).path("ret").asInt();
            if (ret == -Kernel.EIO) {
                events |= Event.STALE_PAGECACHE.bit();
                notes.add("file " + f + ": -EIO is recorded in its mapping (dio_warn_stale_pagecache)");
            } else if (ret != 0) {
                notes.add("file " + f + ": file_errors returned " + ret);
            }
        }
    }

    private void logRecord(String kind, String line, List<String> notes) {
        boolean ours = devices.stream().anyMatch(line::contains);
        switch (kind) {
            case "bug" -> events |= Event.KERNEL_BUG.bit();
            case "ext4_no_buffers" -> events |= ours ? Event.FS_WARNING.bit() : 0;
            case "btrfs_csum_failed" -> events |= ours ? Event.CSUM_ERROR.bit() : 0;
            default -> { }
        }
        if (ours || kind.equals("bug") || kind.equals("dio_stale_pagecache")) {
            notes.add("kernel log: " + line);
        }
    }

    /** Returns the events seen, as {@link Event} bits. */
    int events() {
        return events;
    }
}
