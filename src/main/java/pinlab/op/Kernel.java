package pinlab.op;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import pinlab.model.Block;
import pinlab.model.FileSystem;
import pinlab.model.FileWord;
import pinlab.model.Folio;
import pinlab.model.Holder;
import pinlab.model.Pte;
import pinlab.model.Vma;
import pinlab.model.World;
import pinlab.policy.Policy;
import pinlab.policy.Rule;

/**
 * The kernel model: runs one step of an operation, a kernel daemon or the disk on a World under a policy. It
 * dispatches each operation to the subsystem that handles it in the kernel, and knows nothing about search.
 *
 * <p>Most operations are one step. Those that walk a file's pages and wait (fsync, sync, msync, sync_file_range,
 * O_DIRECT on a file) take one step per folio they write back, then one to finish; {@link #exec} returns where
 * the operation continues ({@code sub}), or {@link #DONE}.
 *
 * <table>
 * <caption>Where each subsystem lives</caption>
 * <tr><th>class</th><th>kernel</th></tr>
 * <tr><td>{@link Faults}</td><td>mm/memory.c: anonymous faults, do_wp_page, COW</td></tr>
 * <tr><td>{@link Shmem}</td><td>mm/shmem.c: tmpfs, memfd, shared anonymous memory</td></tr>
 * <tr><td>{@link PageCache}</td><td>mm/filemap.c and the file fault paths: read-in, file faults, read/write</td></tr>
 * <tr><td>{@link Filesystems}</td><td>fs/ext4, fs/xfs + fs/iomap, fs/btrfs: page_mkwrite, writepage, checksums</td></tr>
 * <tr><td>{@link Writeback}</td><td>mm/page-writeback.c: writeback walks, the disk, fsync errors</td></tr>
 * <tr><td>{@link Reclaim}</td><td>mm/vmscan.c reclaim, mm/truncate.c eviction, MADV_PAGEOUT</td></tr>
 * <tr><td>{@link Truncate}</td><td>mm/truncate.c: truncate and punch-hole</td></tr>
 * <tr><td>{@link DirectIo}</td><td>fs/iomap/direct-io.c, mm/filemap.c: O_DIRECT on files</td></tr>
 * <tr><td>{@link Fork}</td><td>kernel/fork.c dup_mmap, mm/memory.c copy_page_range</td></tr>
 * <tr><td>{@link Gup}</td><td>mm/gup.c</td></tr>
 * <tr><td>{@link Holders}</td><td>devices, pipes, io_uring buffers and bios: DMA and release</td></tr>
 * <tr><td>{@link MmCalls}</td><td>mmap, munmap, mremap, mprotect, madvise, exit</td></tr>
 * <tr><td>{@link Rmap}</td><td>mm/rmap.c: folio_mkclean, try_to_unmap, PageAnonExclusive</td></tr>
 * <tr><td>{@link Notifier}</td><td>mm/mmu_notifier.c: revocable device mappings (a proposal)</td></tr>
 * <tr><td>{@link Ksm}</td><td>mm/ksm.c: MADV_MERGEABLE, ksmd, write_protect_page, replace_page</td></tr>
 * <tr><td>{@link Migrate}</td><td>mm/migrate.c, mm/compaction.c: move_pages, compaction</td></tr>
 * <tr><td>{@link Uprobes}</td><td>kernel/events/uprobes.c: breakpoints in private file mappings</td></tr>
 * <tr><td>{@link Remote}</td><td>mm/memory.c __access_remote_vm, ptrace, /proc/PID/mem, process_vm_*</td></tr>
 * </table>
 */
