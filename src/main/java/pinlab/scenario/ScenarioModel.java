package pinlab.scenario;

import com.dynatrace.hash4j.hashing.HashStream64;
import com.dynatrace.hash4j.hashing.Hashing;
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
    private final Kernel kernel;
    private final int[] initial;
    private final Op[][] ops;
    private final int[] procOf;
    private final List<Object> observed;
    private final ThreadLocal<HashStream64> hasher = ThreadLocal.withInitial(() -> Hashing.xxh3_64().hashStream());

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
        int[] spaces = scenario.spacePages().stream().mapToInt(Integer::intValue).toArray();
        int[] slots = scenario.holders().stream().mapToInt(Scenario.HolderDecl::slots).toArray();
        this.lay = new Layout(regs, scenario.processes().size(), vmaPages, spaces, slots);
        this.kernel = new Kernel(policy);
        this.observed = observables(scenario);
        this.initial = runSetup(World.empty(lay), kernel).freeze();
    }

    private World runSetup(World w, Kernel k) {
        for (int p = 0; p < sc.initialProcesses(); p++) {
            w.setProc(p, World.PROC_ALIVE | World.PROC_CREATED);
        }
        for (Scenario.SetupStep st : sc.setup()) {
            if (!k.enabled(w, st.op())) {
                throw new SetupBlocked(st.op().line(), "setup blocks at '" + st.op().text()
                        + "': it waits for something no setup step provides");
            }
            if (w.alive(st.process())) {
                k.exec(w, -1, st.process(), st.op());
            }
        }
        return w;
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
        return kernel.enabled(w, ops[t][pc]);
    }

    @Override
    public int[] step(int[] state, int t) {
        if (!runnable(World.view(lay, state), t)) {
            return null;
        }
        World w = World.of(lay, state);
        exec(w, kernel, t);
        return w.freeze();
    }

    private void exec(World w, Kernel k, int t) {
        int pc = w.pc(t);
        w.setPc(t, pc + 1);
        k.exec(w, t, procOf[t], ops[t][pc]);
        if (!k.anonExclusiveHolds(w)) {
            w.raise(Event.INV_ANON_EXCLUSIVE);
        }
    }

    @Override
    public boolean finished(int[] state) {
        World w = World.view(lay, state);
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
        return true;
    }

    private static final int VIOLATION_MASK;

    static {
        int m = 0;
        for (Event e : Event.values()) {
            if (e.isViolation()) {
                m |= e.bit();
            }
        }
        VIOLATION_MASK = m;
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
    public long fingerprint(int[] state) {
        HashStream64 h = hasher.get();
        h.reset();
        h.putInts(state);
        return h.getAsLong();
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
        return new Outcome(key.toString(), eval(w, sc.condition().expr()), refused);
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
            case Term.Cell c -> {
                int ref = pageSeenBy(w, c.process(), c.vma(), c.cell() / Folio.CELLS);
                yield ref < 0 ? Kernel.NONE : contentOf(w, ref, c.cell() % Folio.CELLS);
            }
            case Term.HolderCell h -> {
                if (Holder.status(w.holder(h.holder())) != Holder.HELD) {
                    yield Kernel.NONE;
                }
                yield contentOf(w, w.slot(h.holder(), h.cell() / Folio.CELLS), h.cell() % Folio.CELLS);
            }
        };
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
        if (Vma.has(word, Vma.SHARED)) {
            return w.cacheSlot(Vma.space(word), i);
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
        Kernel k = new Kernel(kernel.policy());
        World w = World.forTrace(lay, initial);
        for (int t : schedule) {
            exec(w, k, t);
            w = World.forTrace(lay, w.freeze());
        }
        return w;
    }

    // ---- traces ------------------------------------------------------------------------------------

    /** Returns the thread column names: {@code name (process)} or {@code name (device)}. */
    public List<String> threadNames() {
        List<String> out = new ArrayList<>();
        for (Scenario.ThreadDecl t : sc.threads()) {
            out.add(t.name() + " (" + (t.process() < 0 ? "device" : sc.processes().get(t.process())) + ")");
        }
        return out;
    }

    /** Replays a schedule from the state after setup and returns it as a trace. */
    public Trace replay(List<Integer> schedule) {
        Kernel k = new Kernel(kernel.policy());
        World w = World.forTrace(lay, initial);
        Map<String, String> before = describe(w);
        List<String> initialLines = lines(before);
        List<Trace.Step> steps = new ArrayList<>();
        for (int t : schedule) {
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
            Op op = ops[t][w.pc(t)];
            exec(w, k, t);
            w = World.forTrace(lay, w.freeze());
            Map<String, String> after = describe(w);
            steps.add(new Trace.Step(t, op.text(), op.line(), List.copyOf(rules), List.copyOf(notes),
                    diff(before, after), snapshot(w)));
            before = after;
        }
        return new Trace(threadNames(), initialLines, steps, lines(before),
                snapshot(World.forTrace(lay, initial)));
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
        for (int s = 0; s < lay.spaces(); s++) {
            for (int i = 0; i < lay.spacePages(s); i++) {
                int ref = w.cacheSlot(s, i);
                if (ref != Pte.NONE) {
                    entries.add(new Trace.Entry("pagecache", "shmem" + s, "shmem" + s + " page " + i, refText(ref),
                            ""));
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
        for (int s = 0; s < lay.spaces(); s++) {
            for (int i = 0; i < lay.spacePages(s); i++) {
                int ref = w.cacheSlot(s, i);
                if (ref != Pte.NONE) {
                    m.put("shmem" + s + " page " + i, refText(ref));
                }
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

    private static String vmaText(int word) {
        StringBuilder sb = new StringBuilder();
        sb.append(Vma.has(word, Vma.READ) ? 'r' : '-').append(Vma.has(word, Vma.WRITE) ? 'w' : '-');
        sb.append(Vma.has(word, Vma.SHARED) ? " shared" : " private");
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
