package pinlab.replay;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import pinlab.model.Folio;
import pinlab.model.Pte;
import pinlab.model.Vma;
import pinlab.model.World;
import pinlab.op.Kernel;
import pinlab.op.Op;
import pinlab.scenario.Condition.Expr;
import pinlab.scenario.Scenario;
import pinlab.scenario.ScenarioModel;
import pinlab.scenario.Term;

/**
 * Runs one schedule of a scenario on the real kernel through the agent, one step at a time, then observes what
 * the final condition looks at and the identity of every mapped page.
 *
 * <p>Channels: thread {@code t} is channel {@code t}; process {@code p}'s control worker, which runs setup steps,
 * device actions on the rings it owns and the final observations, is channel {@code threads + p}. Data pipe
 * {@code h} belongs to holder {@code h}; io_uring ring {@code h} of the owning process realises holder {@code h}.
 */
final class Executor {
    /** What one real run showed. */
    record RealRun(String outcome, Map<String, String> pages, List<String> notes) {}

    private final Agent agent;
    private final ReplayPlan plan;
    private final ScenarioModel model;
    private final Scenario sc;
    private final int threads;
    private final int[] pid;
    private final boolean[] alive;
    private final int[] diedSignal;
    private final int[][] regs;
    private final int[] pc;
    private final int[] owner;
    private final int[] holderVma;
    private final int[] holderPage;
    /** Per holder: 0 no reference yet, HELD, or RELEASED. */
    private final int[] holderState;
    private final int[] fuseRequest;
    private final int[] startedOn;
    private final List<String> notes = new ArrayList<>();

    private static final int HELD = 1;
    private static final int RELEASED = 2;

    Executor(Agent agent, ReplayPlan plan, ScenarioModel model) {
        this.agent = agent;
        this.plan = plan;
        this.model = model;
        this.sc = plan.scenario();
        this.threads = sc.threads().size();
        int np = sc.processes().size();
        int nh = sc.holders().size();
        pid = new int[np];
        alive = new boolean[np];
        diedSignal = new int[np];
        Arrays.fill(diedSignal, -1);
        regs = new int[threads][];
        for (int t = 0; t < threads; t++) {
            regs[t] = new int[sc.threads().get(t).registers().size()];
        }
        pc = new int[threads];
        owner = new int[nh];
        holderVma = new int[nh];
        holderPage = new int[nh];
        holderState = new int[nh];
        fuseRequest = new int[nh];
        startedOn = new int[nh];
        Arrays.fill(owner, -1);
        Arrays.fill(startedOn, -1);
    }

    private int ctl(int p) {
        return threads + p;
    }

    /** Channels served in process {@code p}: its control worker first, then its threads. */
    private String channelsOf(int p) {
        StringBuilder sb = new StringBuilder().append(ctl(p));
        for (int t = 0; t < threads; t++) {
            if (sc.threads().get(t).process() == p) {
                sb.append(' ').append(t);
            }
        }
        return sb.toString();
    }

    RealRun run(List<Integer> schedule) throws AgentException {
        agent.call("init " + (threads + sc.processes().size()) + " " + sc.holders().size());
        for (int p = 0; p < sc.initialProcesses(); p++) {
            pid[p] = agent.call("spawn " + channelsOf(p)).path("pid").asInt();
            alive[p] = true;
        }
        for (Scenario.SetupStep st : sc.setup()) {
            if (alive[st.process()]) {
                exec(st.op(), -1, st.process(), ctl(st.process()));
            }
        }
        for (int t : schedule) {
            Op op = model.op(t, pc[t]++);
            int p = model.processOf(t);
            exec(op, t, p, p >= 0 ? t : -1);
        }
        Map<String, String> pages = observePages();
        return new RealRun(observeOutcome(), pages, List.copyOf(notes));
    }

    // ---- steps -------------------------------------------------------------------------------------

