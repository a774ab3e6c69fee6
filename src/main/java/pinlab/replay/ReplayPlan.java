package pinlab.replay;

import java.util.ArrayList;
import java.util.List;
import pinlab.model.Event;
import pinlab.model.Holder;
import pinlab.op.Op;
import pinlab.scenario.Condition.Expr;
import pinlab.scenario.Scenario;
import pinlab.scenario.Term;

/**
 * How a scenario maps onto the real kernel: which op becomes which agent command, and which ops cannot be
 * forced from user space, with the reason.
 *
 * <p>The kernel paths used (docs/replay-protocol.md):
 * <ul>
 *   <li>{@code pin ... write longterm} and {@code uring_register}: io_uring fixed buffers, FOLL_PIN|FOLL_LONGTERM|
 *       FOLL_WRITE; a device's DMA write is a READ_FIXED from a pipe, its read a WRITE_FIXED into one.</li>
 *   <li>{@code vmsplice} and a read-only {@code get}: vmsplice into a pipe, read-only FOLL_GET references.</li>
 *   <li>{@code dio_read}: an O_DIRECT read of one byte from a FUSE file opened with direct_io; the read stays in
 *       flight until the agent's daemon answers. The answer delivers the data and completes the request in one
 *       event, so the plan merges {@code dma d[c] = v} with the {@code dio_complete d} that follows it into one
 *       atomic step, and replays what the model reaches under that restriction.</li>
 * </ul>
 */
public final class ReplayPlan {
    /** Why an op or a condition term cannot be replayed. */
    public record Problem(int line, String what, String reason) {}

    /** How a holder is realised on the real kernel. */
    enum Realisation { URING, PIPE, FUSE_READ, FUSE_WRITE, NONE }

    private final Scenario replayable;
    private final List<Problem> problems;
    private final Realisation[] realisation;
    private final int[] dioCell;

    private ReplayPlan(Scenario replayable, List<Problem> problems, Realisation[] realisation,
            int[] dioCell) {
        this.replayable = replayable;
        this.problems = List.copyOf(problems);
        this.realisation = realisation;
        this.dioCell = dioCell;
    }

    /** Returns the scenario the model checks for replay (with atomic merges). */
    public Scenario scenario() {
        return replayable;
    }

    /** Returns what cannot be replayed; empty if the whole scenario can. */
    public List<Problem> problems() {
        return problems;
    }

    /** Returns whether the whole scenario can be replayed. */
    public boolean replayable() {
        return problems.isEmpty();
    }

    Realisation realisation(int holder) {
        return realisation[holder];
    }

    /** Returns the holder-relative cell an O_DIRECT holder's DMA writes (read) or reads (write), or -1. */
    int dioCell(int holder) {
        return dioCell[holder];
    }

    /** Works out the plan for a scenario. */
    public static ReplayPlan of(Scenario sc) {
        List<Problem> problems = new ArrayList<>();
        int nh = sc.holders().size();
        Realisation[] real = new Realisation[nh];
        int[] dioCell = new int[nh];
        java.util.Arrays.fill(dioCell, -1);
        java.util.Arrays.fill(real, Realisation.NONE);
        List<Op> all = new ArrayList<>();
        sc.setup().forEach(s -> all.add(s.op()));
        sc.threads().forEach(t -> all.addAll(t.ops()));
        for (Op op : all) {
            if (op instanceof Op.Gup g) {
                real[g.holder()] = realise(g, problems);
                if (g.page() != 0) {
                    problems.add(new Problem(g.line(), g.text(), "the agent registers pages from the start of a"
                            + " mapping; a GUP starting at page " + g.page() + " is not supported"));
                }
            }
        }
        for (Op op : all) {
            switch (op) {
                case Op.DmaWrite d -> {
                    if (real[d.holder()] == Realisation.FUSE_READ) {
                        if (dioCell[d.holder()] >= 0) {
                            problems.add(new Problem(d.line(), d.text(), "an O_DIRECT read is answered once:"
                                    + " one dma per dio holder"));
                        }
                        dioCell[d.holder()] = d.cell();
                    } else if (real[d.holder()] == Realisation.PIPE || real[d.holder()] == Realisation.FUSE_WRITE) {
                        problems.add(new Problem(d.line(), d.text(), "this holder's references are read-only"));
                    }
                }
                case Op.DmaRead d -> {
                    if (real[d.holder()] == Realisation.FUSE_READ) {
                        problems.add(new Problem(d.line(), d.text(), "an O_DIRECT read's pages are only written"));
                    } else if (real[d.holder()] == Realisation.FUSE_WRITE) {
                        if (dioCell[d.holder()] >= 0) {
                            problems.add(new Problem(d.line(), d.text(), "an O_DIRECT write is received once:"
                                    + " one dma read per dio holder"));
                        }
                        dioCell[d.holder()] = d.cell();
                    }
                }
                case Op.Release r -> {
                    if (real[r.holder()] == Realisation.PIPE) {
                        problems.add(new Problem(r.line(), r.text(), "draining a pipe's references is not"
                                + " implemented by the agent"));
                    }
                }
                default -> { }
            }
        }
        for (int h = 0; h < nh; h++) {
            if ((real[h] == Realisation.FUSE_READ || real[h] == Realisation.FUSE_WRITE)
                    && sc.holders().get(h).slots() > 1) {
                problems.add(new Problem(0, sc.holders().get(h).name(), "the agent's O_DIRECT read covers one"
                        + " page; give dio_read a one-page range (dio_read d buf P 1)"));
            }
        }
        for (Scenario.FileDecl f : sc.files()) {
            if (!f.anonymous()) {
                problems.add(new Problem(f.line(), "file " + f.name(), "files are not mapped onto the agent yet"));
            }
        }
        for (Scenario.DaemonDecl d : sc.daemons()) {
            problems.add(new Problem(d.line(), "daemon " + d.name(), "kernel daemons are not mapped onto the agent"
                    + " yet"));
        }
        checkCondition(sc, real, problems);
        Scenario merged = merge(sc, real, problems);
        return new ReplayPlan(merged, problems, real, dioCell);
    }

