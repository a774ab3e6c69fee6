package pinlab.replay;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import pinlab.model.Event;
import pinlab.model.FileSystem;
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
 *   <li>Files: one file system per kind (and stable setting) used, made with {@code fs_make}; each file with
 *       {@code file_create} (a memfd with {@code memfd_create}) before the first process exists. O_DIRECT on a
 *       file ({@code dio_read h buf from F}, {@code dio_write h buf to F}) cannot be held in flight on a real
 *       file system: the submission, the device's transfer ({@code dma h}) and the completion
 *       ({@code dio_complete h}, which must be the only ops of their device thread) are one synchronous
 *       {@code dio_read_file}/{@code dio_write_file}, and nothing else steps while the request is held
 *       ({@link Realisable}).</li>
 * </ul>
 */
public final class ReplayPlan {
    /** Why an op or a condition term cannot be replayed. */
    public record Problem(int line, String what, String reason) {}

    /** How a holder is realised on the real kernel. */
    enum Realisation { URING, PIPE, FUSE_READ, FUSE_WRITE, FILE_DIO, NONE }

    /** The most files the agent holds (FID 0..63). */
    static final int MAX_FILES = 64;

    private final Scenario replayable;
    private final List<Problem> problems;
    private final Realisation[] realisation;
    private final int[] dioCell;
    private final int[] dioDevice;
    private final List<String> fileSetup;

    private ReplayPlan(Scenario replayable, List<Problem> problems, Realisation[] realisation, int[] dioCell,
            int[] dioDevice, List<String> fileSetup) {
        this.replayable = replayable;
        this.problems = List.copyOf(problems);
        this.realisation = realisation;
        this.dioCell = dioCell;
        this.dioDevice = dioDevice;
        this.fileSetup = List.copyOf(fileSetup);
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

    /**
     * Returns the agent commands that make the scenario's file systems and files, in order: {@code fs_make},
     * then {@code file_create} or {@code memfd_create} per named file, whose FID is its index in
     * {@link Scenario#files()}.
     */
    public List<String> fileSetup() {
        return fileSetup;
    }

    Realisation realisation(int holder) {
        return realisation[holder];
    }

    /** Returns the holder-relative cell an O_DIRECT holder's DMA writes (read) or reads (write), or -1. */
    int dioCell(int holder) {
        return dioCell[holder];
    }

    /**
     * Returns the device thread whose only ops are the transfer and the completion of holder {@code holder}'s
     * O_DIRECT request on a file, or -1 if the holder is not one. On the real kernel the request runs from
     * submission to completion inside the submitting call: while it is held, only that thread may step
     * ({@link Realisable}), and its two steps are part of the call.
     */
    int fileDioDevice(int holder) {
        return dioDevice[holder];
    }

    /** Works out the plan for a scenario. */
    public static ReplayPlan of(Scenario sc) {
        List<Problem> problems = new ArrayList<>();
        int nh = sc.holders().size();
        Realisation[] real = new Realisation[nh];
        int[] dioCell = new int[nh];
        Arrays.fill(dioCell, -1);
        Arrays.fill(real, Realisation.NONE);
        List<Op> all = allOps(sc);
        for (Op op : all) {
            if (op instanceof Op.Gup g) {
                real[g.holder()] = realise(g, problems);
                if (g.page() != 0 && real[g.holder()] != Realisation.FILE_DIO) {
                    problems.add(new Problem(g.line(), g.text(), "the agent registers pages from the start of a"
                            + " mapping; a GUP starting at page " + g.page() + " is not supported"));
                }
            }
        }
        checkTransfers(all, real, dioCell, problems);
        checkHolderSizes(sc, real, problems);
        List<String> fileSetup = files(sc, problems);
        checkFileMappings(sc, all, problems);
        checkMigrations(all, problems);
        checkCondition(sc, real, problems);
        int[] dioDevice = fileDioDevices(sc, real, problems);
        Scenario merged = mergeFuseReads(sc, real, problems);
        return new ReplayPlan(merged, problems, real, dioCell, dioDevice, fileSetup);
    }

    /** The environment variable that allows migration by memory-block offline on a machine with one NUMA node. */
    static final String OFFLINE_ENV = "PINLAB_MIGRATE_OFFLINE";

    /**
     * move_pages() migrates a page only to another NUMA node. With one node, the agent can migrate a chosen page
     * only by taking its whole 128 MiB memory block offline, which moves every other page of the block too and
     * fills the kernel log with the pages it cannot move; it does that only when {@value #OFFLINE_ENV}=1.
     */
    private static void checkMigrations(List<Op> all, List<Problem> problems) {
        int nodes = numaNodes();
        boolean offline = "1".equals(System.getenv(OFFLINE_ENV));
        for (Op op : all) {
            if (op instanceof Op.Mmap m && (m.prot() & pinlab.model.Vma.MOVABLE) != 0) {
                problems.add(new Problem(m.line(), m.text(), "ZONE_MOVABLE needs movablecore= (or a movable node) at"
                        + " boot; this machine's ZONE_MOVABLE is empty"));
            }
            if (op instanceof Op.Migrate m && nodes < 2 && !offline) {
                problems.add(new Problem(m.line(), m.text(), "this machine has " + nodes + " NUMA node(s), so"
                        + " move_pages() cannot move a page; set " + OFFLINE_ENV + "=1 to migrate it by taking its"
                        + " memory block offline (moves 128 MiB, logs every page it cannot move)"));
            }
        }
    }

    private static int numaNodes() {
        try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(
                java.nio.file.Path.of("/sys/devices/system/node"))) {
            return (int) s.filter(x -> x.getFileName().toString().matches("node[0-9]+")).count();
        } catch (java.io.IOException | RuntimeException e) {
            return 1;
        }
    }