public final class Kernel {
    /** Errno values the model returns, as the kernel spells them. */
    public static final int EIO = 5;
    /** Bad file descriptor (a write to a file opened read-only). */
    public static final int EBADF = 9;
    /** Permission denied (MAP_SHARED|PROT_WRITE of a read-only file). */
    public static final int EACCES = 13;
    /** Bad address. */
    public static final int EFAULT = 14;
    /** Device or resource busy. */
    public static final int EBUSY = 16;
    /** No such process. */
    public static final int ESRCH = 3;
    /** Out of memory (a long-term pin whose ZONE_MOVABLE page cannot be migrated out). */
    public static final int ENOMEM = 12;
    /** No such page (move_pages() status of an address with no page). */
    public static final int ENOENT = 2;
    /** Invalid argument. */
    public static final int EINVAL = 22;
    /** Function not implemented (io_uring on a kernel without it). */
    public static final int ENOSYS = 38;
    /** Operation not supported (a long-term pin of filesystem DAX). */
    public static final int EOPNOTSUPP = 95;
    /** The value of a cell nobody can see (unmapped, process gone, reference released). */
    public static final int NONE = -1;
    /** What {@link #exec} returns when the operation is complete. */
    public static final int DONE = -1;

    private static final int PHASE_SHIFT = 13;
    private static final int PHASE_WALK = 0;
    private static final int PHASE_FINISH = 1;
    private static final int PHASE_FALLBACK_WALK = 2;
    private static final int PHASE_FALLBACK_WAIT = 3;

    private static final int DAEMON_BUSY = 1;
    private static final int DAEMON_CURSOR_SHIFT = 1;
    private static final int DAEMON_CURSOR_MASK = (1 << 14) - 1;
    private static final int DAEMON_RUNS_SHIFT = 16;

    private final Policy pol;
    private final Machine machine;
    private Recorder rec = Recorder.NONE;
    private final Faults faults;
    private final Shmem shmem;
    private final PageCache cache;
    private final Filesystems fs;
    private final Writeback wb;
    private final Reclaim reclaim;
    private final Truncate truncate;
    private final DirectIo dio;
    private final Fork fork;
    private final Gup gup;
    private final Holders holders;
    private final MmCalls mm;
    private final Rmap rmap;
    private final Notifier notifier;
    private final Ksm ksm;
    private final Migrate migrate;
    private final Remote remote;
    private final Uprobes uprobes;

    /** Creates the kernel semantics of {@code policy} for a scenario without files, daemons or holders. */
    public Kernel(Policy policy) {
        this(policy, Machine.none());
    }

    /** Creates the kernel semantics of {@code policy} for the static shape {@code machine}. */
    public Kernel(Policy policy, Machine machine) {
        this.pol = policy;
        this.machine = machine;
        this.shmem = new Shmem(this);
        this.fs = new Filesystems(this, machine);
        this.cache = new PageCache(this, machine, fs, shmem);
        this.faults = new Faults(this, cache);
        this.mm = new MmCalls(this, machine, shmem);
        this.notifier = new Notifier(this, machine);
        this.rmap = new Rmap(this);
        this.wb = new Writeback(this, machine, fs, rmap);
        this.reclaim = new Reclaim(this, machine, fs, rmap, wb);
        this.truncate = new Truncate(this, machine, fs);
        this.dio = new DirectIo(this, machine, fs, rmap, cache);
        this.fork = new Fork(this, machine, faults, notifier);
        this.holders = new Holders(this, machine, cache);
        this.ksm = new Ksm(this, faults, notifier);
        this.migrate = new Migrate(this, notifier);
        this.remote = new Remote(this, faults);
        this.uprobes = new Uprobes(this, faults, cache);
        this.gup = new Gup(this, machine, faults, holders, cache);
        cache.wire(faults);
        faults.wire(mm, notifier);
        mm.wire(notifier, reclaim, ksm, uprobes);
        gup.wire(migrate);
        rmap.wire(notifier);
        truncate.wire(mm);
        dio.wire(gup, faults, reclaim);
        holders.wire(gup, dio);
    }

    /** Returns the policy. */
    public Policy policy() {
        return pol;
    }

    /** Returns the static shape the kernel runs on. */
    public Machine machine() {
        return machine;
    }

    /** Sets where decisions are reported (for trace replay); {@link Recorder#NONE} while exploring. */
    public void record(Recorder recorder) {
        this.rec = recorder;
    }

    Recorder recorder() {
        return rec;
    }

    /** Returns each subsystem's name and the rules it names, in dispatch order (for tests and docs). */
    Map<String, Set<Rule>> subsystems() {
        Map<String, Set<Rule>> out = new LinkedHashMap<>();
        for (Subsystem s : List.of(faults, shmem, cache, fs, wb, reclaim, truncate, dio, fork, gup, holders, mm,
                rmap, notifier, ksm, migrate, remote, uprobes)) {
            out.put(s.getClass().getSimpleName(), s.rules());
        }
        return out;
    }