    private static Realisation realise(Op.Gup g, List<Problem> problems) {
        int flags = g.flags();
        switch (g.via()) {
            case URING -> {
                return Realisation.URING;
            }
            case VMSPLICE -> {
                return Realisation.PIPE;
            }
            case PIN -> {
                if (flags == (Holder.WRITE | Holder.LONGTERM)) {
                    return Realisation.URING;
                }
                String why = (flags & Holder.FORCE) != 0
                        ? "FOLL_FORCE writers (ptrace, /proc/PID/mem) take and drop their reference within one call"
                        : "only FOLL_PIN|FOLL_LONGTERM|FOLL_WRITE (io_uring fixed buffers) can be held from user"
                                + " space without RDMA or VFIO hardware";
                problems.add(new Problem(g.line(), g.text(), why));
                return Realisation.NONE;
            }
            case GET -> {
                if (flags == 0) {
                    return Realisation.PIPE;
                }
                problems.add(new Problem(g.line(), g.text(), "no user-space call holds a writable FOLL_GET"
                        + " reference (vmsplice holds read-only ones)"));
                return Realisation.NONE;
            }
            case DIO -> {
                return (flags & Holder.WRITE) != 0 ? Realisation.FUSE_READ : Realisation.FUSE_WRITE;
            }
        }
        throw new AssertionError(g.via());
    }

    private static void checkCondition(Scenario sc, Realisation[] real, List<Problem> problems) {
        List<Expr> todo = new ArrayList<>(List.of(sc.condition().expr()));
        List<Term> terms = new ArrayList<>(sc.locations());
        while (!todo.isEmpty()) {
            Expr e = todo.remove(todo.size() - 1);
            switch (e) {
                case Expr.And a -> {
                    todo.add(a.left());
                    todo.add(a.right());
                }
                case Expr.Or o -> {
                    todo.add(o.left());
                    todo.add(o.right());
                }
                case Expr.Not n -> todo.add(n.inner());
                case Expr.Eq q -> {
                    terms.add(q.left());
                    terms.add(q.right());
                }
                case Expr.Happened h -> {
                    if (h.event() != Event.SEGV) {
                        problems.add(new Problem(sc.condition().line(), "event(" + h.event().id() + ")",
                                "only event(segv) can be observed on the real kernel"));
                    }
                }
                case Expr.Same s -> {
                    if (!(s.left() instanceof Term.Cell) || !(s.right() instanceof Term.Cell)) {
                        problems.add(new Problem(sc.condition().line(), "same()", "the page behind a holder's"
                                + " reference has no PFN user space can read; same() needs two process cells"));
                    }
                }
                case Expr.Bool b -> { }
            }
        }
        for (Term t : terms) {
            if (t instanceof Term.HolderCell h && (real[h.holder()] == Realisation.FUSE_READ
                    || real[h.holder()] == Realisation.FUSE_WRITE)) {
                problems.add(new Problem(sc.condition().line(), t.text(), "an O_DIRECT holder cannot be read back"));
            }
        }
    }

    /** Merges each dio holder's {@code dma} with the {@code dio_complete} right after it in the same thread. */
    private static Scenario merge(Scenario sc, Realisation[] real, List<Problem> problems) {
        List<Scenario.ThreadDecl> threads = new ArrayList<>();
        for (Scenario.ThreadDecl td : sc.threads()) {
            List<Op> ops = new ArrayList<>();
            List<Op> in = td.ops();
            for (int i = 0; i < in.size(); i++) {
                Op op = in.get(i);
                if (op instanceof Op.DmaWrite d && real[d.holder()] == Realisation.FUSE_READ) {
                    Op next = i + 1 < in.size() ? in.get(i + 1) : null;
                    if (next instanceof Op.Release r && r.holder() == d.holder()) {
                        ops.add(new Op.Atomic(d.line(), d.text() + "; " + r.text(), List.of(d, r)));
                        i++;
                        continue;
                    }
                    problems.add(new Problem(d.line(), d.text(), "a FUSE reply delivers a direct read's data and"
                            + " completes it at once: put dio_complete right after the dma in the same thread"));
                }
                ops.add(op);
            }
            threads.add(new Scenario.ThreadDecl(td.name(), td.process(), List.copyOf(ops), td.registers(),
                    td.line()));
        }
        return new Scenario(sc.name(), sc.title(), sc.sources(), sc.topic(), sc.failure(), sc.file(), sc.text(),
                sc.processes(),
                sc.initialProcesses(), sc.vmas(), sc.files(), sc.daemons(), sc.holders(), sc.signals(), sc.setup(),
                List.copyOf(threads), sc.condition(), sc.locations(), sc.expectations(), sc.requires());
    }
}