    private void exec(Op op, int t, int p, int ch) throws AgentException {
        switch (op) {
            case Op.Mmap m -> send(ch, p, "mmap " + m.vma() + " " + pages(m.vma()) + " " + prot(m.prot()) + " "
                    + (m.shared() ? "shared" : "private"));
            case Op.Munmap m -> send(ch, p, "munmap " + m.vma() + " " + pages(m.vma()));
            case Op.Mremap m -> send(ch, p, "mremap " + m.vma() + " " + pages(m.vma()) + " " + m.to());
            case Op.Mprotect m -> send(ch, p, "mprotect " + m.vma() + " " + pages(m.vma()) + " " + prot(m.prot()));
            case Op.Madvise m -> send(ch, p, "madvise " + m.vma() + " " + pages(m.vma()) + " " + m.advice().word());
            case Op.Exit e -> {
                JsonNode r = agent.request("send " + ch + " exit");
                died(p, r);
            }
            case Op.Load l -> {
                JsonNode r = send(ch, p, "load " + l.vma() + " " + l.cell());
                if (r != null && l.reg() >= 0) {
                    regs[t][l.reg()] = r.path("value").asInt();
                }
            }
            case Op.Store s -> send(ch, p, "store " + s.vma() + " " + s.cell() + " " + s.value());
            case Op.Fork f -> {
                JsonNode r = send(ch, p, "fork " + channelsOf(f.child()));
                if (r != null) {
                    pid[f.child()] = r.path("pid").asInt();
                    alive[f.child()] = true;
                }
            }
            case Op.Gup g -> gup(g, t, p, ch);
            case Op.DmaWrite d -> dmaWrite(d);
            case Op.DmaRead d -> {
                int v = dmaRead(d.holder(), d.cell(), t >= 0 && p >= 0 ? ch : -1);
                if (d.reg() >= 0) {
                    regs[t][d.reg()] = v;
                }
            }
            case Op.Release r -> release(r.holder());
            case Op.Wait w -> {
                if (startedOn[w.holder()] >= 0) {
                    JsonNode r = agent.request("finish " + startedOn[w.holder()]);
                    startedOn[w.holder()] = -1;
                    if (!r.path("ok").asBoolean()) {
                        died(sc.threads().get(t).process(), r);
                    }
                }
            }
            case Op.Signal s -> { }
            case Op.Await a -> { }
            case Op.Read x -> unplanned(x);
            case Op.Write x -> unplanned(x);
            case Op.Fsync x -> unplanned(x);
            case Op.Sync x -> unplanned(x);
            case Op.Msync x -> unplanned(x);
            case Op.SyncFileRange x -> unplanned(x);
            case Op.Truncate x -> unplanned(x);
            case Op.Punch x -> unplanned(x);
            case Op.Fadvise x -> unplanned(x);
            case Op.DropCaches x -> unplanned(x);
            case Op.DmaTransfer x -> unplanned(x);
            case Op.Atomic a -> {
                for (Op o : a.ops()) {
                    exec(o, t, p, ch);
                }
            }
        }
    }

    private static void unplanned(Op op) {
        throw new IllegalStateException("the replay plan does not map '" + op.text() + "' onto the agent");
    }

    private void gup(Op.Gup g, int t, int p, int ch) throws AgentException {
        int h = g.holder();
        owner[h] = p;
        holderVma[h] = g.vma();
        holderPage[h] = g.page();
        int ret;
        switch (plan.realisation(h)) {
            case URING -> {
                JsonNode setup = send(ctl(p), p, "uring_setup " + h);
                if (setup == null || setup.path("ret").asInt() < 0) {
                    throw new AgentException("io_uring_queue_init failed: " + setup);
                }
                JsonNode r = send(ch, p, "uring_register " + h + " " + g.vma() + " " + g.count());
                ret = r == null ? -Kernel.EFAULT : r.path("ret").asInt();
            }
            case PIPE -> {
                JsonNode r = send(ch, p, "vmsplice " + h + " " + g.vma() + " " + g.count());
                ret = r == null ? -Kernel.EFAULT : Math.min(0, r.path("ret").asInt());
            }
            case FUSE_READ -> {
                int cell = plan.dioCell(h) < 0 ? 0 : absoluteCell(h, plan.dioCell(h));
                agent.call("start " + ch + " dio_read " + g.vma() + " " + cell);
                JsonNode req = agent.call("fuse_wait");
                fuseRequest[h] = req.path("id").asInt();
                startedOn[h] = ch;
                ret = 0;
            }
            case FUSE_WRITE -> {
                // Pinned at submission; the daemon holds off receiving, because receiving is the device's read.
                int cell = plan.dioCell(h) < 0 ? 0 : absoluteCell(h, plan.dioCell(h));
                send(ch, p, "dio_open");
                agent.call("fuse_hold");
                agent.call("start " + ch + " dio_write " + g.vma() + " " + cell);
                agent.call("fuse_queued");
                fuseRequest[h] = -1;
                startedOn[h] = ch;
                ret = 0;
            }
            default -> throw new AgentException("not replayable: " + g.text());
        }
        holderState[h] = ret < 0 ? RELEASED : HELD;
        if (ret < 0) {
            notes.add(g.text() + " failed with " + ret);
        }
        if (g.reg() >= 0) {
            regs[t][g.reg()] = ret < 0 ? ret : 0;
        }
    }