    /** Receives the rules that decide a step and notes on what they did. */
    public interface Recorder {
        /** A recorder that drops everything. */
        Recorder NONE = new Recorder() {
            @Override
            public void rule(Rule r) {}

            @Override
            public void note(String s) {}

            @Override
            public boolean active() {
                return false;
            }
        };

        /** Reports that rule {@code r} decided part of the step. */
        void rule(Rule r);

        /** Reports what happened, in words. */
        void note(String s);

        /** Returns whether notes are wanted (so callers can skip building them). */
        default boolean active() {
            return true;
        }
    }

    // ---- the state before setup --------------------------------------------------------------------

    /** Creates the files: sizes, allocated blocks of full files, the storage pages of DAX files. */
    public void init(World w) {
        for (int f = 0; f < machine.files().size(); f++) {
            Machine.FileSpec spec = machine.file(f);
            if (spec.anonymous()) {
                continue;
            }
            w.setFile(f, FileWord.of(spec.pages()));
            for (int i = 0; i < spec.pages(); i++) {
                if (w.layout().onDisk(f) && !spec.sparse()) {
                    w.setBlockState(f, i, Block.ALLOCATED);
                }
                if (spec.fs() == FileSystem.FSDAX) {
                    int c = w.alloc(Folio.PAGECACHE | Folio.UPTODATE, 0);
                    w.setMapping(c, Folio.mappingOf(f, i));
                    w.setCacheSlot(f, i, Pte.ofFolio(c));
                }
            }
        }
    }

    // ---- ranges ------------------------------------------------------------------------------------

    private int[] fileRange(World w, int f) {
        return new int[] {f, 0, cache.size(w, f)};
    }

