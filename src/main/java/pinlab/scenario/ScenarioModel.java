package pinlab.scenario;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import pinlab.engine.TransitionSystem;
import pinlab.model.Event;
import pinlab.model.Folio;
import pinlab.model.Holder;
import pinlab.model.Layout;
import pinlab.model.Pte;
import pinlab.model.Vma;
import pinlab.model.World;
import pinlab.op.Kernel;
import pinlab.op.Machine;
import pinlab.op.Op;
import pinlab.policy.Policy;
import pinlab.policy.Rule;
import pinlab.report.Trace;
import pinlab.scenario.Condition.Expr;

/**
 * A scenario under a policy, as a transition system: the state after setup, and one step per thread. It also
 * evaluates the final condition and replays schedules into readable traces.
 */
public final class ScenarioModel implements TransitionSystem {
    private final Scenario sc;
    private final Layout lay;
    private final Machine machine;
    private final Kernel kernel;
    private final int[] diskFiles;
    private final int actors;
    private final int[] initial;
    private final Op[][] ops;
    private final int[] procOf;
    private final List<Object> observed;
    private final pinlab.op.Footprint footprint;
    /** Groups of interchangeable threads whose order is made canonical after every step (empty: none). */
    private final int[][] symmetric;
    /** Whether every reachable state has the shape {@link pinlab.op.Footprint#local} checks. */
    private final boolean alwaysLocal;

    /** Thrown when setup cannot run to its end (it waits for something that never comes). */
    public static final class SetupBlocked extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int line;

        SetupBlocked(int line, String msg) {
            super(msg);
            this.line = line;
        }