    private int absoluteCell(int h, int holderCell) {
        return (holderPage[h] + holderCell / Folio.CELLS) * Folio.CELLS + holderCell % Folio.CELLS;
    }

    private void dmaWrite(Op.DmaWrite d) throws AgentException {
        int h = d.holder();
        if (holderState[h] != HELD) {
            return;
        }
        switch (plan.realisation(h)) {
            case URING -> {
                agent.call("pipe_write " + h + " " + d.value());
                send(ctl(owner[h]), owner[h], "read_fixed " + h + " " + h + " " + holderVma[h] + " "
                        + absoluteCell(h, d.cell()));
            }
            case FUSE_READ -> {
                agent.call("fuse_reply " + fuseRequest[h] + " " + d.value());
                holderState[h] = RELEASED;
            }
            default -> throw new AgentException("not replayable: " + d.text());
        }
    }

    private int dmaRead(int h, int cell, int ownChannel) throws AgentException {
        if (holderState[h] != HELD) {
            return Kernel.NONE;
        }
        switch (plan.realisation(h)) {
            case URING -> {
                JsonNode r = send(ctl(owner[h]), owner[h], "write_fixed " + h + " " + h + " " + holderVma[h] + " "
                        + absoluteCell(h, cell));
                return r == null ? Kernel.NONE : r.path("value").asInt();
            }
            case PIPE -> {
                int live = anyAlive();
                int ch = ownChannel >= 0 ? ownChannel : live < 0 ? -1 : ctl(live);
                if (ch < 0) {
                    return Kernel.NONE;
                }
                JsonNode r = agent.call("send " + ch + " pipe_peek " + h + " " + absoluteCell(h, cell));
                return r.path("value").asInt();
            }
            case FUSE_WRITE -> {
                return receiveWrite(h);
            }
            default -> throw new AgentException("not replayable: reading holder " + h);
        }
    }

    /** Lets the daemon receive a held O_DIRECT write: the kernel copies the data out of the pinned page now. */
    private int receiveWrite(int h) throws AgentException {
        agent.call("fuse_release");
        JsonNode req = agent.call("fuse_wait");
        fuseRequest[h] = req.path("id").asInt();
        JsonNode data = req.path("data");
        return data.size() > 0 ? data.get(0).asInt() : Kernel.NONE;
    }

    private void release(int h) throws AgentException {
        if (holderState[h] != HELD) {
            return;
        }
        switch (plan.realisation(h)) {
            case URING -> send(ctl(owner[h]), owner[h], "uring_unregister " + h);
            case FUSE_WRITE -> {
                if (fuseRequest[h] < 0) {
                    receiveWrite(h);
                }
                agent.call("fuse_reply " + fuseRequest[h] + " 0");
            }
            default -> { }
        }
        holderState[h] = RELEASED;
    }

    private int anyAlive() {
        for (int p = 0; p < alive.length; p++) {
            if (alive[p]) {
                return p;
            }
        }
        return -1;
    }

    /** Sends a worker command to a live process; returns null if the process died doing it. */
    private JsonNode send(int ch, int p, String cmd) throws AgentException {
        if (p < 0 || !alive[p]) {
            throw new AgentException("replay: process " + (p < 0 ? "?" : sc.processes().get(p))
                    + " is not alive for '" + cmd + "'");
        }
        JsonNode r = agent.request("send " + ch + " " + cmd);
        if (r.path("ok").asBoolean()) {
            return r;
        }
        if (r.path("error").asText().equals("died")) {
            died(p, r);
            return null;
        }
        throw new AgentException("agent: '" + cmd + "' failed: " + r.path("error").asText());
    }

    private void died(int p, JsonNode r) {
        alive[p] = false;
        diedSignal[p] = r.path("signal").asInt(0);
        notes.add(sc.processes().get(p) + " ended" + (diedSignal[p] == 0 ? "" : " by signal " + diedSignal[p]));
    }

    private int pages(int vma) {
        return sc.vmas().get(vma).pages();
    }

    private static String prot(int prot) {
        if ((prot & Vma.WRITE) != 0) {
            return "rw";
        }
        return (prot & Vma.READ) != 0 ? "r" : "none";
    }

    // ---- observations ------------------------------------------------------------------------------