    private int[] allDiskFiles(World w) {
        List<Integer> out = new ArrayList<>();
        for (int f = 0; f < machine.files().size(); f++) {
            if (w.layout().onDisk(f)) {
                out.add(f);
                out.add(0);
                out.add(cache.size(w, f));
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The file pages an msync of VMA {@code v} writes back: only a MAP_SHARED mapping of a file on a disk. */
    private int[] msyncRange(World w, int p, int v) {
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED | Vma.SHARED | Vma.FILE) || !w.layout().onDisk(Vma.space(word))) {
            return new int[0];
        }
        int f = Vma.space(word);
        int lo = Vma.pgoff(word);
        return new int[] {f, lo, Math.min(cache.size(w, f), lo + w.layout().vmaPages(v))};
    }

    private static int phase(int sub) {
        return sub >>> PHASE_SHIFT;
    }

    private static int atPhase(int phase, int cursor) {
        return (phase << PHASE_SHIFT) | cursor;
    }

    private static int cursor(int sub) {
        return sub & ((1 << PHASE_SHIFT) - 1);
    }

    // ---- guards ------------------------------------------------------------------------------------

    /**
     * Returns whether {@code op}, run by process {@code p} ({@code -1} for a device thread) and {@code sub} steps
     * into it, can take its next step now (false while it waits for a device, a signal, a lock or writeback).
     */
    public boolean enabled(World w, int p, Op op, int sub) {
        if (p >= 0 && (w.proc(p) & (World.PROC_FORKING | World.PROC_PTL_HELD)) != 0 && takesMmapLock(w, p, op, sub)) {
            return false;
        }
        return switch (op) {
            case Op.DmaWrite d -> held(w, d.holder()) && !holders.deviceBlocks(w, d.holder(), d.cell(), true);
            case Op.DmaRead d -> held(w, d.holder()) && !holders.deviceBlocks(w, d.holder(), d.cell(), false);
            case Op.DmaTransfer d -> held(w, d.holder());
            case Op.Release r -> held(w, r.holder()) && !dio.completeBlocks(w, r.holder())
                    && !holders.releaseBlocks(w, r.holder(), r.dirty());
            case Op.Wait x -> {
                int s = Holder.status(w.holder(x.holder()));
                yield s == Holder.RELEASED || s == Holder.FAILED;
            }
            case Op.Await x -> w.signalled(x.signal());
            case Op.WaitChild x -> (w.proc(x.child()) & World.PROC_CREATED) != 0 && !w.alive(x.child());
            case Op.Store s -> !faults.storeBlocks(w, p, s.vma(), s.cell());
            case Op.Write x -> !cache.writeBlocks(w, x.file(), x.cell() / Folio.CELLS);
            case Op.Gup g -> g.io() != null ? dioEnabled(w, p, g, sub)
                    : (g.fast() && !(sub != 0 && Gup.fastInSlowPath(sub))) || !gup.blocks(w, p, g);
            case Op.Fsync x -> walkEnabled(w, fileRange(w, x.file()), true, sub);
            case Op.Sync x -> walkEnabled(w, allDiskFiles(w), true, sub);
            case Op.Msync x -> !x.sync() || walkEnabled(w, msyncRange(w, p, x.vma()), true, sub);
            case Op.SyncFileRange x -> walkEnabled(w,
                    new int[] {x.file(), x.page(), x.page() + x.count()}, false, sub);
            case Op.Truncate x -> !truncate.blocks(w, x.file(), x.pages(), machine.file(x.file()).pages());
            case Op.Punch x -> !truncate.blocks(w, x.file(), x.page(), x.page() + x.count());
            case Op.Mmap m -> true;
            case Op.Munmap m -> true;
            case Op.Mremap m -> true;
            case Op.Mprotect m -> true;
            case Op.Madvise m -> true;
            case Op.Exit e -> true;
            case Op.Load l -> true;
            case Op.Fork f -> true;
            case Op.Signal s -> true;
            case Op.Read r -> true;
            case Op.Fadvise x -> true;
            case Op.DropCaches x -> true;
            case Op.KsmMerge x -> true;
            case Op.Migrate x -> !Migrate.blocks(w, p, x.vma(), x.page());
            case Op.Remote x -> !Remote.blocks(w, x);
            case Op.Uprobe x -> true;
            case Op.Atomic a -> enabled(w, p, a.ops().get(0), sub);
        };
    }

    /**
     * Returns whether {@code op} cannot step because it waits inside the kernel (a folio lock, writeback, a pin
     * under kara-block), as opposed to a wait the scenario itself set up (a signal, a holder's I/O, a device
     * waiting for its GUP).
     */
    public boolean waitsInKernel(World w, int p, Op op, int sub) {
        if (enabled(w, p, op, sub)) {
            return false;
        }
        return switch (op) {
            case Op.Wait x -> false;
            case Op.Await x -> false;
            case Op.WaitChild x -> false;
            case Op.DmaWrite d -> held(w, d.holder());
            case Op.DmaRead d -> held(w, d.holder());
            case Op.DmaTransfer d -> false;
            case Op.Release r -> held(w, r.holder());
            case Op.Atomic a -> waitsInKernel(w, p, a.ops().get(0), sub);
            default -> true;
        };
    }

    /**
     * Whether the next step of {@code op} needs process {@code p}'s mmap_lock (so it waits while a stepwise fork
     * holds it for write): faults, the GUP slow path, the mmap calls, exit and another fork. CPU accesses through
     * a present PTE that allows them, GUP-fast's lockless steps, file I/O and device actions do not.
     */
    private boolean takesMmapLock(World w, int p, Op op, int sub) {
        return switch (op) {
            case Op.Fork f -> sub == 0;
            case Op.Store s -> {
                int pte = w.pte(p, s.vma(), s.cell() / Folio.CELLS);
                yield !(Pte.present(pte) && Pte.writable(pte) && Vma.has(w.vma(p, s.vma()), Vma.WRITE));
            }
            case Op.Load l -> !(Pte.present(w.pte(p, l.vma(), l.cell() / Folio.CELLS))
                    && Vma.has(w.vma(p, l.vma()), Vma.READ));
            case Op.Gup g -> !g.fast() || (sub != 0 && Gup.fastInSlowPath(sub));
            case Op.Mmap m -> true;
            case Op.Munmap m -> true;
            case Op.Mremap m -> true;
            case Op.Mprotect m -> true;
            case Op.Madvise m -> true;
            case Op.Exit e -> true;
            case Op.Msync m -> true;
            case Op.Migrate m -> true;
            case Op.Atomic a -> takesMmapLock(w, p, a.ops().get(0), sub);
            default -> false;
        };
    }

    /** Whether a holder's GUP has run (so its device can act). */
    private static boolean held(World w, int h) {
        return Holder.status(w.holder(h)) != Holder.EMPTY;
    }

    private boolean walkEnabled(World w, int[] ranges, boolean sync, int sub) {
        if (phase(sub) == PHASE_FINISH) {
            return !Writeback.underWriteback(w, ranges);
        }
        return wb.walkEnabled(w, ranges, sync, cursor(sub));
    }

    private boolean dioEnabled(World w, int p, Op.Gup g, int sub) {
        return switch (phase(sub)) {
            case PHASE_WALK, PHASE_FALLBACK_WALK -> wb.walkEnabled(w, DirectIo.range(g), true, cursor(sub));
            case PHASE_FALLBACK_WAIT -> !Writeback.underWriteback(w, DirectIo.range(g));
            default -> !dio.submitBlocks(w, g) && !gup.blocks(w, p, g);
        };
    }

    // ---- execution ---------------------------------------------------------------------------------

    /**
     * Runs the next step of {@code op} for thread {@code t} ({@code -1} in setup) of process {@code p}
     * ({@code -1} for a device thread), {@code sub} steps into it. Returns {@link #DONE} when the operation is
     * complete, else the {@code sub} to continue from.
     */
    public int exec(World w, int t, int p, Op op, int sub) {
        switch (op) {
            case Op.Mmap m -> setReg(w, t, m.reg(), mm.mmap(w, p, m));
            case Op.Munmap m -> mm.munmap(w, p, m.vma());
            case Op.Mremap m -> mm.mremap(w, p, m.vma(), m.to());
            case Op.Mprotect m -> mm.mprotect(w, p, m.vma(), m.prot());
            case Op.Madvise m -> mm.madvise(w, p, m.vma(), m.advice());
            case Op.Exit e -> mm.exit(w, p);
            case Op.Load l -> setReg(w, t, l.reg(), faults.load(w, p, l.vma(), l.cell()));
            case Op.Store s -> faults.store(w, p, s.vma(), s.cell(), s.value());
            case Op.Fork f -> {
                if (f.stepwise()) {
                    return fork.step(w, p, f.child(), sub);
                }
                fork.fork(w, p, f.child());
            }
            case Op.Gup g -> {
                if (g.io() != null) {
                    return dioStep(w, t, p, g, sub);
                }
                if (g.fast()) {
                    int next = gup.fastStep(w, p, g, sub);
                    if (next != DONE) {
                        return next;
                    }
                    setReg(w, t, g.reg(), Gup.result(w, g));
                    return DONE;
                }
                setReg(w, t, g.reg(), gup.gup(w, p, g));
            }
            case Op.DmaWrite d -> holders.dmaWrite(w, d.holder(), d.cell(), d.value());
            case Op.DmaRead d -> setReg(w, t, d.reg(), holders.dmaRead(w, d.holder(), d.cell()));
            case Op.DmaTransfer d -> dio.transfer(w, d.holder());
            case Op.Release r -> holders.release(w, r.holder(), r.dirty());
            case Op.Wait x -> note("the holder's I/O has completed");
            case Op.Signal s -> w.signal(s.signal());
            case Op.Await a -> note("signal received");
            case Op.WaitChild x -> note("waitpid(): the child has exited");
            case Op.Uprobe x -> uprobes.probe(w, x.file(), x.cell(), x.install());
            case Op.Read r -> setReg(w, t, r.reg(), cache.read(w, r.file(), r.cell()));
            case Op.Write x -> setReg(w, t, x.reg(), cache.write(w, x.file(), x.cell(), x.value()));
            case Op.Fsync x -> {
                if (machine.file(x.file()).fs() == FileSystem.TMPFS || machine.file(x.file()).fs() == FileSystem.FSDAX) {
                    setReg(w, t, x.reg(), wb.checkErrors(w, x.file()));
                    return DONE;
                }
                return walkStep(w, t, x.reg(), x.file(), fileRange(w, x.file()), true, sub);
            }
            case Op.Sync x -> {
                return walkStep(w, t, -1, -1, allDiskFiles(w), true, sub);
            }
            case Op.Msync x -> {
                int[] r = msyncRange(w, p, x.vma());
                if (!x.sync() || r.length == 0) {
                    note(x.sync() ? "nothing to write back" : "MS_ASYNC does nothing (since 2.6.19)");
                    setReg(w, t, x.reg(), 0);
                    return DONE;
                }
                return walkStep(w, t, x.reg(), r[0], r, true, sub);
            }
            case Op.SyncFileRange x -> {
                int next = wb.walkStep(w, new int[] {x.file(), x.page(), x.page() + x.count()}, false, sub);
                if (next != Writeback.DONE) {
                    return next;
                }
                setReg(w, t, x.reg(), 0);
            }
            case Op.Truncate x -> setReg(w, t, x.reg(), truncate.truncate(w, x.file(), x.pages()));
            case Op.Punch x -> setReg(w, t, x.reg(), truncate.punch(w, x.file(), x.page(), x.count()));
            case Op.Fadvise x -> {
                reclaim.fadvise(w, x.file());
                setReg(w, t, x.reg(), 0);
            }
            case Op.DropCaches x -> reclaim.dropCaches(w);
            case Op.KsmMerge x -> ksm.mergeAll(w);
            case Op.Migrate x -> setReg(w, t, x.reg(), migrate.movePages(w, p, x.vma(), x.page()));
            case Op.Remote x -> {
                int[] out = new int[1];
                int next = remote.step(w, x, sub, out);
                if (next != DONE) {
                    return next;
                }
                setReg(w, t, x.reg(), out[0]);
            }
            case Op.Atomic a -> {
                for (Op o : a.ops()) {
                    int s = 0;
                    do {
                        s = exec(w, t, p, o, s);
                    } while (s != DONE);
                }
            }
        }
        return DONE;
    }

    private static void setReg(World w, int t, int reg, int value) {
        if (t >= 0 && reg >= 0) {
            w.setReg(t, reg, value);
        }
    }

    /** One step of an integrity writeback walk, then the wait and (for fsync and msync) the error report. */
    private int walkStep(World w, int t, int reg, int errFile, int[] ranges, boolean sync, int sub) {
        if (phase(sub) == PHASE_WALK) {
            int next = wb.walkStep(w, ranges, sync, cursor(sub));
            if (next != Writeback.DONE) {
                return next;
            }
            if (Writeback.underWriteback(w, ranges)) {
                return atPhase(PHASE_FINISH, 0);
            }
        }
        if (errFile >= 0) {
            setReg(w, t, reg, wb.checkErrors(w, errFile));
        }
        return DONE;
    }

    /**
     * One step of an O_DIRECT request on a file: the flush walk, then (after waiting) the submission; a write
     * that fell back to buffered I/O then writes its range back and evicts it, as ext4 and btrfs do.
     */
    private int dioStep(World w, int t, int p, Op.Gup g, int sub) {
        int[] range = DirectIo.range(g);
        int phase = phase(sub);
        if (phase == PHASE_WALK) {
            if (sub == 0) {
                dio.useFlush();
            }
            int next = wb.walkStep(w, range, true, cursor(sub));
            if (next != Writeback.DONE) {
                return next;
            }
            if (dio.submitBlocks(w, g) || gup.blocks(w, p, g)) {
                return atPhase(PHASE_FINISH, 0);
            }
            phase = PHASE_FINISH;
        }
        if (phase == PHASE_FINISH) {
            setReg(w, t, g.reg(), dio.submit(w, p, g));
            if (!dio.flushesAfterFallback(w, g)) {
                return DONE;
            }
            return atPhase(PHASE_FALLBACK_WALK, 0);
        }
        if (phase == PHASE_FALLBACK_WALK) {
            int next = wb.walkStep(w, range, true, cursor(sub));
            if (next != Writeback.DONE) {
                return atPhase(PHASE_FALLBACK_WALK, next);
            }
            if (Writeback.underWriteback(w, range)) {
                return atPhase(PHASE_FALLBACK_WAIT, 0);
            }
        }
        dio.evictAfterFallback(w, g);
        return DONE;
    }

    private void note(String s) {
        if (rec.active()) {
            rec.note(s);
        }
    }

    // ---- daemons and the disk ----------------------------------------------------------------------

    private int[] daemonRange(World w, Machine.DaemonSpec d) {
        if (d.page() >= 0) {
            return new int[] {d.file(), d.page(), Math.min(d.page() + 1, cache.size(w, d.file()))};
        }
        return new int[] {d.file(), 0, cache.size(w, d.file())};
    }

    private static boolean busy(int word) {
        return (word & DAEMON_BUSY) != 0;
    }

    private static int runs(int word) {
        return word >>> DAEMON_RUNS_SHIFT;
    }

    private static int daemonCursor(int word) {
        return (word >>> DAEMON_CURSOR_SHIFT) & DAEMON_CURSOR_MASK;
    }

    private static int daemonWord(boolean busy, int cursor, int runs) {
        return (busy ? DAEMON_BUSY : 0) | (cursor << DAEMON_CURSOR_SHIFT) | (runs << DAEMON_RUNS_SHIFT);
    }

    /** Returns whether daemon {@code d} can take a step now: it is in a pass, or it has work and runs left. */
    public boolean daemonEnabled(World w, int d) {
        Machine.DaemonSpec spec = machine.daemons().get(d);
        int word = w.daemon(d);
        if (busy(word)) {
            return switch (spec.work()) {
                case WRITEBACK -> wb.walkEnabled(w, daemonRange(w, spec), false, daemonCursor(word));
                case RECLAIM, DROP_CACHES, COMPACT -> true; // a pass with nothing left ends in its next step
                case KSM -> ksm.enabled(w, word, spec.bound());
            };
        }
        if (spec.work() == Machine.Work.KSM) {
            return ksm.enabled(w, word, spec.bound());
        }
        if (spec.bound() > 0 && runs(word) >= spec.bound()) {
            return false;
        }
        return switch (spec.work()) {
            case WRITEBACK -> Writeback.hasWork(w, daemonRange(w, spec), false);
            case RECLAIM -> nextReclaim(w, spec, 0) >= 0;
            case DROP_CACHES -> reclaim.dropCachesActs(w);
            case COMPACT -> migrate.nextCompact(w, 0) >= 0;
            case KSM -> throw new AssertionError("handled above");
        };
    }

    /** Returns what daemon {@code d}'s word says, for traces. */
    public String daemonText(World w, int d) {
        int word = w.daemon(d);
        if (machine.daemons().get(d).work() == Machine.Work.KSM) {
            return Ksm.text(word);
        }
        return busy(word) ? "in a pass" : "idle, " + runs(word) + " run(s) made";
    }

    /** Returns whether daemon {@code d} is stuck in the middle of a pass (a kernel thread waiting for ever). */
    public boolean daemonWaits(World w, int d) {
        return busy(w.daemon(d)) && !daemonEnabled(w, d);
    }

    private int nextReclaim(World w, Machine.DaemonSpec spec, int from) {
        int[] r = daemonRange(w, spec);
        for (int i = Math.max(from, r[1]); i < r[2]; i++) {
            if (reclaim.shrinkActs(w, spec.file(), i, true)) {
                return i;
            }
        }
        return -1;
    }

    /** Runs one step of daemon {@code d}: it starts a pass if idle, then handles the next page of the pass. */
    public void daemonStep(World w, int d) {
        Machine.DaemonSpec spec = machine.daemons().get(d);
        int word = w.daemon(d);
        if (spec.work() == Machine.Work.KSM) {
            w.setDaemon(d, ksm.step(w, word, spec.bound()));
            return;
        }
        int runs = runs(word);
        int cursor = daemonCursor(word);
        if (!busy(word)) {
            runs = spec.bound() > 0 ? runs + 1 : 0;
            cursor = 0;
            note(spec.name() + " starts a pass");
        }
        switch (spec.work()) {
            case WRITEBACK -> {
                int next = wb.walkStep(w, daemonRange(w, spec), false, cursor);
                w.setDaemon(d, daemonWord(next != Writeback.DONE, next == Writeback.DONE ? 0 : next, runs));
            }
            case RECLAIM -> {
                int i = nextReclaim(w, spec, cursor);
                if (i >= 0) {
                    reclaim.shrink(w, spec.file(), i, true);
                }
                int after = i < 0 ? -1 : nextReclaim(w, spec, i + 1);
                w.setDaemon(d, daemonWord(after >= 0, Math.max(after, 0), runs));
            }
            case DROP_CACHES -> {
                reclaim.dropCaches(w);
                w.setDaemon(d, daemonWord(false, 0, runs));
            }
            case COMPACT -> {
                int c = migrate.nextCompact(w, cursor);
                if (c >= 0) {
                    migrate.compact(w, c);
                }
                int after = c < 0 ? -1 : migrate.nextCompact(w, c + 1);
                w.setDaemon(d, daemonWord(after >= 0, Math.max(after, 0), runs));
            }
            case KSM -> throw new AssertionError("handled above");
        }
    }

    /** Returns whether the disk under file {@code f} has a write to complete. */
    public boolean diskEnabled(World w, int f) {
        return Writeback.diskEnabled(w, f);
    }

    /** The disk under file {@code f} completes a write. */
    public void diskStep(World w, int f) {
        wb.diskStep(w, f);
    }

    // ---- invariants and views ----------------------------------------------------------------------

    /**
     * Returns whether the policy tracks PageAnonExclusive (then every state a step reaches must keep the rule that
     * {@link World#checkingAnonExclusive} checks).
     */
    public boolean tracksAnonExclusive() {
        return rmap.tracksAnonExclusive();
    }

    /** Returns what a buffered read of a cell of file {@code f} would return now, without changing anything. */
    public int peekFile(World w, int f, int cell) {
        return cache.peek(w, f, cell);
    }

    /** Returns what the page cache holds in a cell of file {@code f}, or {@link #NONE} if the page is not cached. */
    public int peekCache(World w, int f, int cell) {
        int c = PageCache.cached(w, f, cell / Folio.CELLS);
        return c < 0 ? NONE : Folio.cell(w.content(c), cell % Folio.CELLS);
    }

    /**
     * Returns what a read of a cell of file {@code f} from the disk returns (after dropping caches, or after a
     * crash): its data, 0 for a hole, -EIO when btrfs finds the checksum does not match.
     */
    public int peekDisk(World w, int f, int cell) {
        return cache.peekDisk(w, f, cell);
    }

    /** Returns file {@code f}'s size in pages now. */
    public int fileSize(World w, int f) {
        return cache.size(w, f);
    }

    // ---- naming ------------------------------------------------------------------------------------

    /** Returns the trace name of folio {@code f}: A, B, ..., Z, A1, ... */
    public static String folioName(int f) {
        char c = (char) ('A' + f % 26);
        return f < 26 ? String.valueOf(c) : c + Integer.toString(f / 26);
    }

    private static final Map<String, Integer> ERRNOS = new LinkedHashMap<>();

    static {
        ERRNOS.put("ENOENT", ENOENT);
        ERRNOS.put("ESRCH", ESRCH);
        ERRNOS.put("ENOMEM", ENOMEM);
        ERRNOS.put("EIO", EIO);
        ERRNOS.put("EBADF", EBADF);
        ERRNOS.put("EACCES", EACCES);
        ERRNOS.put("EFAULT", EFAULT);
        ERRNOS.put("EBUSY", EBUSY);
        ERRNOS.put("EINVAL", EINVAL);
        ERRNOS.put("ENOSYS", ENOSYS);
        ERRNOS.put("EOPNOTSUPP", EOPNOTSUPP);
    }

    /** Returns the symbolic name of an errno value. */
    public static String errnoName(int errno) {
        for (Map.Entry<String, Integer> e : ERRNOS.entrySet()) {
            if (e.getValue() == errno) {
                return e.getKey();
            }
        }
        return Integer.toString(errno);
    }

    /** Returns the errno named {@code name}, or -1. */
    public static int errnoByName(String name) {
        return ERRNOS.getOrDefault(name, -1);
    }

    /** Returns the errno names pinlab knows, for messages. */
    public static String errnoNames() {
        return String.join(", ", ERRNOS.keySet());
    }
}
