package pinlab.op;

import pinlab.model.World;
import pinlab.policy.Policy;
import pinlab.policy.Rule;

/**
 * The kernel model: runs one operation on a World under a policy. It dispatches each operation to the subsystem
 * that handles it in the kernel, and knows nothing about search.
 *
 * <table>
 * <caption>Where each subsystem lives</caption>
 * <tr><th>class</th><th>kernel</th></tr>
 * <tr><td>{@link Faults}</td><td>mm/memory.c: anonymous faults, do_wp_page, COW</td></tr>
 * <tr><td>{@link Shmem}</td><td>mm/shmem.c: shared anonymous memory</td></tr>
 * <tr><td>{@link Fork}</td><td>kernel/fork.c dup_mmap, mm/memory.c copy_page_range</td></tr>
 * <tr><td>{@link Gup}</td><td>mm/gup.c</td></tr>
 * <tr><td>{@link Holders}</td><td>devices, pipes, io_uring buffers and bios: DMA and release</td></tr>
 * <tr><td>{@link MmCalls}</td><td>mmap, munmap, mremap, mprotect, madvise, exit</td></tr>
 * <tr><td>{@link Rmap}</td><td>mm/rmap.c: PageAnonExclusive bookkeeping</td></tr>
 * </table>
 */
public final class Kernel {
    /** Errno values the model returns, as the kernel spells them. */
    public static final int EFAULT = 14;
    /** Function not implemented (io_uring on a kernel without it). */
    public static final int ENOSYS = 38;
    /** The value of a cell nobody can see (unmapped, process gone, reference released). */
    public static final int NONE = -1;

    private final Policy pol;
    private Recorder rec = Recorder.NONE;
    private final Faults faults;
    private final Shmem shmem;
    private final Fork fork;
    private final Gup gup;
    private final Holders holders;
    private final MmCalls mm;
    private final Rmap rmap;

    /** Creates the kernel semantics of {@code policy}. */
    public Kernel(Policy policy) {
        this.pol = policy;
        this.shmem = new Shmem(this);
        this.faults = new Faults(this, shmem);
        this.mm = new MmCalls(this, shmem);
        faults.wire(mm);
        this.fork = new Fork(this, faults);
        this.holders = new Holders(this);
        this.gup = new Gup(this, faults, holders);
        this.rmap = new Rmap(this);
    }

    /** Returns the policy. */
    public Policy policy() {
        return pol;
    }

    /** Sets where decisions are reported (for trace replay); {@link Recorder#NONE} while exploring. */
    public void record(Recorder recorder) {
        this.rec = recorder;
    }

    Recorder recorder() {
        return rec;
    }

    /** Returns each subsystem's name and the rules it names, in dispatch order (for tests and docs). */
    java.util.Map<String, java.util.Set<Rule>> subsystems() {
        java.util.Map<String, java.util.Set<Rule>> out = new java.util.LinkedHashMap<>();
        for (Subsystem s : java.util.List.of(faults, shmem, fork, gup, holders, mm, rmap)) {
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

    // ---- guards ------------------------------------------------------------------------------------

    /** Returns whether {@code op} can run now (false while it waits for a device or a signal). */
    public boolean enabled(World w, Op op) {
        return switch (op) {
            case Op.DmaWrite d -> held(w, d.holder());
            case Op.DmaRead d -> held(w, d.holder());
            case Op.Release r -> held(w, r.holder());
            case Op.Wait x -> {
                int s = pinlab.model.Holder.status(w.holder(x.holder()));
                yield s == pinlab.model.Holder.RELEASED || s == pinlab.model.Holder.FAILED;
            }
            case Op.Await x -> w.signalled(x.signal());
            case Op.Mmap m -> true;
            case Op.Munmap m -> true;
            case Op.Mremap m -> true;
            case Op.Mprotect m -> true;
            case Op.Madvise m -> true;
            case Op.Exit e -> true;
            case Op.Load l -> true;
            case Op.Store s -> true;
            case Op.Fork f -> true;
            case Op.Gup g -> true;
            case Op.Signal s -> true;
            case Op.Atomic a -> enabled(w, a.ops().get(0));
        };
    }

    /** Whether a holder's GUP has run (so its device can act). */
    private static boolean held(World w, int h) {
        return pinlab.model.Holder.status(w.holder(h)) != pinlab.model.Holder.EMPTY;
    }

    // ---- execution ---------------------------------------------------------------------------------

    /** Runs {@code op} for thread {@code t} of process {@code p} ({@code -1} for a device thread). */
    public void exec(World w, int t, int p, Op op) {
        switch (op) {
            case Op.Mmap m -> mm.mmap(w, p, m);
            case Op.Munmap m -> mm.munmap(w, p, m.vma());
            case Op.Mremap m -> mm.mremap(w, p, m.vma(), m.to());
            case Op.Mprotect m -> mm.mprotect(w, p, m.vma(), m.prot());
            case Op.Madvise m -> mm.madviseFork(w, p, m.vma(), m.dontfork());
            case Op.Exit e -> mm.exit(w, p);
            case Op.Load l -> {
                int v = faults.load(w, p, l.vma(), l.cell());
                if (l.reg() >= 0) {
                    w.setReg(t, l.reg(), v);
                }
            }
            case Op.Store s -> faults.store(w, p, s.vma(), s.cell(), s.value());
            case Op.Fork f -> fork.fork(w, p, f.child());
            case Op.Gup g -> {
                int r = gup.gup(w, p, g);
                if (g.reg() >= 0) {
                    w.setReg(t, g.reg(), r);
                }
            }
            case Op.DmaWrite d -> holders.dmaWrite(w, d.holder(), d.cell(), d.value());
            case Op.DmaRead d -> {
                int v = holders.dmaRead(w, d.holder(), d.cell());
                if (d.reg() >= 0) {
                    w.setReg(t, d.reg(), v);
                }
            }
            case Op.Release r -> holders.release(w, r.holder(), r.dirty());
            case Op.Wait x -> note("the holder's I/O has completed");
            case Op.Signal s -> w.signal(s.signal());
            case Op.Await a -> note("signal received");
            case Op.Atomic a -> {
                for (Op o : a.ops()) {
                    exec(w, t, p, o);
                }
            }
        }
    }

    private void note(String s) {
        if (rec.active()) {
            rec.note(s);
        }
    }

    /**
     * Returns whether the state keeps the PageAnonExclusive rule "GUP is only allowed to take a pin on
     * anonymous pages that are exclusive" and maps only exclusive anonymous pages writable (checked only for
     * policies that track the flag).
     */
    public boolean anonExclusiveHolds(World w) {
        return rmap.anonExclusiveHolds(w);
    }

    // ---- naming ------------------------------------------------------------------------------------

    /** Returns the trace name of folio {@code f}: A, B, ..., Z, A1, ... */
    public static String folioName(int f) {
        char c = (char) ('A' + f % 26);
        return f < 26 ? String.valueOf(c) : c + Integer.toString(f / 26);
    }

    /** Returns the symbolic name of an errno value. */
    public static String errnoName(int errno) {
        return switch (errno) {
            case EFAULT -> "EFAULT";
            case ENOSYS -> "ENOSYS";
            default -> Integer.toString(errno);
        };
    }
}