    private static List<Op> allOps(Scenario sc) {
        List<Op> all = new ArrayList<>();
        sc.setup().forEach(s -> all.add(s.op()));
        sc.threads().forEach(t -> all.addAll(t.ops()));
        return all;
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
                if (g.io() != null) {
                    if (g.count() != 1) {
                        problems.add(new Problem(g.line(), g.text(), "the agent's O_DIRECT file I/O"
                                + " (dio_read_file, dio_write_file) covers one page; give the request one page"));
                    }
                    return Realisation.FILE_DIO;
                }
                return (flags & Holder.WRITE) != 0 ? Realisation.FUSE_READ : Realisation.FUSE_WRITE;
            }
        }
        throw new AssertionError(g.via());
    }

    /** Which cell each FUSE request's one transfer moves, and transfers a holder's realisation cannot do. */
    private static void checkTransfers(List<Op> all, Realisation[] real, int[] dioCell, List<Problem> problems) {
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
    }

    private static void checkHolderSizes(Scenario sc, Realisation[] real, List<Problem> problems) {
        for (int h = 0; h < real.length; h++) {
            if ((real[h] == Realisation.FUSE_READ || real[h] == Realisation.FUSE_WRITE)
                    && sc.holders().get(h).slots() > 1) {
                problems.add(new Problem(0, sc.holders().get(h).name(), "the agent's O_DIRECT read covers one"
                        + " page; give dio_read a one-page range (dio_read d buf P 1)"));
            }
        }
    }

    // ---- files -------------------------------------------------------------------------------------

    /** The fs_make and file_create/memfd_create commands for the scenario's named files. */
    private static List<String> files(Scenario sc, List<Problem> problems) {
        Set<String> filesystems = new LinkedHashSet<>();
        List<String> creates = new ArrayList<>();
        for (int f = 0; f < sc.files().size(); f++) {
            Scenario.FileDecl fd = sc.files().get(f);
            if (fd.anonymous()) {
                continue;
            }
            String why = fileProblem(fd, f);
            if (why != null) {
                problems.add(new Problem(fd.line(), "file " + fd.name(), why));
                continue;
            }
            if (fd.fs() == FileSystem.TMPFS && !fd.readOnly() && declaredAsMemfd(sc, fd)) {
                creates.add("memfd_create " + f + " " + fd.pages());
                continue;
            }
            String fs = fsName(fd);
            filesystems.add("fs_make " + fs + " " + fd.fs().id() + (fd.stable() ? " stable" : ""));
            boolean sparse = fd.sparse() || !fd.fs().onDisk();
            creates.add("file_create " + f + " " + fs + " " + fd.pages() + (sparse ? " sparse" : " full")
                    + (fd.readOnly() ? " ro" : ""));
        }
        List<String> out = new ArrayList<>(filesystems);
        out.addAll(creates);
        return out;
    }

    private static String fileProblem(Scenario.FileDecl fd, int fid) {
        if (fd.fs() == FileSystem.TUX3) {
            return "Tux3 was never merged: no kernel here has it";
        }
        if (fd.fs() == FileSystem.FSDAX) {
            return "filesystem DAX needs persistent memory (a pmem device under ext4 or xfs mounted -o dax);"
                    + " the agent has none to make one on";
        }
        if (fid >= MAX_FILES) {
            return "the agent holds at most " + MAX_FILES + " files";
        }
        if (fd.fs() == FileSystem.BTRFS && fd.pages() > 1) {
            return "btrfs allocates one extent for a run of dirty pages and finishes it (file extent and checksum"
                    + " items) only once all of them are written, so writing back one page of a multi-page btrfs"
                    + " file can leave the disk unchanged; the model's blocks are per page. Use a one-page file";
        }
        return null;
    }

    /** The agent's file system for a file: one per kind, and a separate one when the device is stable. */
    static String fsName(Scenario.FileDecl fd) {
        return fd.fs().id() + (fd.stable() ? "-stable" : "");
    }

    /** Whether a tmpfs file was declared {@code memfd NAME} (FileDecl keeps the filesystem, not the keyword). */
    private static boolean declaredAsMemfd(Scenario sc, Scenario.FileDecl fd) {
        String line = sc.text().lines().skip(Math.max(0, fd.line() - 1)).findFirst().orElse("");
        return Pattern.compile("(^|[\\s;])memfd\\s+" + Pattern.quote(fd.name()) + "(\\s|;|$)").matcher(line).find();
    }

    /** Mappings of files larger than a page: the kernel's fault-around maps cached neighbours, the model not. */
    private static void checkFileMappings(Scenario sc, List<Op> all, List<Problem> problems) {
        for (Op op : all) {
            if (op instanceof Op.Mmap m && m.file() && sc.vmas().get(m.vma()).pages() > 1) {
                problems.add(new Problem(m.line(), m.text(), "a read fault on a file mapping also maps the"
                        + " neighbouring pages already in the page cache (fault-around, fault_around_bytes = 64 KiB),"
                        + " which the model does not do; map one page of a file per mapping"));
            }
        }
    }

    // ---- the condition -----------------------------------------------------------------------------

    /** The events a real run can observe: process deaths by signal, and the kernel's reports. */
    private static final Set<Event> OBSERVABLE = Set.of(Event.SEGV, Event.SIGBUS, Event.FS_WARNING,
            Event.STALE_PAGECACHE, Event.CSUM_ERROR, Event.FSYNC_EIO);

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
                    if (!OBSERVABLE.contains(h.event())) {
                        problems.add(new Problem(sc.condition().line(), "event(" + h.event().id() + ")",
                                "only event(segv), event(sigbus) and the kernel's reports (fs-warning,"
                                        + " stale-pagecache, csum-error, fsync-eio) can be observed on the real"
                                        + " kernel"));
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
                    || real[h.holder()] == Realisation.FUSE_WRITE || real[h.holder()] == Realisation.FILE_DIO)) {
                problems.add(new Problem(sc.condition().line(), t.text(), "an O_DIRECT holder cannot be read back"));
            }
        }
    }

    // ---- O_DIRECT requests -------------------------------------------------------------------------

    /** Per holder: the device thread that transfers and completes its O_DIRECT request on a file, or -1. */
    private static int[] fileDioDevices(Scenario sc, Realisation[] real, List<Problem> problems) {
        int[] out = new int[real.length];
        Arrays.fill(out, -1);
        for (int h = 0; h < real.length; h++) {
            if (real[h] == Realisation.FILE_DIO) {
                out[h] = deviceThreadOf(sc, h, problems);
            }
        }
        return out;
    }

    /** The device thread whose only ops are {@code dma h} then {@code dio_complete h}, or -1 with a problem. */
    private static int deviceThreadOf(Scenario sc, int h, List<Problem> problems) {
        for (int t = 0; t < sc.threads().size(); t++) {
            Scenario.ThreadDecl td = sc.threads().get(t);
            List<Op> ops = td.ops();
            boolean touches = ops.stream().anyMatch(o -> (o instanceof Op.DmaTransfer d && d.holder() == h)
                    || (o instanceof Op.Release r && r.holder() == h));
            if (!touches) {
                continue;
            }
            if (td.process() < 0 && ops.size() == 2 && ops.get(0) instanceof Op.DmaTransfer d && d.holder() == h
                    && ops.get(1) instanceof Op.Release r && r.holder() == h) {
                return t;
            }
            problems.add(new Problem(td.line(), "thread " + td.name(), "an O_DIRECT request on a real file"
                    + " system cannot be held in flight, so its transfer and completion run inside the submitting"
                    + " call; they must be the only ops of their device thread (dma "
                    + sc.holders().get(h).name() + "; dio_complete " + sc.holders().get(h).name() + ")"));
            return -1;
        }
        problems.add(new Problem(0, sc.holders().get(h).name(), "no device thread transfers and completes this"
                + " O_DIRECT request (dma; dio_complete)"));
        return -1;
    }

    /**
     * Merges each FUSE dio holder's {@code dma} with the {@code dio_complete} right after it in the same thread, and
     * makes each GUP-fast call and stepwise fork one step.
     */
    private static Scenario mergeFuseReads(Scenario sc, Realisation[] real, List<Problem> problems) {
        List<List<Op>> threadOps = new ArrayList<>();
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
                // User space cannot stop the kernel between a GUP-fast's steps or a fork's PTEs: on the real
                // kernel each call is one step. A GUP-fast in one step takes what the slow path takes (it gives
                // up exactly where the slow path would fault), so the plan uses the one-step forms.
                if (op instanceof Op.Gup g && g.fast()) {
                    ops.add(new Op.Gup(g.line(), g.text(), g.reg(), g.holder(), g.vma(), g.page(), g.count(), g.via(),
                            g.flags(), g.io(), false));
                    continue;
                }
                if (op instanceof Op.Fork f && f.stepwise()) {
                    ops.add(new Op.Fork(f.line(), f.text(), f.child(), false));
                    continue;
                }
                ops.add(op);
            }
            threadOps.add(ops);
        }
        return rebuild(sc, threadOps);
    }

    private static Scenario rebuild(Scenario sc, List<List<Op>> threadOps) {
        List<Scenario.ThreadDecl> threads = new ArrayList<>();
        for (int t = 0; t < sc.threads().size(); t++) {
            Scenario.ThreadDecl td = sc.threads().get(t);
            threads.add(new Scenario.ThreadDecl(td.name(), td.process(), List.copyOf(threadOps.get(t)),
                    td.registers(), td.line()));
        }
        return new Scenario(sc.name(), sc.title(), sc.sources(), sc.topic(), sc.failure(), sc.file(), sc.text(),
                sc.processes(), sc.initialProcesses(), sc.vmas(), sc.files(), sc.daemons(), sc.holders(),
                sc.signals(), sc.setup(), List.copyOf(threads), sc.condition(), sc.locations(),
                sc.expectations(), sc.requires());
    }
}
