package pinlab.replay;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
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
 * <p>The model runs alongside: its state before and after each step says what a daemon's step is on the real
 * kernel ({@link DaemonAction}) and whether a scenario thread's step starts an operation or continues one the
 * model takes in several steps (one system call here).
 *
 * <p>Channels: thread {@code t} is channel {@code t}; process {@code p}'s control worker, which runs setup steps,
 * device actions on the rings it owns, kswapd's MADV_PAGEOUT in it and the final observations, is channel
 * {@code threads + p}; the FUSE O_DIRECT request of holder {@code h} is issued on channel
 * {@code threads + processes + h}, a worker of the submitting process that stays blocked in the call while the
 * model's thread goes on (a submission in the model is asynchronous; {@code wait} is where the thread blocks).
 * Data pipe {@code h} belongs to holder {@code h}; io_uring ring {@code h} of the owning process realises holder
 * {@code h}. File {@code f} of the scenario is the agent's FID {@code f}.
 */
final class Executor {
    /** What one real run showed; {@code satisfied}: whether the real values satisfy the final condition. */
    record RealRun(String outcome, Map<String, String> pages, List<String> notes, boolean satisfied) {}

    private final Agent agent;
    private final ReplayPlan plan;
    private final ScenarioModel model;
    private final Scenario sc;
    private final int threads;
    private final int[] pid;
    private final boolean[] alive;
    private final int[] diedSignal;
    private final int[][] regs;
    private final int[] owner;
    private final int[] holderVma;
    private final int[] holderPage;
    /** Per holder: 0 no reference yet, HELD, or RELEASED. */
    private final int[] holderState;
    private final int[] fuseRequest;
    private final int[] startedOn;
    /**
     * Per holder and slot: the page frame its GUP took, read from pagemap right after the call (-1 unknown, 0 the
     * zero page). GUP returns the page the PTE maps once its fault is done (mm/gup.c follow_page_pte()), and a
     * pinned or referenced page keeps its frame: migration and compaction skip a folio with extra references
     * (mm/migrate.c folio_migrate_mapping()'s expected-count check), so the number stays the holder's page.
     */
    private final long[][] holderPfn;
    private final List<String> notes = new ArrayList<>();
    private final KernelEvents kernel = new KernelEvents();
    private final FileTerms files;
    private int[] state;

