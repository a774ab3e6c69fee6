package pinlab.replay;

import com.fasterxml.jackson.databind.JsonNode;
import pinlab.model.FileSystem;
import pinlab.model.Folio;
import pinlab.op.Kernel;
import pinlab.scenario.Scenario;

/**
 * What a condition's file terms look at, read from the real kernel at the end of a run: the page cache
 * ({@code cache F[i]}), the disk ({@code disk F[i]}) and a buffered read ({@code file F[i]}), each as
 * {@link pinlab.scenario.ScenarioModel} values it (none, -errno).
 */
final class FileTerms {
    private final Agent agent;
    private final Scenario sc;

    FileTerms(Agent agent, Scenario sc) {
        this.agent = agent;
        this.sc = sc;
    }

    /** A buffered read of one cell through the agent's descriptor: the byte, none past the end, or -errno. */
    int read(int f, int cell) throws AgentException {
        return Executor.readValue(agent.call("file_read " + f + " " + cell));
    }

    /** What the page cache holds in a cell (cachestat, then a read of the cached page), or none. */
    int cached(int f, int cell) throws AgentException {
        boolean in = agent.call("cache_state " + f + " " + cell / Folio.CELLS).path("cached").asBoolean();
        return in ? read(f, cell) : Kernel.NONE;
    }

    /**
     * What the disk holds in a cell: the byte on the device (0 for a hole); for btrfs -EIO when the block does not
     * match its data checksum, as a read from the disk would find; for tmpfs the page cache, which is all there is.
     */
    int disk(int f, int cell) throws AgentException {
        FileSystem fs = sc.files().get(f).fs();
        if (!fs.onDisk()) {
            int v = cached(f, cell);
            return v == Kernel.NONE ? 0 : v;
        }
        JsonNode r = agent.call("disk_read " + f + " " + cell);
        return r.path("csum").asText().equals("mismatch") ? -Kernel.EIO : r.path("value").asInt();
    }
}