        /** Returns the line of the setup operation that blocked. */
        public int line() {
            return line;
        }
    }

    /** Builds the model of {@code scenario} under {@code policy}, running its setup. */
    public ScenarioModel(Scenario scenario, Policy policy) {
        this(scenario, policy, false);
    }

    /**
     * Builds the model of {@code scenario} under {@code policy}; with {@code syncDisk} a writeback write completes
     * in the step that submits it (the restriction replay runs under), so there is no disk actor.
     */
    public ScenarioModel(Scenario scenario, Policy policy, boolean syncDisk) {
        this(scenario, policy, syncDisk, false);
    }

    /**
     * Builds the model of {@code scenario} under {@code policy}; with {@code symmetry}, states that differ only by a
     * permutation of interchangeable threads ({@link #symmetricGroups}) are one state, and schedules name a
     * thread by its position in the canonical order ({@link #replay} and {@link #finalWorld} map them back).
     */
    public ScenarioModel(Scenario scenario, Policy policy, boolean syncDisk, boolean symmetry) {
        this.sc = scenario;
        int n = scenario.threads().size();
        int[] regs = new int[n];
        ops = new Op[n][];
        procOf = new int[n];
        for (int t = 0; t < n; t++) {
            Scenario.ThreadDecl td = scenario.threads().get(t);
            regs[t] = td.registers().size();
            ops[t] = td.ops().toArray(new Op[0]);
            procOf[t] = td.process();
        }
        int[] vmaPages = scenario.vmas().stream().mapToInt(Scenario.VmaDecl::pages).toArray();
        int[] filePages = scenario.files().stream().mapToInt(Scenario.FileDecl::pages).toArray();
        boolean[] onDisk = new boolean[filePages.length];
        List<Integer> disks = new ArrayList<>();
        for (int f = 0; f < onDisk.length; f++) {
            onDisk[f] = scenario.files().get(f).fs().onDisk();
            if (onDisk[f] && !syncDisk) {
                disks.add(f);
            }
        }
        this.diskFiles = disks.stream().mapToInt(Integer::intValue).toArray();
        int[] slots = scenario.holders().stream().mapToInt(Scenario.HolderDecl::slots).toArray();
        boolean[] forks = new boolean[scenario.files().size()];
        for (int f = 0; f < forks.length; f++) {
            forks[f] = scenario.files().get(f).fs() == pinlab.model.FileSystem.TUX3;
        }
        this.lay = new Layout(regs, scenario.daemons().size(), scenario.processes().size(), vmaPages, filePages,
                onDisk, forks, slots);
        this.machine = machineOf(scenario, syncDisk);
        this.kernel = new Kernel(policy, machine);
        this.observed = observables(scenario);
        this.symmetric = symmetry ? symmetricGroups(scenario, observed) : new int[0][];
        this.actors = n + scenario.daemons().size() + diskFiles.length;
        this.initial = runSetup(World.empty(lay), kernel).freeze();
        this.footprint = footprintOf(scenario, lay, machine, policy, actors, ops);
        boolean keeps = footprint != null;
        for (Op[] thread : ops) {
            for (Op op : thread) {
                keeps &= keeps && footprint.keepsLocal(op);
            }
        }
        // without files there is no page cache, so no folio a GUP or fault could share between pages
        this.alwaysLocal = keeps && lay.files() == 0
                && footprint.local(World.view(lay, initial), new int[World.view(lay, initial).folios() + 1]);
    }

    /** The static shape of a scenario, as the kernel model needs it. */
    static Machine machineOf(Scenario sc, boolean syncDisk) {
        List<Machine.FileSpec> files = new ArrayList<>();
        for (Scenario.FileDecl f : sc.files()) {
            files.add(new Machine.FileSpec(f.name(), f.fs(), f.pages(), f.sparse(), f.readOnly(), f.stable(),
                    f.anonymous()));
        }
        List<Machine.DaemonSpec> daemons = new ArrayList<>();
        for (Scenario.DaemonDecl d : sc.daemons()) {
            Machine.Work work = switch (d.work()) {
                case WRITEBACK -> Machine.Work.WRITEBACK;
                case RECLAIM -> Machine.Work.RECLAIM;
                case DROP_CACHES -> Machine.Work.DROP_CACHES;
                case KSM -> Machine.Work.KSM;
                case COMPACT -> Machine.Work.COMPACT;
            };
            daemons.add(new Machine.DaemonSpec(d.name(), work, d.file(), d.page(), d.bound()));
        }
        Op.Gup[] gups = new Op.Gup[sc.holders().size()];
        Integer[] procs = new Integer[sc.holders().size()];
        java.util.Arrays.fill(procs, -1);
        sc.setup().forEach(st -> noteGups(st.op(), st.process(), gups, procs));
        sc.threads().forEach(td -> td.ops().forEach(op -> noteGups(op, td.process(), gups, procs)));
        return new Machine(files, daemons, java.util.Arrays.asList(gups), java.util.Arrays.asList(procs), syncDisk);
    }

    private static void noteGups(Op op, int process, Op.Gup[] gups, Integer[] procs) {
        if (op instanceof Op.Gup g) {
            gups[g.holder()] = g;
            procs[g.holder()] = process;
        } else if (op instanceof Op.Atomic a) {
            a.ops().forEach(o -> noteGups(o, process, gups, procs));
        }
    }

    private World runSetup(World w, Kernel k) {
        k.init(w);
        for (int p = 0; p < sc.initialProcesses(); p++) {
            w.setProc(p, World.PROC_ALIVE | World.PROC_CREATED);
        }
        for (Scenario.SetupStep st : sc.setup()) {
            int sub = 0;
            do {
                while (!k.enabled(w, st.process(), st.op(), sub) && completeOneDiskWrite(w, k)) {
                    // setup runs alone: the disk finishes what it was given before the step goes on
                }
                if (!k.enabled(w, st.process(), st.op(), sub)) {
                    throw new SetupBlocked(st.op().line(), "setup blocks at '" + st.op().text()
                            + "': it waits for something no setup step provides");
                }
                if (!w.alive(st.process())) {
                    break;
                }
                sub = k.exec(w, -1, st.process(), st.op(), sub);
            } while (sub != Kernel.DONE);
        }
        while (completeOneDiskWrite(w, k)) {
            // writes submitted in setup are done before the threads start
        }
        return w;
    }

    private boolean completeOneDiskWrite(World w, Kernel k) {
        for (int f : diskFiles) {
            if (k.diskEnabled(w, f)) {
                k.diskStep(w, f);
                return true;
            }
        }
        return false;
    }

    /** Returns the scenario. */
    public Scenario scenario() {
        return sc;
    }

    /** Returns the policy. */
    public Policy policy() {
        return kernel.policy();
    }

    // ---- TransitionSystem ------------------------------------------------------------------------------

    @Override
    public int[] initial() {
        return initial;
    }

    @Override
    public int threads() {
        return actors;
    }

    /** Returns how many of the actors are the scenario's own threads (the rest are daemons, then disks). */
    public int scenarioThreads() {
        return ops.length;
    }

    private boolean runnable(World w, int t) {
        int pc = w.pc(t);
        if (pc >= ops[t].length) {
            return false;
        }
        int p = procOf[t];
        if (p >= 0 && !w.alive(p)) {
            return false;
        }
        return kernel.enabled(w, p, ops[t][pc], w.sub(t));
    }

    private boolean canStep(World w, int a) {
        if (w.happened(Event.KERNEL_BUG)) {
            return false;
        }
        if (a < ops.length) {
            return runnable(w, a);
        }
        int d = a - ops.length;
        if (d < lay.daemons()) {
            return kernel.daemonEnabled(w, d);
        }
        return kernel.diskEnabled(w, diskFiles[d - lay.daemons()]);
    }

    @Override
    public int[] step(int[] state, int t) {
        if (!canStep(World.view(lay, state), t)) {
            return null;
        }
        World w = stepping(World.of(lay, state));
        exec(w, kernel, t);
        int[] next = w.freeze();
        symmetrize(next);
        return next;
    }

    @Override
    public pinlab.engine.Stepper stepper() {
        return new pinlab.engine.Stepper() {
            private final World view = World.view(lay, initial);
            private final World work = stepping(World.scratch(lay));

            @Override
            public int step(int[] state, int length, int t) {
                if (!canStep(view.rebind(state), t)) {
                    return -1;
                }
                exec(work.load(state), kernel, t);
                int len = work.freezeScratch();
                symmetrize(work.frozenBuffer());
                return len;
            }

            @Override
            public int[] buffer() {
                return work.frozenBuffer();
            }
        };
    }

    /**
     * The kernel model's partial-order reduction: footprints from {@link pinlab.op.Footprint}, sets from
     * {@link pinlab.engine.PersistentSet}. Only for scenarios whose every step advances a thread (no daemons, no
     * disks, no multi-step operations): their state spaces have no cycles, so every state leads to a final or
     * stuck state, and since event bits are never cleared, a violation reached anywhere also shows in a final or
     * stuck state the reduced search keeps.
     */
    @Override
    public pinlab.engine.Reduction reduction() {
        if (footprint == null) {
            return null;
        }
        return new pinlab.engine.Reduction() {
            private final World view = World.view(lay, initial);
            private final long[] rw = new long[2];
            private final long[] nowR = new long[actors];
            private final long[] nowW = new long[actors];
            private final long[] laterR = new long[actors];
            private final long[] laterW = new long[actors];
            private int[] scratch = new int[16];

            @Override
            public long ample(int[] state, int length) {
                World w = view.rebind(state);
                if (w.happened(Event.KERNEL_BUG)) {
                    return ALL;
                }
                if (!alwaysLocal) {
                    if (scratch.length < w.folios()) {
                        scratch = new int[2 * w.folios()];
                    }
                    if (!footprint.local(w, scratch)) {
                        return ALL;
                    }
                }
                long active = 0;
                long enabled = 0;
                for (int t = 0; t < actors; t++) {
                    int pc = w.pc(t);
                    int p = procOf[t];
                    if (pc >= ops[t].length || (p >= 0 && (w.proc(p) & World.PROC_CREATED) != 0 && !w.alive(p))) {
                        continue; // finished, or its process is gone: it never steps again
                    }
                    if (w.sub(t) != 0) {
                        return ALL;
                    }
                    active |= 1L << t;
                    if (runnable(w, t)) {
                        enabled |= 1L << t;
                        footprint.of(w, p, ops[t][pc], true, rw);
                        nowR[t] = rw[0];
                        nowW[t] = rw[1];
                    } else {
                        nowR[t] = footprint.guard(w, p, ops[t][pc]);
                        nowW[t] = 0;
                    }
                    long r = 0;
                    long wr = 0;
                    for (int k = pc; k < ops[t].length && wr != pinlab.op.Footprint.ALL; k++) {
                        footprint.of(w, p, ops[t][k], false, rw);
                        r |= rw[0];
                        wr |= rw[1];
                    }
                    laterR[t] = r;
                    laterW[t] = wr;
                }
                return pinlab.engine.PersistentSet.choose(actors, active, enabled, nowR, nowW, laterR, laterW);
            }
        };
    }

    /** The footprints of this scenario's operations, or null when it gets no reduction. */
    private static pinlab.op.Footprint footprintOf(Scenario sc, Layout lay, Machine machine, Policy policy,
            int actors, Op[][] ops) {
        if (actors > 63 || lay.daemons() > 0 || actors != ops.length) {
            return null;
        }
        List<List<Op.Gup>> gups = new ArrayList<>();
        for (int h = 0; h < lay.holders(); h++) {
            gups.add(new ArrayList<>());
        }
        for (Scenario.SetupStep st : sc.setup()) {
            gupsOf(st.op(), gups);
        }
        for (Op[] thread : ops) {
            for (Op op : thread) {
                if (!pinlab.op.Footprint.oneStep(op)) {
                    return null;
                }
                gupsOf(op, gups);
            }
        }
        return pinlab.op.Footprint.of(lay, machine, policy, gups);
    }

    private static void gupsOf(Op op, List<List<Op.Gup>> gups) {
        if (op instanceof Op.Gup g) {
            gups.get(g.holder()).add(g);
        } else if (op instanceof Op.Atomic a) {
            a.ops().forEach(o -> gupsOf(o, gups));
        }
    }

    // ---- symmetry -----------------------------------------------------------------------------------

    /**
     * Returns the groups of threads that play identical roles: the same process, the same registers and the same
     * operations, text for text, and no register of theirs observed by the condition. Such threads start alike
     * (the program counter and registers at 0) and every step treats them alike (nothing in a state or an
     * operation names a thread but its own words), so a permutation of their words maps the state space onto
     * itself and keeps every outcome, violation and final condition.
     */
    static int[][] symmetricGroups(Scenario sc, List<Object> observed) {
        Set<Integer> seen = new java.util.HashSet<>();
        for (Object o : observed) {
            if (o instanceof Term.Reg r) {
                seen.add(r.thread());
            }
        }
        Map<List<Object>, List<Integer>> byRole = new LinkedHashMap<>();
        for (int t = 0; t < sc.threads().size(); t++) {
            if (seen.contains(t)) {
                continue;
            }
            Scenario.ThreadDecl td = sc.threads().get(t);
            List<Object> role = new ArrayList<>();
            role.add(td.process());
            role.add(td.registers());
            td.ops().forEach(op -> role.add(op.text()));
            byRole.computeIfAbsent(role, x -> new ArrayList<>()).add(t);
        }
        return byRole.values().stream().filter(g -> g.size() > 1)
                .map(g -> g.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
    }

    /** Returns the groups of interchangeable threads this model merges (empty without symmetry). */
    public int[][] symmetricGroups() {
        return symmetric.clone();
    }

    /** Sorts each group's thread words in a frozen state into the canonical order (insertion sort of blocks). */
    private void symmetrize(int[] s) {
        for (int[] g : symmetric) {
            int len = 1 + lay.registers(g[0]);
            for (int i = 1; i < g.length; i++) {
                for (int j = i; j > 0 && compareBlocks(s, lay.threadBase(g[j - 1]), lay.threadBase(g[j]), len) > 0;
                        j--) {
                    swapBlocks(s, lay.threadBase(g[j - 1]), lay.threadBase(g[j]), len);
                }
            }
        }
    }

    private static int compareBlocks(int[] s, int a, int b, int len) {
        for (int k = 0; k < len; k++) {
            int c = Integer.compare(s[a + k], s[b + k]);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static void swapBlocks(int[] s, int a, int b, int len) {
        for (int k = 0; k < len; k++) {
            int x = s[a + k];
            s[a + k] = s[b + k];
            s[b + k] = x;
        }
    }

    private int[] identity() {
        int[] id = new int[actors];
        for (int a = 0; a < actors; a++) {
            id[a] = a;
        }
        return id;
    }

    /**
     * For a state with the threads' own words in place, returns which thread stands at each position of the
     * canonical order {@link #symmetrize} would give it (threads with equal words keep their order).
     */
    private int[] actorsOf(int[] s) {
        int[] actor = identity();
        for (int[] g : symmetric) {
            int len = 1 + lay.registers(g[0]);
            Integer[] members = new Integer[g.length];
            for (int i = 0; i < g.length; i++) {
                members[i] = g[i];
            }
            java.util.Arrays.sort(members, (x, y) -> compareBlocks(s, lay.threadBase(x), lay.threadBase(y), len));
            for (int i = 0; i < g.length; i++) {
                actor[g[i]] = members[i];
            }
        }
        return actor;
    }

    /** A world that steps: its freezes check the PageAnonExclusive rule when the policy tracks the flag. */
    private World stepping(World w) {
        return kernel.tracksAnonExclusive() ? w.checkingAnonExclusive() : w;
    }

    private void exec(World w, Kernel k, int a) {
        if (a < ops.length) {
            int pc = w.pc(a);
            int sub = k.exec(w, a, procOf[a], ops[a][pc], w.sub(a));
            if (sub == Kernel.DONE) {
                w.setPc(a, pc + 1);
            } else {
                w.setSub(a, sub);
            }
        } else if (a - ops.length < lay.daemons()) {
            k.daemonStep(w, a - ops.length);
        } else {
            k.diskStep(w, diskFiles[a - ops.length - lay.daemons()]);
        }
    }

    /** Returns what actor {@code a} does at its next step, as a trace shows it. */
    private String actorText(World w, int a) {
        if (a < ops.length) {
            return ops[a][w.pc(a)].text();
        }
        int d = a - ops.length;
        if (d < lay.daemons()) {
            Scenario.DaemonDecl dd = sc.daemons().get(d);
            return dd.work().word() + (dd.file() >= 0 ? " " + sc.files().get(dd.file()).name() : "");
        }
        return "write " + sc.files().get(diskFiles[d - lay.daemons()]).name();
    }

    private int actorLine(World w, int a) {
        if (a < ops.length) {
            return ops[a][w.pc(a)].line();
        }
        int d = a - ops.length;
        return d < lay.daemons() ? sc.daemons().get(d).line() : 0;
    }

    @Override
    public boolean finished(int[] state) {
        World w = World.view(lay, state);
        if (w.happened(Event.KERNEL_BUG)) {
            return true;
        }
        for (int t = 0; t < ops.length; t++) {
            if (w.pc(t) >= ops[t].length) {
                continue;
            }
            int p = procOf[t];
            boolean killed = p >= 0 && (w.proc(p) & World.PROC_CREATED) != 0 && !w.alive(p);
            if (!killed) {
                return false;
            }
        }
        for (int d = 0; d < lay.daemons(); d++) {
            if (kernel.daemonWaits(w, d)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Names a state where nothing can step and not everything has finished: {@code stall} when something waits
     * inside the kernel for what no remaining step provides (writeback waiting for a pin, a fault waiting for a
     * folio lock), {@code deadlock} when the scenario's own threads wait on each other (a signal, a holder's I/O,
     * a process never created).
     */
    @Override
    public String stuck(int[] state) {
        World w = World.view(lay, state);
        for (int d = 0; d < lay.daemons(); d++) {
            if (kernel.daemonWaits(w, d)) {
                return "stall";
            }
        }
        for (int t = 0; t < ops.length; t++) {
            int pc = w.pc(t);
            int p = procOf[t];
            if (pc < ops[t].length && (p < 0 || w.alive(p))
                    && kernel.waitsInKernel(w, p, ops[t][pc], w.sub(t))) {
                return "stall";
            }
        }
        return "deadlock";
    }

    private static final int VIOLATION_MASK;
    private static final int LABELLED_MASK;

    static {
        int m = 0;
        int l = 0;
        for (Event e : Event.values()) {
            if (e.isViolation()) {
                m |= e.bit();
            }
            if (e.label() != null) {
                l |= e.bit();
            }
        }
        VIOLATION_MASK = m;
        LABELLED_MASK = l;
    }

    /** Returns the distinct labels (CRASH, WARN, CSUM, EIO) of the events in a tag mask, in a fixed order. */
    public static List<String> labels(int tags) {
        List<String> out = new ArrayList<>();
        for (Event e : Event.values()) {
            if ((tags & e.bit()) != 0 && e.label() != null && !out.contains(e.label())) {
                out.add(e.label());
            }
        }
        return out;
    }

    @Override
    public int violations(int[] state) {
        return state[0] & VIOLATION_MASK;
    }

    @Override
    public String violationName(int bit) {
        Event e = Event.byIndex(bit);
        return e == null ? "bit" + bit : e.id();
    }

    @Override
    public Outcome outcome(int[] state) {
        World w = World.view(lay, state);
        StringBuilder key = new StringBuilder();
        for (Object o : observed) {
            if (key.length() > 0) {
                key.append("; ");
            }
            switch (o) {
                case Term t -> key.append(t.text()).append('=').append(show(value(w, t)));
                case Expr.Happened h -> key.append(h.event().id()).append('=').append(w.happened(h.event()));
                case Expr.Same s -> key.append("same(").append(s.left().text()).append(',')
                        .append(s.right().text()).append(")=").append(same(w, s));
                default -> throw new IllegalStateException(o.toString());
            }
        }
        boolean refused = false;
        for (int h = 0; h < lay.holders(); h++) {
            refused |= Holder.status(w.holder(h)) == Holder.FAILED;
        }
        int tags = w.events() & LABELLED_MASK;
        if (tags != 0) {
            key.append(key.length() > 0 ? "; " : "").append("kernel: ").append(String.join(", ", labels(tags)));
        }
        return new Outcome(key.toString(), eval(w, sc.condition().expr()), refused, tags);
    }

    private static String show(int v) {
        return v == Kernel.NONE ? "none" : Integer.toString(v);
    }

    private static List<Object> observables(Scenario sc) {
        Set<Object> out = new LinkedHashSet<>();
        collect(sc.condition().expr(), out);
        out.addAll(sc.locations());
        return new ArrayList<>(out);
    }

    private static void collect(Expr e, Set<Object> out) {
        switch (e) {
            case Expr.And a -> {
                collect(a.left(), out);
                collect(a.right(), out);
            }
            case Expr.Or o -> {
                collect(o.left(), out);
                collect(o.right(), out);
            }
            case Expr.Not n -> collect(n.inner(), out);
            case Expr.Eq q -> {
                if (!(q.left() instanceof Term.Const)) {
                    out.add(q.left());
                }
                if (!(q.right() instanceof Term.Const)) {
                    out.add(q.right());
                }
            }
            case Expr.Happened h -> out.add(h);
            case Expr.Same s -> out.add(s);
            case Expr.Bool b -> { }
        }
    }

    private boolean eval(World w, Expr e) {
        return switch (e) {
            case Expr.And a -> eval(w, a.left()) && eval(w, a.right());
            case Expr.Or o -> eval(w, o.left()) || eval(w, o.right());
            case Expr.Not n -> !eval(w, n.inner());
            case Expr.Eq q -> (value(w, q.left()) == value(w, q.right())) != q.negated();
            case Expr.Happened h -> w.happened(h.event());
            case Expr.Same s -> same(w, s);
            case Expr.Bool b -> b.value();
        };
    }

    /** Returns the value of a term in a final state: what the process, holder or register sees. */
    private int value(World w, Term t) {
        return switch (t) {
            case Term.Const c -> c.value();
            case Term.Reg r -> w.reg(r.thread(), r.reg());
            case Term.Cell c -> cellSeenBy(w, c);
            case Term.HolderCell h -> {
                if (Holder.status(w.holder(h.holder())) != Holder.HELD) {
                    yield Kernel.NONE;
                }
                int ref = w.slot(h.holder(), h.cell() / Folio.CELLS);
                yield ref == Pte.NONE ? Kernel.NONE : contentOf(w, ref, h.cell() % Folio.CELLS);
            }
            case Term.Disk d -> kernel.peekDisk(w, d.file(), d.cell());
            case Term.Cache c -> kernel.peekCache(w, c.file(), c.cell());
            case Term.FileRead r -> kernel.peekFile(w, r.file(), r.cell());
        };
    }

    /** What a load by the process would read now (a fault reads a file page from the cache or the disk). */
    private int cellSeenBy(World w, Term.Cell c) {
        int i = c.cell() / Folio.CELLS;
        int ref = pageSeenBy(w, c.process(), c.vma(), i);
        if (ref < 0) {
            return Kernel.NONE;
        }
        int word = w.vma(c.process(), c.vma());
        if (ref == Pte.NONE && (word & Vma.FILE) != 0) {
            int f = Vma.space(word);
            int idx = Vma.pgoff(word) + i;
            return idx >= kernel.fileSize(w, f) ? Kernel.NONE
                    : kernel.peekFile(w, f, idx * Folio.CELLS + c.cell() % Folio.CELLS);
        }
        return contentOf(w, ref, c.cell() % Folio.CELLS);
    }

    private static int contentOf(World w, int ref, int c) {
        if (Pte.isFolio(ref)) {
            return Folio.cell(w.content(Pte.folio(ref)), c);
        }
        return ref == Pte.ZERO || ref == Pte.NONE ? 0 : Kernel.NONE;
    }

    /**
     * Returns the page reference a process would read at a page: the PTE's page, or for a missing PTE what a
     * fault would find (the page cache of a shared mapping; zero-filled memory, {@link Pte#NONE}, otherwise).
     * Returns -1 when the process cannot read there at all.
     */
    private static int pageSeenBy(World w, int p, int v, int i) {
        if (!w.alive(p)) {
            return -1;
        }
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED | Vma.READ)) {
            return -1;
        }
        int pte = w.pte(p, v, i);
        if (Pte.present(pte)) {
            return Pte.ref(pte);
        }
        if (Vma.hasFile(word)) {
            int idx = Vma.pgoff(word) + i;
            return idx < w.layout().filePages(Vma.space(word)) ? w.cacheSlot(Vma.space(word), idx) : Pte.NONE;
        }
        return Pte.NONE;
    }

    private static boolean same(World w, Expr.Same s) {
        int a = pageOf(w, s.left());
        int b = pageOf(w, s.right());
        return a > 0 && a == b;
    }


    private static int pageOf(World w, Term t) {
        if (t instanceof Term.Cell c) {
            return pageSeenBy(w, c.process(), c.vma(), c.cell() / Folio.CELLS);
        }
        if (t instanceof Term.HolderCell h && Holder.status(w.holder(h.holder())) == Holder.HELD) {
            return w.slot(h.holder(), h.cell() / Folio.CELLS);
        }
        return -1;
    }

    /**
     * Returns the violation kinds a search of this model looks for: the invariants and errors checked in every
     * state (use after free, DMA after release, refcount, mapcount, leak, page cache, and PageAnonExclusive when the
     * policy tracks it), then {@code stall} and {@code deadlock}, judged in every state where nothing can step.
     */
    public List<String> checkedViolations() {
        List<String> out = new ArrayList<>();
        for (Event e : Event.values()) {
            if (e.isViolation() && (e != Event.INV_ANON_EXCLUSIVE || kernel.tracksAnonExclusive())) {
                out.add(e.id());
            }
        }
        out.add("stall");
        out.add("deadlock");
        return List.copyOf(out);
    }

    /** Returns what the outcome key shows, in order: terms, event atoms and same() atoms. */
    public List<Object> observables() {
        return List.copyOf(observed);
    }

    /** Returns the process thread {@code t} runs in, or -1 for a device thread. */
    public int processOf(int t) {
        return procOf[t];
    }

    /** Returns the op thread {@code t} runs at step {@code pc}. */
    public Op op(int t, int pc) {
        return ops[t][pc];
    }

    /** Returns the layout of this model's states. */
    public Layout layout() {
        return lay;
    }

    /** Replays a schedule and returns the final state, folios numbered in allocation order. */
    public World finalWorld(List<Integer> schedule) {
        Kernel k = new Kernel(kernel.policy(), machine);
        World w = stepping(World.forTrace(lay, initial));
        int[] actor = identity();
        for (int t : schedule) {
            exec(w, k, actor[t]);
            int[] next = w.freeze();
            actor = actorsOf(next);
            w = stepping(World.forTrace(lay, next));
        }
        return w;
    }

    // ---- traces ------------------------------------------------------------------------------------

    /**
     * Returns the actor column names: {@code name (process)} or {@code name (device)} for the scenario's threads,
     * then {@code name (daemon)} and {@code disk F} for the kernel's own actors.
     */
    public List<String> threadNames() {
        List<String> out = new ArrayList<>();
        for (Scenario.ThreadDecl t : sc.threads()) {
            out.add(t.name() + " (" + (t.process() < 0 ? "device" : sc.processes().get(t.process())) + ")");
        }
        for (Scenario.DaemonDecl d : sc.daemons()) {
            out.add(d.name() + " (daemon)");
        }
        for (int f : diskFiles) {
            out.add("disk " + sc.files().get(f).name());
        }
        return out;
    }

    /** Replays a schedule from the state after setup and returns it as a trace. */
    public Trace replay(List<Integer> schedule) {
        return replay(schedule, false);
    }

    /**
     * Replays the threads of a run as another policy took them (real threads, not symmetry positions), as far as
     * this policy lets them step: the trace stops before the first step that cannot be taken here.
     */
    public Trace replayAsFarAsPossible(List<Integer> threads) {
        return replay(threads, true);
    }

    private Trace replay(List<Integer> schedule, boolean asFarAsPossible) {
        Kernel k = new Kernel(kernel.policy(), machine);
        World w = stepping(World.forTrace(lay, initial));
        Map<String, String> before = describe(w);
        List<String> initialLines = lines(before);
        List<Trace.Step> steps = new ArrayList<>();
        int[] actor = identity();
        for (int slot : schedule) {
            int t = asFarAsPossible ? slot : actor[slot];
            if (asFarAsPossible && (t >= actors || !canStep(w, t))) {
                break;
            }
            List<String> rules = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            k.record(new Kernel.Recorder() {
                @Override
                public void rule(Rule r) {
                    if (!rules.contains(r.id())) {
                        rules.add(r.id());
                    }
                }

                @Override
                public void note(String s) {
                    notes.add(s);
                }
            });
            String text = actorText(w, t);
            int line = actorLine(w, t);
            exec(w, k, t);
            int[] next = w.freeze();
            actor = actorsOf(next);
            w = stepping(World.forTrace(lay, next));
            Map<String, String> after = describe(w);
            steps.add(new Trace.Step(t, text, line, List.copyOf(rules), List.copyOf(notes),
                    diff(before, after), snapshot(w)));
            before = after;
        }
        int[] end = w.freeze();
        return new Trace(threadNames(), ops.length, initialLines, steps, lines(before),
                snapshot(World.forTrace(lay, initial)), finished(end) ? outcome(end).key() : null);
    }

    /** Returns the typed picture of a state: processes, what names which page, and the folios. */
    public Trace.Snapshot snapshot(World w) {
        List<Trace.Named> procs = new ArrayList<>();
        List<Trace.Entry> entries = new ArrayList<>();
        for (int p = 0; p < lay.processes(); p++) {
            int pw = w.proc(p);
            if ((pw & World.PROC_CREATED) == 0) {
                continue;
            }
            String pn = sc.processes().get(p);
            procs.add(new Trace.Named(pn, !w.alive(p) ? "exited"
                    : (pw & World.PROC_HAS_PINNED) != 0 ? "alive MMF_HAS_PINNED" : "alive"));
            if (!w.alive(p)) {
                continue;
            }
            for (int v = 0; v < lay.vmas(); v++) {
                if (!Vma.has(w.vma(p, v), Vma.MAPPED)) {
                    continue;
                }
                for (int i = 0; i < lay.vmaPages(v); i++) {
                    int pte = w.pte(p, v, i);
                    if (Pte.present(pte)) {
                        String bits = (Pte.writable(pte) ? "rw" : "ro") + (Pte.dirty(pte) ? " dirty" : "");
                        entries.add(new Trace.Entry("pte", pn, pn + ":" + sc.vmas().get(v).name() + " page " + i,
                                refText(Pte.ref(pte)), bits));
                    }
                }
            }
        }
        for (int s = 0; s < lay.files(); s++) {
            String fn = sc.files().get(s).name();
            for (int i = 0; i < lay.filePages(s); i++) {
                int ref = w.cacheSlot(s, i);
                if (ref != Pte.NONE) {
                    entries.add(new Trace.Entry("pagecache", fn, fn + " page " + i, refText(ref), ""));
                }
            }
        }
        for (int h = 0; h < lay.holders(); h++) {
            int word = w.holder(h);
            if (Holder.status(word) != Holder.HELD) {
                continue;
            }
            String hn = sc.holders().get(h).name();
            for (int i = 0; i < lay.holderSlots(h); i++) {
                entries.add(new Trace.Entry("holder", hn, hn + " page " + i, refText(w.slot(h, i)),
                        Holder.flagNames(Holder.flags(word))));
            }
        }
        List<Trace.FolioState> folios = new ArrayList<>();
        for (int f = 0; f < w.folios(); f++) {
            List<Integer> cells = new ArrayList<>();
            for (int c = 0; c < Folio.CELLS; c++) {
                cells.add(Folio.cell(w.content(f), c));
            }
            String flags = Folio.flagNames(w.flags(f) & ~Folio.FREED);
            folios.add(new Trace.FolioState(Kernel.folioName(f), w.refcount(f), w.mapcount(f),
                    flags.isEmpty() ? List.of() : List.of(flags.split(",", -1)), List.copyOf(cells),
                    w.test(f, Folio.FREED)));
        }
        List<String> notes = new ArrayList<>();
        for (Event e : Event.values()) {
            if (w.happened(e)) {
                notes.add("event " + e.id());
            }
        }
        for (int t = 0; t < lay.threads(); t++) {
            List<String> regs = sc.threads().get(t).registers();
            for (int r = 0; r < regs.size(); r++) {
                notes.add(sc.threads().get(t).name() + ":" + regs.get(r) + " = " + show(w.reg(t, r)));
            }
        }
        return new Trace.Snapshot(List.copyOf(procs), List.copyOf(entries), List.copyOf(folios), List.copyOf(notes));
    }

    private static List<String> lines(Map<String, String> m) {
        List<String> out = new ArrayList<>();
        m.forEach((k, v) -> out.add(k + ": " + v));
        return out;
    }

    private static List<String> diff(Map<String, String> a, Map<String, String> b) {
        List<String> out = new ArrayList<>();
        Set<String> keys = new LinkedHashSet<>(a.keySet());
        keys.addAll(b.keySet());
        for (String k : keys) {
            String x = a.get(k);
            String y = b.get(k);
            if (x == null) {
                out.add(k + ": " + y);
            } else if (y == null) {
                out.add(k + ": " + x + " -> gone");
            } else if (!x.equals(y)) {
                out.add(k + ": " + x + " -> " + y);
            }
        }
        return out;
    }

    /** Describes a state as named lines, the form traces diff. */
    public Map<String, String> describe(World w) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int p = 0; p < lay.processes(); p++) {
            int pw = w.proc(p);
            if ((pw & World.PROC_CREATED) == 0) {
                continue;
            }
            String pn = sc.processes().get(p);
            if (!w.alive(p)) {
                m.put(pn, "exited");
                continue;
            }
            if ((pw & World.PROC_HAS_PINNED) != 0) {
                m.put(pn, "MMF_HAS_PINNED");
            }
            for (int v = 0; v < lay.vmas(); v++) {
                int word = w.vma(p, v);
                if (!Vma.has(word, Vma.MAPPED)) {
                    continue;
                }
                String vn = sc.vmas().get(v).name();
                m.put(pn + ":" + vn, vmaText(word));
                for (int i = 0; i < lay.vmaPages(v); i++) {
                    int pte = w.pte(p, v, i);
                    if (Pte.present(pte)) {
                        m.put(pn + ":" + vn + " page " + i, pteText(pte));
                    }
                }
            }
        }
        for (int s = 0; s < lay.files(); s++) {
            Scenario.FileDecl fd = sc.files().get(s);
            String fn = fd.name();
            int word = w.file(s);
            if (!fd.anonymous() && word != 0) {
                StringBuilder fw = new StringBuilder(fd.fs().id()).append(", ")
                        .append(pinlab.model.FileWord.size(word)).append(" page(s)");
                if (pinlab.model.FileWord.errseq(word) != pinlab.model.FileWord.seen(word)) {
                    fw.append(", an unreported writeback error (-EIO)");
                }
                m.put("file " + fn, fw.toString());
            }
            for (int i = 0; i < lay.filePages(s); i++) {
                int ref = w.cacheSlot(s, i);
                if (ref != Pte.NONE) {
                    m.put(fn + " page " + i, refText(ref));
                }
                if (Pte.isFolio(w.forked(s, i))) {
                    m.put(fn + " page " + i + " forked", refText(w.forked(s, i)));
                }
            }
            if (lay.onDisk(s)) {
                for (int i = 0; i < lay.filePages(s); i++) {
                    m.put("disk " + fn + "[" + i + "]", blockText(fd, w.blockData(s, i), w.blockState(s, i)));
                }
            }
        }
        for (int d = 0; d < lay.daemons(); d++) {
            if (w.daemon(d) != 0) {
                m.put("daemon " + sc.daemons().get(d).name(), kernel.daemonText(w, d));
            }
        }
        for (int h = 0; h < lay.holders(); h++) {
            int word = w.holder(h);
            String hn = sc.holders().get(h).name();
            switch (Holder.status(word)) {
                case Holder.EMPTY -> { }
                case Holder.FAILED -> m.put(hn, "failed (-" + Kernel.errnoName(Holder.errno(word)) + ")");
                case Holder.RELEASED -> m.put(hn, "released");
                default -> {
                    StringBuilder sb = new StringBuilder(Holder.flagNames(Holder.flags(word))).append(" on");
                    for (int i = 0; i < lay.holderSlots(h); i++) {
                        sb.append(' ').append(refText(w.slot(h, i)));
                    }
                    m.put(hn, sb.toString());
                }
            }
        }
        for (int f = 0; f < w.folios(); f++) {
            String name = "folio " + Kernel.folioName(f);
            if (w.test(f, Folio.FREED)) {
                m.put(name, "freed");
                continue;
            }
            StringBuilder sb = new StringBuilder();
            sb.append("ref=").append(w.refcount(f)).append(" map=").append(w.mapcount(f));
            String flags = Folio.flagNames(w.flags(f));
            if (!flags.isEmpty()) {
                sb.append(' ').append(flags);
            }
            sb.append(" [");
            for (int c = 0; c < Folio.CELLS; c++) {
                sb.append(c == 0 ? "" : ",").append(Folio.cell(w.content(f), c));
            }
            sb.append(']');
            m.put(name, sb.toString());
        }
        for (Event e : Event.values()) {
            if (w.happened(e)) {
                m.put("event " + e.id(), "raised");
            }
        }
        for (int t = 0; t < lay.threads(); t++) {
            List<String> regs = sc.threads().get(t).registers();
            for (int r = 0; r < regs.size(); r++) {
                m.put(sc.threads().get(t).name() + ":" + regs.get(r), show(w.reg(t, r)));
            }
        }
        return m;
    }

    private static String blockText(Scenario.FileDecl fd, int data, int state) {
        if ((state & pinlab.model.Block.ALLOCATED) == 0 && (state & pinlab.model.Block.INFLIGHT) == 0) {
            return "hole";
        }
        int content = pinlab.model.Block.data(data);
        StringBuilder sb = new StringBuilder("[");
        for (int c = 0; c < Folio.CELLS; c++) {
            sb.append(c == 0 ? "" : ",").append(Folio.cell(content, c));
        }
        sb.append(']');
        if (fd.fs().checksums() && pinlab.model.Block.csum(data) != content) {
            sb.append(" csum mismatch");
        }
        if ((state & pinlab.model.Block.INFLIGHT) != 0) {
            sb.append((state & pinlab.model.Block.DIRECT) != 0 ? " (O_DIRECT write in flight)"
                    : " (write in flight)");
        }
        return sb.toString();
    }

    private static String vmaText(int word) {
        StringBuilder sb = new StringBuilder();
        sb.append(Vma.has(word, Vma.READ) ? 'r' : '-').append(Vma.has(word, Vma.WRITE) ? 'w' : '-');
        sb.append(Vma.has(word, Vma.SHARED) ? " shared" : Vma.has(word, Vma.NOMAYWRITE) ? " shared read-only"
                : " private");
        if (Vma.has(word, Vma.DONTCOPY)) {
            sb.append(" dontfork");
        }
        return sb.toString();
    }

    private static String pteText(int pte) {
        return refText(Pte.ref(pte)) + (Pte.writable(pte) ? " rw" : " ro") + (Pte.dirty(pte) ? " dirty" : "");
    }

    private static String refText(int ref) {
        if (ref == Pte.ZERO) {
            return "zero-page";
        }
        if (ref == Pte.NONE) {
            return "-";
        }
        return Kernel.folioName(Pte.folio(ref));
    }
}