    private static final int HELD = 1;
    private static final int RELEASED = 2;
    private static final String WRITE_AND_WAIT = "wait_before|write|wait_after";
    private static final int PAGE_SIZE = 4096;

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
        owner = new int[nh];
        holderVma = new int[nh];
        holderPage = new int[nh];
        holderState = new int[nh];
        fuseRequest = new int[nh];
        startedOn = new int[nh];
        Arrays.fill(owner, -1);
        Arrays.fill(startedOn, -1);
        holderPfn = new long[nh][];
        files = new FileTerms(agent, sc);
    }

    private int ctl(int p) {
        return threads + p;
    }

    private int dioChannel(int h) {
        return threads + sc.processes().size() + h;
    }

    /** Channels served in process {@code p}: its control worker, its threads, the FUSE requests it submits. */
    private String channelsOf(int p) {
        StringBuilder sb = new StringBuilder().append(ctl(p));
        for (int t = 0; t < threads; t++) {
            if (sc.threads().get(t).process() == p) {
                sb.append(' ').append(t);
            }
        }
        for (int h = 0; h < sc.holders().size(); h++) {
            if (fuse(h) && submitter(h) == p) {
                sb.append(' ').append(dioChannel(h));
            }
        }
        return sb.toString();
    }

    private boolean fuse(int h) {
        return plan.realisation(h) == ReplayPlan.Realisation.FUSE_READ
                || plan.realisation(h) == ReplayPlan.Realisation.FUSE_WRITE;
    }

    /** The process whose setup step or thread takes holder {@code h}'s references, or -1. */
    private int submitter(int h) {
        return submitter(sc, h);
    }

    /** The process whose setup step or thread takes holder {@code h}'s references in {@code sc}, or -1. */
    static int submitter(Scenario sc, int h) {
        for (Scenario.SetupStep st : sc.setup()) {
            if (st.op() instanceof Op.Gup g && g.holder() == h) {
                return st.process();
            }
        }
        for (Scenario.ThreadDecl td : sc.threads()) {
            if (td.ops().stream().anyMatch(o -> o instanceof Op.Gup g && g.holder() == h)) {
                return td.process();
            }
        }
        return -1;
    }

    RealRun run(List<Integer> schedule) throws AgentException {
        begin();
        state = model.initial();
        for (int t : schedule) {
            step(t);
        }
        Map<String, String> pages = observePages();
        String outcome = observeOutcome();
        return new RealRun(outcome, pages, List.copyOf(notes), satisfied());
    }

    /** Makes the files, starts the initial processes and runs the setup steps. */
    private void begin() throws AgentException {
        makeFiles();
        agent.call("kmsg_mark");
        agent.call("init " + (threads + sc.processes().size() + sc.holders().size()) + " " + sc.holders().size());
        for (int p = 0; p < sc.initialProcesses(); p++) {
            pid[p] = agent.call("spawn " + channelsOf(p)).path("pid").asInt();
            alive[p] = true;
        }
        for (Scenario.SetupStep st : sc.setup()) {
            if (alive[st.process()]) {
                exec(st.op(), -1, st.process(), ctl(st.process()));
            }
        }
    }

    // ---- free runs ---------------------------------------------------------------------------------

    /** A worker command of a free run and what its reply means. */
    private interface Reply {
        void accept(JsonNode r) throws AgentException;
    }

    /** One command of a thread's batch. */
    private record Sub(String cmd, Reply then) {}

    /**
     * Returns why the scenario's threads cannot run free (each thread's operations back to back in its own
     * worker, with no barrier between steps), or null if they can. A free run has no agent between the steps,
     * so every operation must be one a worker does by itself in its process; and the model's waits between
     * threads (a DMA waits for the references another thread takes, signals, waits for children) have no
     * counterpart, so scenarios that rely on them are refused rather than run into outcomes no kernel orders.
     */
    static String freeRunObstacle(ReplayPlan plan) {
        Scenario sc = plan.scenario();
        int[] gupThread = new int[sc.holders().size()];
        Arrays.fill(gupThread, -1);
        boolean[] dmaWrites = new boolean[sc.holders().size()];
        boolean[] dmaReads = new boolean[sc.holders().size()];
        List<Integer> deviceOwners = new ArrayList<>();
        for (int t = 0; t < sc.threads().size(); t++) {
            Scenario.ThreadDecl td = sc.threads().get(t);
            if (td.process() >= sc.initialProcesses()) {
                return "thread " + td.name() + " runs in " + sc.processes().get(td.process()) + ", which a step"
                        + " creates: a free run gives every thread its batch before the start";
            }
            for (Op op : flat(td.ops())) {
                if (op instanceof Op.Gup g) {
                    gupThread[g.holder()] = t;
                }
            }
        }
        for (int t = 0; t < sc.threads().size(); t++) {
            Scenario.ThreadDecl td = sc.threads().get(t);
            int deviceOwner = -1;
            for (Op op : flat(td.ops())) {
                String why = freeObstacle(plan, td, op);
                if (why != null) {
                    return "thread " + td.name() + ": " + op.text() + ": " + why;
                }
                int h = holderOf(op);
                if (h < 0 || op instanceof Op.Gup) {
                    continue;
                }
                if (gupThread[h] >= 0 && gupThread[h] != t) {
                    return "thread " + td.name() + ": " + op.text() + " waits in the model for the references thread "
                            + sc.threads().get(gupThread[h]).name() + " takes; a free run has no such wait";
                }
                int own = gupThread[h] >= 0 ? sc.threads().get(gupThread[h]).process() : submitter(sc, h);
                if (td.process() < 0) {
                    if (deviceOwner >= 0 && deviceOwner != own) {
                        return "device thread " + td.name() + " uses the holders of two processes";
                    }
                    deviceOwner = own;
                } else if (own != td.process() && !(op instanceof Op.DmaRead
                        && plan.realisation(h) == ReplayPlan.Realisation.PIPE)) {
                    return "thread " + td.name() + ": " + op.text() + " acts on the ring of another process";
                }
                dmaWrites[h] |= op instanceof Op.DmaWrite;
                dmaReads[h] |= op instanceof Op.DmaRead;
            }
            if (td.process() < 0 && deviceOwner >= 0) {
                if (deviceOwners.contains(deviceOwner)) {
                    return "two device threads act on the holders of " + sc.processes().get(deviceOwner);
                }
                deviceOwners.add(deviceOwner);
            }
        }
        for (int h = 0; h < sc.holders().size(); h++) {
            if (dmaWrites[h] && dmaReads[h] && plan.realisation(h) == ReplayPlan.Realisation.URING) {
                return "holder " + sc.holders().get(h).name() + " is both written and read by its device: both go"
                        + " through its pipe, which a free run fills before the start";
            }
        }
        return null;
    }

    private static List<Op> flat(List<Op> ops) {
        List<Op> out = new ArrayList<>();
        for (Op op : ops) {
            if (op instanceof Op.Atomic a) {
                out.addAll(flat(a.ops()));
            } else {
                out.add(op);
            }
        }
        return out;
    }

    private static int holderOf(Op op) {
        return switch (op) {
            case Op.Gup g -> g.holder();
            case Op.DmaWrite d -> d.holder();
            case Op.DmaRead d -> d.holder();
            case Op.Release r -> r.holder();
            case Op.Wait w -> w.holder();
            case Op.DmaTransfer d -> d.holder();
            default -> -1;
        };
    }

    /** Why one operation cannot be part of a free run, or null. */
    private static String freeObstacle(ReplayPlan plan, Scenario.ThreadDecl td, Op op) {
        Scenario sc = plan.scenario();
        if (td.process() < 0 && !(op instanceof Op.DmaWrite || op instanceof Op.DmaRead || op instanceof Op.Release
                || op instanceof Op.Wait || op instanceof Op.DmaTransfer)) {
            return "a device thread's operation runs in no process";
        }
        int h = holderOf(op);
        ReplayPlan.Realisation how = h < 0 ? null : plan.realisation(h);
        if (how == ReplayPlan.Realisation.FUSE_READ || how == ReplayPlan.Realisation.FUSE_WRITE) {
            return "the agent's FUSE daemon answers this O_DIRECT request between steps";
        }
        return switch (op) {
            case Op.Mmap m -> null;
            case Op.Munmap m -> null;
            case Op.Mremap m -> null;
            case Op.Mprotect m -> null;
            case Op.Madvise m -> null;
            case Op.Load l -> null;
            case Op.Store x -> null;
            case Op.Fork f -> sc.threads().stream().anyMatch(x -> x.process() == f.child())
                    ? "the child has threads of its own" : null;
            case Op.Gup g -> how == ReplayPlan.Realisation.NONE ? "not replayable" : null;
            case Op.DmaWrite d -> how == ReplayPlan.Realisation.URING ? null : "no free-running device write here";
            case Op.DmaRead d -> how == ReplayPlan.Realisation.URING || how == ReplayPlan.Realisation.PIPE ? null
                    : "no free-running device read here";
            case Op.Release r -> null;
            case Op.Wait w -> null;
            case Op.DmaTransfer d -> null;
            case Op.Read r -> null;
            case Op.Write w -> null;
            case Op.Fsync f -> null;
            case Op.Sync x -> null;
            case Op.Msync m -> null;
            case Op.Truncate x -> null;
            case Op.Punch x -> null;
            default -> "the agent does it between steps, not the thread";
        };
    }

    /**
     * One free run: setup as for a schedule, then every thread's operations as one batch in its worker (a
     * device thread's in the control worker of the process whose holders it uses), all released by one start
     * gate, then the same observations. Nothing but the kernel orders the threads. The agent's processes share
     * one CPU (see docs/replay-protocol.md), so they interleave where the scheduler preempts a thread or a thread
     * blocks; with {@code spread} each batch first lets its worker run on every CPU, so they run in parallel. The daemons run after the threads, to the end. No page identities: a free run does not
     * stop where a holder takes its pages.
     */
    RealRun runFree(boolean spread) throws AgentException {
        begin();
        for (int h = 0; h < sc.holders().size(); h++) {
            if (owner[h] < 0) {
                owner[h] = submitter(sc, h);
            }
        }
        Map<Integer, List<Sub>> batches = new LinkedHashMap<>();
        List<String> prefill = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Scenario.ThreadDecl td = sc.threads().get(t);
            int p = td.process();
            List<Sub> subs = new ArrayList<>();
            if (spread) {
                subs.add(new Sub("spread", r -> { }));
            }
            int ch = t;
            for (Op op : flat(td.ops())) {
                int h = holderOf(op);
                if (p < 0 && h >= 0) {
                    ch = ctl(owner[h]);
                }
                freeSubs(op, t, p < 0 ? owner[h] : p, subs, prefill);
            }
            if (subs.size() > (spread ? 1 : 0)) {
                batches.put(ch, subs);
            }
        }
        for (String cmd : prefill) {
            agent.call(cmd);
        }
        for (Map.Entry<Integer, List<Sub>> b : batches.entrySet()) {
            StringBuilder cmd = new StringBuilder("start ").append(b.getKey()).append(" batch");
            for (int i = 0; i < b.getValue().size(); i++) {
                cmd.append(i == 0 ? " " : " ; ").append(b.getValue().get(i).cmd());
            }
            agent.call(cmd.toString());
        }
        if (!batches.isEmpty()) {
            agent.call("go " + batches.size());
        }
        for (Map.Entry<Integer, List<Sub>> b : batches.entrySet()) {
            int ch = b.getKey();
            int p = processServing(ch);
            JsonNode r = agent.request("finish " + ch);
            if (r.path("error").asText().equals("died")) {
                died(p, r);
                if (observesRegistersOf(p)) {
                    throw new AgentException("free run: " + sc.processes().get(p) + " died inside its batch, whose"
                            + " replies are lost, and the condition reads its threads' registers");
                }
                continue;
            }
            if (!r.path("ok").asBoolean()) {
                throw new AgentException("agent: free run on channel " + ch + ": " + r.path("error").asText());
            }
            JsonNode replies = r.path("replies");
            for (int i = 0; i < b.getValue().size(); i++) {
                JsonNode one = replies.get(i);
                Sub sub = b.getValue().get(i);
                if (one == null || !one.path("ok").asBoolean()) {
                    throw new AgentException("agent: '" + sub.cmd() + "' failed in a free run: "
                            + (one == null ? "no reply" : one.path("error").asText()));
                }
                sub.then().accept(one);
            }
        }
        for (int h : releasedAfter) {
            holderState[h] = RELEASED;
        }
        state = sequentialEnd();
        // The daemons (flusher, kswapd, ksmd) then run to the end, as the model's final states need them to: one
        // of the interleavings the model allows, since it lets them step at any point. What each step does is
        // read from the model's state, as for a schedule.
        for (int guard = 0; guard < 10_000; guard++) {
            int next = -1;
            for (int t = threads; t < model.threadNames().size() && next < 0; t++) {
                next = model.step(state, t) != null ? t : -1;
            }
            if (next < 0) {
                break;
            }
            step(next);
        }
        String outcome = observeOutcome();
        return new RealRun(outcome, Map.of(), List.copyOf(notes), satisfied());
    }

    /** The process a channel belongs to: a thread's, or the one whose control worker it is. */
    private int processServing(int ch) {
        return ch < threads ? sc.threads().get(ch).process() : ch - threads;
    }

    private boolean observesRegistersOf(int p) {
        for (Object o : model.observables()) {
            if (o instanceof Term.Reg r && sc.threads().get(r.thread()).process() == p) {
                return true;
            }
        }
        return false;
    }

    /**
     * A final state of the model with the threads run one after the other, where the observation needs the model
     * (which VMA is a file mapping, at what offset): those words do not depend on how the threads interleave.
     */
    private int[] sequentialEnd() {
        int[] s = model.initial();
        boolean moved = true;
        while (moved) {
            moved = false;
            for (int t = 0; t < threads && !moved; t++) {
                int[] next = model.step(s, t);
                if (next != null) {
                    s = next;
                    moved = true;
                }
            }
        }
        return s;
    }

    /** The worker commands of one operation in a free run, with what each reply sets. */
    private void freeSubs(Op op, int t, int p, List<Sub> subs, List<String> prefill) {
        switch (op) {
            case Op.Mmap m -> {
                String cmd = "mmap " + m.vma() + " " + pages(m.vma()) + " " + prot(m.prot()) + " "
                        + (m.shared() ? "shared" : "private");
                if (m.file()) {
                    subs.add(new Sub(cmd + " file " + m.space() + " " + m.pgoff(), r -> setReg(t, m.reg(), ret(r))));
                } else {
                    subs.add(new Sub(cmd, r -> setReg(t, m.reg(), 0)));
                }
            }
            case Op.Munmap m -> subs.add(new Sub("munmap " + m.vma() + " " + pages(m.vma()), r -> { }));
            case Op.Mremap m -> subs.add(new Sub("mremap " + m.vma() + " " + pages(m.vma()) + " " + m.to(), r -> { }));
            case Op.Mprotect m -> subs.add(new Sub("mprotect " + m.vma() + " " + pages(m.vma()) + " "
                    + prot(m.prot()), r -> { }));
            case Op.Madvise m -> subs.add(new Sub("madvise " + m.vma() + " " + pages(m.vma()) + " "
                    + m.advice().word(), r -> { }));
            case Op.Load l -> subs.add(new Sub("load " + l.vma() + " " + l.cell(),
                    r -> setReg(t, l.reg(), r.path("value").asInt())));
            case Op.Store x -> subs.add(new Sub("store " + x.vma() + " " + x.cell() + " " + x.value(), r -> { }));
            case Op.Fork f -> subs.add(new Sub("fork " + channelsOf(f.child()), r -> {
                pid[f.child()] = r.path("pid").asInt();
                alive[f.child()] = true;
            }));
            case Op.Gup g -> freeGup(g, t, p, subs);
            case Op.DmaWrite d -> {
                int h = d.holder();
                prefill.add("pipe_write " + h + " " + d.value());
                subs.add(new Sub("read_fixed " + h + " " + h + " " + holderVmaOf(h) + " "
                        + absoluteCell(h, d.cell()), r -> { }));
            }
            case Op.DmaRead d -> {
                int h = d.holder();
                if (plan.realisation(h) == ReplayPlan.Realisation.URING) {
                    subs.add(new Sub("write_fixed " + h + " " + h + " " + holderVmaOf(h) + " " + absoluteCell(h, d.cell()),
                            r -> setReg(t, d.reg(), ret(r) < 0 ? Kernel.NONE : r.path("value").asInt())));
                } else {
                    // pipe_peek fails on an empty pipe (nothing was spliced): the device reads nothing
                    subs.add(new Sub("pipe_peek " + h + " " + absoluteCell(h, d.cell()),
                            r -> setReg(t, d.reg(), r.path("value").asInt())));
                }
            }
            case Op.Release r -> {
                int h = r.holder();
                if (plan.realisation(h) == ReplayPlan.Realisation.URING) {
                    subs.add(new Sub("uring_unregister " + h, x -> holderState[h] = RELEASED));
                } else {
                    releasedAfter.add(h); // a pipe's references stay with the agent's pipe; nothing to run
                }
            }
            case Op.Read r -> subs.add(new Sub("pread " + r.file() + " " + r.cell(),
                    x -> setReg(t, r.reg(), readValue(x))));
            case Op.Write w -> subs.add(new Sub("pwrite " + w.file() + " " + w.cell() + " " + w.value(), x -> {
                int ret = ret(x);
                setReg(t, w.reg(), ret == 1 ? 0 : ret);
            }));
            case Op.Fsync f -> subs.add(new Sub((f.dataOnly() ? "fdatasync " : "fsync ") + f.file(),
                    x -> setReg(t, f.reg(), sync(x))));
            case Op.Sync x -> subs.add(new Sub("sync", r -> { }));
            case Op.Msync m -> subs.add(new Sub("msync " + m.vma() + " " + pages(m.vma()) + " "
                    + (m.sync() ? "sync" : "async"), x -> setReg(t, m.reg(), m.sync() ? sync(x) : ret(x))));
            case Op.Truncate x -> subs.add(new Sub("ftruncate " + x.file() + " " + x.pages(),
                    r -> setReg(t, x.reg(), ret(r))));
            case Op.Punch x -> subs.add(new Sub("punch " + x.file() + " " + x.page() + " " + x.count(),
                    r -> setReg(t, x.reg(), ret(r))));
            default -> { } // wait (no FUSE), the device side of a synchronous O_DIRECT: nothing to do
        }
    }

    /** Holders a free run releases without a command (a pipe's), marked once the batches are done. */
    private final List<Integer> releasedAfter = new ArrayList<>();

    private void freeGup(Op.Gup g, int t, int p, List<Sub> subs) {
        int h = g.holder();
        owner[h] = p;
        holderVma[h] = g.vma();
        holderPage[h] = g.page();
        Reply took = r -> {
            int ret = plan.realisation(h) == ReplayPlan.Realisation.URING ? r.path("ret").asInt()
                    : Math.min(0, r.path("ret").asInt());
            holderState[h] = ret < 0 || plan.realisation(h) == ReplayPlan.Realisation.FILE_DIO ? RELEASED : HELD;
            if (ret < 0) {
                notes.add(g.text() + " failed with " + ret);
            }
            setReg(t, g.reg(), ret < 0 ? ret : 0);
        };
        switch (plan.realisation(h)) {
            case URING -> {
                subs.add(new Sub("uring_setup " + h, r -> {
                    if (r.path("ret").asInt() < 0) {
                        throw new AgentException("io_uring_queue_init failed: " + r);
                    }
                }));
                subs.add(new Sub("uring_register " + h + " " + g.vma() + " " + g.count(), took));
            }
            case PIPE -> subs.add(new Sub("vmsplice " + h + " " + g.vma() + " " + g.count(), took));
            case FILE_DIO -> {
                Op.FileIo io = g.io();
                subs.add(new Sub((io.write() ? "dio_write_file " : "dio_read_file ") + io.file() + " " + io.page()
                        + " " + g.vma() + " " + g.page() * Folio.CELLS, took));
            }
            default -> throw new IllegalStateException("not free-runnable: " + g.text());
        }
    }

    /** The VMA of holder {@code h}'s GUP (in setup or a thread). */
    private int holderVmaOf(int h) {
        for (Scenario.SetupStep st : sc.setup()) {
            if (st.op() instanceof Op.Gup g && g.holder() == h) {
                return g.vma();
            }
        }
        for (Op op : sc.threads().stream().flatMap(td -> flat(td.ops()).stream()).toList()) {
            if (op instanceof Op.Gup g && g.holder() == h) {
                return g.vma();
            }
        }
        return holderVma[h];
    }



    private void makeFiles() throws AgentException {
        for (String cmd : plan.fileSetup()) {
            JsonNode r = agent.call(cmd);
            if (r.path("loop").asInt(-1) >= 0) {
                kernel.device(r.path("loop").asInt());
            }
        }
    }

    /** Runs actor {@code t}'s next step: a scenario thread's op (unless it continues one), or a daemon's. */
    private void step(int t) throws AgentException {
        int[] next = model.step(state, t);
        nextState = next;
        if (next == null) {
            throw new IllegalStateException("the schedule steps " + model.threadNames().get(t) + ", which cannot");
        }
        World before = World.view(model.layout(), state);
        if (t >= threads) {
            daemon(DaemonAction.of(sc, model.layout(), t - threads, state, next));
        } else if (before.sub(t) == 0) {
            int p = model.processOf(t);
            exec(model.op(t, before.pc(t)), t, p, p >= 0 ? t : -1);
        }
        state = next;
    }

    private void daemon(DaemonAction a) throws AgentException {
        switch (a) {
            case DaemonAction.Writeback w -> writeback(w.file(), w.page(), 1, WRITE_AND_WAIT);
            case DaemonAction.Pageout po -> {
                JsonNode r = send(ctl(po.process()), po.process(), "madvise " + po.vma() + " 1 pageout " + po.page());
                if (r != null && r.path("ret").asInt() != 0) {
                    notes.add("kswapd's MADV_PAGEOUT returned " + r.path("ret").asInt());
                }
            }
            case DaemonAction.Evict e -> {
                int ret = agent.call("evict " + e.file() + " " + e.page() + " 1").path("ret").asInt();
                if (ret != 0) {
                    notes.add("kswapd's eviction of " + sc.files().get(e.file()).name() + " page " + e.page()
                            + " returned " + ret);
                }
            }
            case DaemonAction.DropCaches d -> agent.call("drop_caches");
            case DaemonAction.KsmMerge k -> agent.call("ksm_merge");
            case DaemonAction.Nothing n -> { }
            case DaemonAction.Impossible i -> throw new IllegalStateException("the schedule has a step user space"
                    + " cannot force: " + i.reason());
        }
    }

    /** sync_file_range through the agent's own descriptor of the file, as the flusher (a kernel thread) writes. */
    private void writeback(int f, int page, int count, String flags) throws AgentException {
        int ret = agent.call("writeback " + f + " " + page + " " + count + " " + flags).path("ret").asInt();
        if (ret != 0) {
            notes.add("writeback of " + sc.files().get(f).name() + " page " + page + " returned " + ret);
        }
    }

    // ---- steps -------------------------------------------------------------------------------------

    private void exec(Op op, int t, int p, int ch) throws AgentException {
        switch (op) {
            case Op.Mmap m -> mmap(m, t, p, ch);
            case Op.Munmap m -> send(ch, p, "munmap " + m.vma() + " " + pages(m.vma()));
            case Op.Mremap m -> send(ch, p, "mremap " + m.vma() + " " + pages(m.vma()) + " " + m.to());
            case Op.Mprotect m -> send(ch, p, "mprotect " + m.vma() + " " + pages(m.vma()) + " " + prot(m.prot()));
            case Op.Madvise m -> send(ch, p, "madvise " + m.vma() + " " + pages(m.vma()) + " " + m.advice().word());
            case Op.Exit e -> {
                JsonNode r = agent.request("send " + ch + " exit");
                died(p, r);
            }
            case Op.Load l -> {
                // a load that kills the process (SIGSEGV, SIGBUS) leaves none in the register, as in the model
                JsonNode r = send(ch, p, "load " + l.vma() + " " + l.cell());
                setReg(t, l.reg(), r == null ? Kernel.NONE : r.path("value").asInt());
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
            case Op.DmaRead d -> setReg(t, d.reg(), dmaRead(d.holder(), d.cell(), t >= 0 && p >= 0 ? ch : -1));
            case Op.DmaTransfer d -> transfer(d);
            case Op.Release r -> release(r.holder());
            case Op.Wait w -> complete(w.holder());
            case Op.Signal s -> { }
            case Op.Await a -> { }
            case Op.WaitChild x -> { }
            case Op.Uprobe x -> {
                JsonNode r = agent.call((x.install() ? "uprobe_add " : "uprobe_remove ") + x.file() + " " + x.cell());
                if (r.path("ret").asInt() != 0) {
                    throw new AgentException(x.text() + ": the kernel refused the probe (" + r.path("ret").asInt() + ")");
                }
            }
            case Op.Atomic a -> {
                for (Op o : a.ops()) {
                    exec(o, t, p, ch);
                }
            }
            default -> fileOp(op, t, p, ch);
        }
    }

    private void mmap(Op.Mmap m, int t, int p, int ch) throws AgentException {
        String cmd = "mmap " + m.vma() + " " + pages(m.vma()) + " " + prot(m.prot()) + " "
                + (m.shared() ? "shared" : "private");
        if (!m.file()) {
            send(ch, p, cmd);
            setReg(t, m.reg(), 0);
            return;
        }
        setReg(t, m.reg(), ret(send(ch, p, cmd + " file " + m.space() + " " + m.pgoff())));
    }

    /** The buffered I/O, sync and cache operations on files. */
    private void fileOp(Op op, int t, int p, int ch) throws AgentException {
        switch (op) {
            case Op.Read r -> setReg(t, r.reg(), readValue(send(ch, p, "pread " + r.file() + " " + r.cell())));
            case Op.Write w -> {
                int ret = ret(send(ch, p, "pwrite " + w.file() + " " + w.cell() + " " + w.value()));
                setReg(t, w.reg(), ret == 1 ? 0 : ret);
            }
            case Op.Fsync f -> setReg(t, f.reg(), sync(send(ch, p, (f.dataOnly() ? "fdatasync " : "fsync ")
                    + f.file())));
            case Op.Sync s -> send(ch, p, "sync");
            case Op.Msync m -> {
                JsonNode r = send(ch, p, "msync " + m.vma() + " " + pages(m.vma()) + " " + (m.sync() ? "sync" : "async"));
                setReg(t, m.reg(), m.sync() ? sync(r) : ret(r));
            }
            case Op.SyncFileRange s -> {
                // SYNC_FILE_RANGE_WRITE through the scenario's descriptor, then the wait for the writes replay
                // assumes complete at once, through the agent's (so the scenario's error cursor stays put)
                setReg(t, s.reg(), ret(send(ch, p, "sync_file_range " + s.file() + " " + s.page() + " " + s.count()
                        + " write")));
                writeback(s.file(), s.page(), s.count(), "wait_after");
            }
            case Op.Truncate x -> setReg(t, x.reg(), ret(send(ch, p, "ftruncate " + x.file() + " " + x.pages())));
            case Op.Punch x -> setReg(t, x.reg(), ret(send(ch, p, "punch " + x.file() + " " + x.page() + " "
                    + x.count())));
            case Op.Fadvise x -> {
                // POSIX_FADV_DONTNEED starts writeback of the dirty pages and evicts the clean ones without
                // waiting; replay's disk writes complete at once, so the writes are made and waited for first
                int pages = sc.files().get(x.file()).pages();
                writeback(x.file(), 0, pages, "write|wait_after");
                setReg(t, x.reg(), ret(send(ch, p, "fadvise " + x.file() + " 0 " + pages + " dontneed")));
            }
            case Op.DropCaches x -> agent.call("drop_caches");
            case Op.KsmMerge x -> agent.call("ksm_merge");
            case Op.Remote x -> {
                // /proc/PID/mem for the forced accesses (ptrace's POKEDATA takes the same path), process_vm_* else
                String cmd = (x.ptrace() ? "ptrace_" + (x.write() ? "poke " : "peek ")
                        : (x.force() ? "mem_" : "vm_") + (x.write() ? "write " : "read ")) + pid[x.target()] + " "
                        + x.vma() + " " + x.cell() + (x.write() ? " " + x.value() : "");
                JsonNode r = agent.call(cmd);
                int ret = r.path("ret").asInt();
                setReg(t, x.reg(), ret < 0 ? ret : x.write() ? 0 : r.path("value").asInt());
            }
            case Op.Migrate x -> {
                JsonNode r = agent.call("migrate " + pid[p] + " " + x.vma() + " " + x.page());
                if ("offline".equals(r.path("method").asText()) && r.path("ret").asInt() == -Kernel.EBUSY) {
                    throw new AgentException("migrate: memory block " + r.path("block").asText() + " holds unmovable"
                            + " kernel memory, so nothing can be migrated there; the run says nothing");
                }
                setReg(t, x.reg(), r.path("moved").asBoolean() ? 0 : 1);
            }
            default -> throw new IllegalStateException("the replay plan does not map '" + op.text() + "'");
        }
    }

    private static int ret(JsonNode r) {
        return r == null ? Kernel.NONE : r.path("ret").asInt();
    }

    /** A 1-byte read's register value: the byte, none past the end of the file, or -errno. */
    static int readValue(JsonNode r) {
        int ret = ret(r);
        return ret == 1 ? r.path("value").asInt() : ret == 0 ? Kernel.NONE : ret;
    }

    /** The return value of a call that reports writeback errors; an -EIO is a kernel event of the run. */
    private int sync(JsonNode r) {
        int ret = ret(r);
        kernel.syncReturned(ret);
        return ret;
    }

    private void setReg(int t, int reg, int value) {
        if (t >= 0 && reg >= 0) {
            regs[t][reg] = value;
        }
    }

    /** The model's state after the step being run (null in setup). */
    private int[] nextState;

    /** Whether the model says holder {@code h}'s GUP fails in the step being run (so no FUSE request follows). */
    private boolean modelFails(int h) {
        return nextState != null && pinlab.model.Holder.status(World.view(model.layout(), nextState).holder(h))
                == pinlab.model.Holder.FAILED;
    }

    private void gup(Op.Gup g, int t, int p, int ch) throws AgentException {
        int h = g.holder();
        owner[h] = p;
        holderVma[h] = g.vma();
        holderPage[h] = g.page();
        int ret = switch (plan.realisation(h)) {
            case URING -> {
                JsonNode setup = send(ctl(p), p, "uring_setup " + h);
                if (setup == null || setup.path("ret").asInt() < 0) {
                    throw new AgentException("io_uring_queue_init failed: " + setup);
                }
                JsonNode r = send(ch, p, "uring_register " + h + " " + g.vma() + " " + g.count());
                yield r == null ? -Kernel.EFAULT : r.path("ret").asInt();
            }
            case PIPE -> {
                JsonNode r = send(ch, p, "vmsplice " + h + " " + g.vma() + " " + g.count());
                yield r == null ? -Kernel.EFAULT : Math.min(0, r.path("ret").asInt());
            }
            case FUSE_READ, FUSE_WRITE -> {
                if (modelFails(h)) {
                    // The model's GUP fails at once (e.g. -EFAULT for a read into a read-only buffer): no request
                    // reaches the daemon, so the call is run to its end and its result compared.
                    JsonNode r = send(dioChannel(h), p, (plan.realisation(h) == ReplayPlan.Realisation.FUSE_READ
                            ? "dio_read " : "dio_write ") + g.vma() + " " + fuseCell(h));
                    yield r == null ? -Kernel.EFAULT : Math.min(0, r.path("ret").asInt());
                }
                yield plan.realisation(h) == ReplayPlan.Realisation.FUSE_READ ? fuseRead(g, h) : fuseWrite(g, h, p);
            }
            case FILE_DIO -> fileDio(g, p, ch);
            case NONE -> throw new AgentException("not replayable: " + g.text());
        };
        holderState[h] = ret < 0 || plan.realisation(h) == ReplayPlan.Realisation.FILE_DIO ? RELEASED : HELD;
        if (holderState[h] == HELD) {
            recordHolderPages(h, p, g.vma(), g.page());
        }
        if (ret < 0) {
            notes.add(g.text() + " failed with " + ret);
        }
        setReg(t, g.reg(), ret < 0 ? ret : 0);
    }

    /** Reads which page frames holder {@code h} now holds: the ones process {@code p} maps at its pages. */
    private void recordHolderPages(int h, int p, int vma, int first) throws AgentException {
        long[] pfns = new long[model.layout().holderSlots(h)];
        for (int i = 0; i < pfns.length; i++) {
            JsonNode r = alive[p] ? agent.call("pagemap " + pid[p] + " " + vma + " " + (first + i)) : null;
            pfns[i] = r == null || !r.path("present").asBoolean() ? -1 : r.path("zero").asBoolean() ? 0
                    : r.path("pfn").asLong();
        }
        holderPfn[h] = pfns;
    }

    /**
     * Whether holder {@code h}'s pages are part of the page identity at the end: it holds references, and they
     * outlive nothing the replay cannot follow. A synchronous O_DIRECT on a file holds nothing after its call;
     * an io_uring ring goes with its process (its buffers are unregistered when the ring's last file reference
     * is put, io_uring/io_uring.c io_ring_ctx_free()), which the model does not follow; a pipe is the agent's.
     */
    static boolean holderCounts(ReplayPlan plan, int h, boolean ownerAlive) {
        return switch (plan.realisation(h)) {
            case FILE_DIO, NONE -> false;
            case PIPE -> true;
            default -> ownerAlive;
        };
    }

    private int fuseRead(Op.Gup g, int h) throws AgentException {
        agent.call("start " + dioChannel(h) + " dio_read " + g.vma() + " " + fuseCell(h));
        JsonNode req = agent.call("fuse_wait");
        fuseRequest[h] = req.path("id").asInt();
        startedOn[h] = dioChannel(h);
        return 0;
    }

    private int fuseWrite(Op.Gup g, int h, int p) throws AgentException {
        // Pinned at submission; the daemon holds off receiving, because receiving is the device's read.
        send(dioChannel(h), p, "dio_open");
        agent.call("fuse_hold");
        agent.call("start " + dioChannel(h) + " dio_write " + g.vma() + " " + fuseCell(h));
        agent.call("fuse_queued");
        fuseRequest[h] = -1;
        startedOn[h] = dioChannel(h);
        return 0;
    }

    /** A synchronous O_DIRECT read or write of one file page: submission, transfer and completion at once. */
    private int fileDio(Op.Gup g, int p, int ch) throws AgentException {
        Op.FileIo io = g.io();
        JsonNode r = send(ch, p, (io.write() ? "dio_write_file " : "dio_read_file ") + io.file() + " " + io.page()
                + " " + g.vma() + " " + g.page() * Folio.CELLS);
        int n = r == null ? -Kernel.EFAULT : r.path("ret").asInt();
        if (n >= 0 && n != PAGE_SIZE) {
            notes.add(g.text() + " transferred " + n + " bytes");
        }
        return Math.min(n, 0);
    }

    private int fuseCell(int h) {
        return plan.dioCell(h) < 0 ? 0 : absoluteCell(h, plan.dioCell(h));
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
                complete(h);
            }
            default -> throw new AgentException("not replayable: " + d.text());
        }
    }

    /** The device side of an O_DIRECT request on a file: done by the synchronous call that submitted it. */
    private void transfer(Op.DmaTransfer d) {
        if (plan.fileDioDevice(d.holder()) < 0) {
            throw new IllegalStateException("the replay plan does not map '" + d.text() + "'");
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
                complete(h);
            }
            default -> { }
        }
        holderState[h] = RELEASED;
    }

    /**
     * Waits for the reply of a FUSE request's system call once the daemon has answered it: the submitting
     * thread releases the pages (set_page_dirty_lock() and unpin for a read) on its way out, which the model's
     * completion step includes, so nothing may run in between.
     */
    private void complete(int h) throws AgentException {
        if (startedOn[h] < 0) {
            return;
        }
        JsonNode r = agent.request("finish " + startedOn[h]);
        startedOn[h] = -1;
        if (r.path("error").asText().equals("died")) {
            died(owner[h], r);
        } else if (!r.path("ok").asBoolean()) {
            throw new AgentException("agent: the O_DIRECT request of holder " + sc.holders().get(h).name()
                    + " failed: " + r.path("error").asText());
        }
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
        kernel.killed(diedSignal[p]);
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
                    if (r.path("thp").asBoolean()) {
                        notes.add(key + " is a THP: the model assumes small pages");
                    }
                }
            }
        }
        for (int h = 0; h < sc.holders().size(); h++) {
            if (holderState[h] != HELD || holderPfn[h] == null || !holderCounts(plan, h, owner[h] >= 0 && alive[owner[h]])) {
                continue;
            }
            for (int i = 0; i < holderPfn[h].length; i++) {
                long pfn = holderPfn[h][i];
                out.put(holderKey(h, i), pfn < 0 ? "unknown" : pfn == 0 ? "zero-page"
                        : names.computeIfAbsent(pfn, x -> "page" + (names.size() + 1)) + " held");
            }
        }
        return out;
    }

    private String holderKey(int h, int i) {
        return sc.holders().get(h).name() + " page " + i;
    }

    /**
     * Describes the model's final state in the same terms as {@link #observePages()}: every mapped page, then the
     * pages each holder holds, named in one numbering, so that a holder's page the page tables no longer map (a
     * COW copy went to the process) has a name of its own.
     */
    static Map<String, String> modelPages(ReplayPlan plan, World w) {
        Scenario sc = plan.scenario();
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
        for (int h = 0; h < sc.holders().size(); h++) {
            int submitter = submitter(sc, h);
            if (pinlab.model.Holder.status(w.holder(h)) != pinlab.model.Holder.HELD
                    || !holderCounts(plan, h, submitter >= 0 && w.alive(submitter))) {
                continue;
            }
            for (int i = 0; i < w.layout().holderSlots(h); i++) {
                int ref = w.slot(h, i);
                String key = sc.holders().get(h).name() + " page " + i;
                out.put(key, ref == Pte.ZERO ? "zero-page" : !Pte.isFolio(ref) ? "unknown"
                        : names.computeIfAbsent(Pte.folio(ref), x -> "page" + (names.size() + 1)) + " held");
            }
        }
        return out;
    }

    /**
     * The outcome key, built as {@link ScenarioModel#outcome} builds it: the observed terms, event atoms and
     * same() atoms, then the kernel's reports. The kernel's reports are read first (a read below could log a
     * checksum failure of its own); then the terms that change nothing (the page cache, the disk), and only then
     * those that can read a page in (buffered reads, loads).
     */
    private String observeOutcome() throws AgentException {
        kernel.collect(agent, realFiles(), notes);
        Map<Object, Integer> passive = new HashMap<>();
        for (Object o : model.observables()) {
            if (o instanceof Term.Cache || o instanceof Term.Disk) {
                passive.put(o, value((Term) o));
            }
        }
        StringBuilder key = new StringBuilder();
        for (Object o : model.observables()) {
            if (key.length() > 0) {
                key.append("; ");
            }
            switch (o) {
                case Term t -> {
                    int v = passive.containsKey(t) ? passive.get(t) : value(t);
                    seenValues.put(t, v);
                    key.append(t.text()).append('=').append(show(v));
                }
                case Expr.Happened h -> key.append(h.event().id()).append('=')
                        .append((kernel.events() & h.event().bit()) != 0);
                case Expr.Same s -> {
                    boolean same = same(s);
                    seenSame.put(s, same);
                    key.append("same(").append(s.left().text()).append(',').append(s.right().text()).append(")=")
                            .append(same);
                }
                default -> throw new AgentException("cannot observe " + o);
            }
        }
        List<String> labels = ScenarioModel.labels(kernel.events());
        if (!labels.isEmpty()) {
            key.append(key.length() > 0 ? "; " : "").append("kernel: ").append(String.join(", ", labels));
        }
        return key.toString();
    }

    /** The values {@link #observeOutcome()} read, for {@link #satisfied()}. */
    private final Map<Term, Integer> seenValues = new HashMap<>();
    private final Map<Expr.Same, Boolean> seenSame = new HashMap<>();

    /** Whether the values the outcome shows satisfy the final condition's expression (after observeOutcome). */
    private boolean satisfied() {
        return eval(sc.condition().expr());
    }

    private boolean eval(Expr e) {
        return switch (e) {
            case Expr.And a -> eval(a.left()) && eval(a.right());
            case Expr.Or o -> eval(o.left()) || eval(o.right());
            case Expr.Not n -> !eval(n.inner());
            case Expr.Eq q -> (seen(q.left()) == seen(q.right())) != q.negated();
            case Expr.Happened h -> (kernel.events() & h.event().bit()) != 0;
            case Expr.Same s -> seenSame.getOrDefault(s, false);
            case Expr.Bool b -> b.value();
        };
    }

    private int seen(Term t) {
        if (t instanceof Term.Const c) {
            return c.value();
        }
        Integer v = seenValues.get(t);
        if (v == null) {
            throw new IllegalStateException("the condition reads " + t.text() + ", which the outcome does not show");
        }
        return v;
    }

    /** The scenario's named files, which the agent made. */
    private List<Integer> realFiles() {
        List<Integer> out = new ArrayList<>();
        for (int f = 0; f < sc.files().size(); f++) {
            if (!sc.files().get(f).anonymous()) {
                out.add(f);
            }
        }
        return out;
    }

    private static String show(int v) {
        return v == Kernel.NONE ? "none" : Integer.toString(v);
    }

    private int value(Term t) throws AgentException {
        return switch (t) {
            case Term.Const c -> c.value();
            case Term.Reg r -> regs[r.thread()][r.reg()];
            case Term.Cell c -> cell(c);
            case Term.HolderCell h -> dmaRead(h.holder(), h.cell(), -1);
            case Term.Disk d -> files.disk(d.file(), d.cell());
            case Term.Cache c -> files.cached(c.file(), c.cell());
            case Term.FileRead r -> files.read(r.file(), r.cell());
        };
    }

    /** What the process reads at a cell, without dying for it: a file mapping past the end of the file is none. */
    private int cell(Term.Cell c) throws AgentException {
        if (!alive[c.process()]) {
            return Kernel.NONE;
        }
        JsonNode probe = agent.call("send " + ctl(c.process()) + " probe " + c.vma());
        if (!probe.path("mapped").asBoolean() || !probe.path("read").asBoolean()) {
            return Kernel.NONE;
        }
        int word = World.view(model.layout(), state).vma(c.process(), c.vma());
        if ((word & Vma.FILE) != 0) {
            int page = Vma.pgoff(word) + c.cell() / Folio.CELLS;
            int inFile = files.read(Vma.space(word), page * Folio.CELLS + c.cell() % Folio.CELLS);
            if (inFile < 0) {
                return inFile; // past the end of the file (a load would be SIGBUS), or the read fails
            }
        }
        return agent.call("send " + ctl(c.process()) + " load " + c.vma() + " " + c.cell()).path("value").asInt();
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