    /** Per mapped page of every live process: the real page's identity class and whether it is mapped once. */
    private Map<String, String> observePages() throws AgentException {
        Map<Long, String> names = new LinkedHashMap<>();
        Map<String, String> out = new LinkedHashMap<>();
        for (int p = 0; p < pid.length; p++) {
            if (!alive[p]) {
                continue;
            }
            for (int v = 0; v < sc.vmas().size(); v++) {
                for (int i = 0; i < pages(v); i++) {
                    JsonNode r = agent.call("pagemap " + pid[p] + " " + v + " " + i);
                    String key = sc.processes().get(p) + ":" + sc.vmas().get(v).name() + " page " + i;
                    if (!r.path("present").asBoolean()) {
                        continue;
                    }
                    if (r.path("zero").asBoolean()) {
                        out.put(key, "zero-page");
                        continue;
                    }
                    long pfn = r.path("pfn").asLong();
                    String name = names.computeIfAbsent(pfn, x -> "page" + (names.size() + 1));
                    out.put(key, name + (r.path("exclusive").asBoolean() ? " mapped-once" : " mapped-shared"));
                    if (r.path("thp").asBoolean() || r.path("ksm").asBoolean()) {
                        notes.add(key + " is a THP or KSM page: the model assumes small anonymous pages");
                    }
                }
            }
        }
        return out;
    }

    /** Describes the model's final state in the same terms as {@link #observePages()}. */
    static Map<String, String> modelPages(Scenario sc, World w) {
        Map<Integer, String> names = new LinkedHashMap<>();
        Map<String, String> out = new LinkedHashMap<>();
        for (int p = 0; p < sc.processes().size(); p++) {
            if (!w.alive(p)) {
                continue;
            }
            for (int v = 0; v < sc.vmas().size(); v++) {
                for (int i = 0; i < sc.vmas().get(v).pages(); i++) {
                    int pte = w.pte(p, v, i);
                    if (!Pte.present(pte)) {
                        continue;
                    }
                    String key = sc.processes().get(p) + ":" + sc.vmas().get(v).name() + " page " + i;
                    int ref = Pte.ref(pte);
                    if (ref == Pte.ZERO) {
                        out.put(key, "zero-page");
                        continue;
                    }
                    int f = Pte.folio(ref);
                    String name = names.computeIfAbsent(f, x -> "page" + (names.size() + 1));
                    out.put(key, name + (w.mapcount(f) == 1 ? " mapped-once" : " mapped-shared"));
                }
            }
        }
        return out;
    }

    private String observeOutcome() throws AgentException {
        StringBuilder key = new StringBuilder();
        for (Object o : model.observables()) {
            if (key.length() > 0) {
                key.append("; ");
            }
            switch (o) {
                case Term t -> {
                    int v = value(t);
                    key.append(t.text()).append('=').append(v == Kernel.NONE ? "none" : Integer.toString(v));
                }
                case Expr.Happened h -> key.append(h.event().id()).append('=').append(anySegv());
                case Expr.Same s -> key.append("same(").append(s.left().text()).append(',')
                        .append(s.right().text()).append(")=").append(same(s));
                default -> throw new AgentException("cannot observe " + o);
            }
        }
        return key.toString();
    }

    private boolean anySegv() {
        for (int s : diedSignal) {
            if (s == 11) {
                return true;
            }
        }
        return false;
    }

    private int value(Term t) throws AgentException {
        return switch (t) {
            case Term.Const c -> c.value();
            case Term.Reg r -> regs[r.thread()][r.reg()];
            case Term.Cell c -> {
                if (!alive[c.process()]) {
                    yield Kernel.NONE;
                }
                JsonNode probe = agent.call("send " + ctl(c.process()) + " probe " + c.vma());
                if (!probe.path("mapped").asBoolean() || !probe.path("read").asBoolean()) {
                    yield Kernel.NONE;
                }
                yield agent.call("send " + ctl(c.process()) + " load " + c.vma() + " " + c.cell()).path("value")
                        .asInt();
            }
            case Term.HolderCell h -> dmaRead(h.holder(), h.cell(), -1);
            case Term.Disk d -> throw new IllegalStateException("the replay plan does not map " + d.text());
            case Term.Cache c -> throw new IllegalStateException("the replay plan does not map " + c.text());
            case Term.FileRead r -> throw new IllegalStateException("the replay plan does not map " + r.text());
        };
    }

    private boolean same(Expr.Same s) throws AgentException {
        long a = pfn((Term.Cell) s.left());
        long b = pfn((Term.Cell) s.right());
        return a > 0 && a == b;
    }

    private long pfn(Term.Cell c) throws AgentException {
        if (!alive[c.process()]) {
            return -1;
        }
        JsonNode r = agent.call("pagemap " + pid[c.process()] + " " + c.vma() + " " + c.cell() / Folio.CELLS);
        return r.path("present").asBoolean() ? r.path("pfn").asLong() : -1;
    }
}
