package pinlab.scenario;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Makes random, well-formed scenario texts (docs/scenario-format.md) for differential and robustness testing.
 *
 * <p>{@link #generate(long, Bounds)} returns the text of one scenario named {@code gen-SEED}. The text is a
 * function of {@code (seed, bounds)} only: the same arguments give the same text on every run and every JVM (the
 * only randomness is a {@link SplittableRandom} seeded with {@code seed}). Every text parses with
 * {@link Parser#parse(String, String)}; it may still deadlock, stall, raise violations or have its GUPs refused
 * under some policy, since those are results, not errors. The setup never blocks (no {@code wait}, {@code dma},
 * {@code await}, fsync or O_DIRECT file request in it), so building the model does not throw
 * {@link ScenarioModel.SetupBlocked}.
 *
 * <p>What a scenario may contain: one or two declared processes ({@code P}, sometimes {@code Q}) and children
 * created by {@code fork} (sometimes {@code fork C stepwise}) with threads of their own; private and shared
 * anonymous mappings (sometimes {@code movable}), and with {@link Bounds#files()} files on ext4, xfs, btrfs,
 * tmpfs (rarely tux3, fsdax, a memfd) mapped private or shared; CPU loads and stores; holders of every kind with
 * their GUP ({@code pin}/{@code get} with {@code write}, {@code longterm}, {@code force}, {@code vmsplice},
 * {@code uring_register}, {@code dio_read}/{@code dio_write} on memory or from/to a file, sometimes
 * {@code gup_fast}) and their transfers and releases, in process threads and in device threads; {@code wait},
 * {@code signal}/{@code await} (every awaited signal is raised by some thread, so not every scenario deadlocks);
 * {@code madvise} (dontfork, dofork, dontneed, mergeable, unmergeable, pageout, cold), {@code mprotect},
 * {@code munmap}, {@code mremap}, {@code mmap} in a thread, {@code exit}, {@code poke}/{@code peek} and the other
 * remote accesses, often from a second process, {@code migrate}, {@code ksm_merge}; file I/O ({@code read},
 * {@code write}, {@code fsync}, {@code fdatasync}, {@code truncate}, {@code punch}, {@code sync_file_range},
 * {@code fadvise}, {@code sync}, {@code drop_caches}, {@code msync}, {@code uprobe}); and with
 * {@link Bounds#daemons()} kernel daemons (writeback, reclaim, ksm, compact, drop_caches), mostly bounded. The
 * final condition is usually an {@code exists} (sometimes {@code ~exists} or {@code forall}) over one to three
 * terms (cells, registers, holder cells, file terms, {@code event()}, {@code same()}), sometimes with a
 * {@code locations} line, a {@code failure} line or a {@code requires} line. No {@code expect} lines are written.
 *
 * <p>State spaces stay small: at most {@link Bounds#maxThreads()} threads of at most
 * {@link Bounds#maxOpsPerThread()} operations each, mappings and files of at most {@link Bounds#maxPages()}
 * pages. With {@link Bounds#DEFAULT} a check takes a few milliseconds to a fraction of a second.
 *
 * <p>Usage: {@code Parser.parse("gen-" + seed + ".pin", Generator.generate(seed, Generator.Bounds.DEFAULT))}.
 */
public final class Generator {
    private Generator() {}

    /**
     * Bounds on a generated scenario.
     *
     * @param maxThreads threads at most (process and device threads together), 1..8
     * @param maxOpsPerThread operations per thread at most, 1..16 (the setup is bounded separately: a few steps)
     * @param maxPages pages per mapping and per file at most, 1..8
     * @param files whether to declare files (ext4, xfs, btrfs, tmpfs, ...) and use file operations
     * @param daemons whether to declare kernel daemons (writeback and reclaim need {@code files})
     */
    public record Bounds(int maxThreads, int maxOpsPerThread, int maxPages, boolean files, boolean daemons) {
        /** Three threads of up to four operations, two pages, files and daemons. */
        public static final Bounds DEFAULT = new Bounds(3, 4, 2, true, true);

        /** Checks the ranges. */
        public Bounds {
            if (maxThreads < 1 || maxThreads > 8) {
                throw new IllegalArgumentException("maxThreads must be 1..8, not " + maxThreads);
            }
            if (maxOpsPerThread < 1 || maxOpsPerThread > 16) {
                throw new IllegalArgumentException("maxOpsPerThread must be 1..16, not " + maxOpsPerThread);
            }
            if (maxPages < 1 || maxPages > 8) {
                throw new IllegalArgumentException("maxPages must be 1..8, not " + maxPages);
            }
        }
    }

    /** Returns the scenario name {@link #generate} writes for {@code seed}. */
    public static String name(long seed) {
        return "gen-" + Long.toUnsignedString(seed);
    }

    /** Returns a scenario text for {@code seed} within {@link Bounds#DEFAULT}. */
    public static String generate(long seed) {
        return generate(seed, Bounds.DEFAULT);
    }

    /** Returns a well-formed scenario text for {@code seed} within {@code bounds}; deterministic. */
    public static String generate(long seed, Bounds bounds) {
        return new Gen(seed, bounds).run();
    }

    // ---- the generator's state -------------------------------------------------------------------------

    private static final String[] FAILURES = {
        "data-loss", "info-leak", "stale-read", "corruption", "kernel-warning", "crash", "disk-data-loss"
    };
    private static final String[] EVENTS = {
        "segv", "sigbus", "ro-dma-write", "kernel-bug", "fs-warning", "stale-pagecache", "csum-error", "fsync-eio"
    };
    private static final String[] ADVICE = {
        "dontfork", "dofork", "dontneed", "mergeable", "unmergeable", "pageout", "cold"
    };
    private static final String[] PROTS = {"rw", "r", "none"};

    /** A mapping name: one address range in every process. */
    private record Mapping(String name, int pages) {}

    /** A declared file. */
    private record FileInfo(String name, String fs, int pages, boolean disk) {}

    /** A holder: declared once its GUP is generated. */
    private static final class HolderInfo {
        final String name;
        final String kind;
        final int count;
        final boolean fileIo;
        boolean released;
        boolean owed;

        HolderInfo(String name, String kind, int count, boolean fileIo) {
            this.name = name;
            this.kind = kind;
            this.count = count;
            this.fileIo = fileIo;
        }
    }

    /** A thread: its name, its process (null for a device thread), its operations and registers. */
    private static final class ThreadInfo {
        final String name;
        final String proc;
        final int maxOps;
        final List<String> ops = new ArrayList<>();
        final List<String> regs = new ArrayList<>();

        ThreadInfo(String name, String proc, int maxOps) {
            this.name = name;
            this.proc = proc;
            this.maxOps = maxOps;
        }

        String reg() {
            String r = "r" + regs.size();
            regs.add(r);
            return r;
        }
    }

    private static final class Gen {
        private final long seed;
        private final Bounds b;
        private final SplittableRandom rnd;
        private final List<String> declared = new ArrayList<>();
        private final List<String> procs = new ArrayList<>();
        private final List<Mapping> maps = new ArrayList<>();
        private final List<FileInfo> files = new ArrayList<>();
        private final List<HolderInfo> holders = new ArrayList<>();
        private final List<ThreadInfo> threads = new ArrayList<>();
        private final List<String> daemons = new ArrayList<>();
        private final List<String> setup = new ArrayList<>();
        /** Signals awaited but not raised yet, with the thread that awaits each. */
        private final Map<String, ThreadInfo> owedSignals = new LinkedHashMap<>();
        private final List<String> raised = new ArrayList<>();
        private final List<Integer> values = new ArrayList<>();
        private int children;
        private int holderNo;
        private int mapNo;
        private int signalNo;
        private int deviceThreadsPlanned;

        Gen(long seed, Bounds b) {
            this.seed = seed;
            this.b = b;
            this.rnd = new SplittableRandom(seed);
        }

        private boolean chance(double p) {
            return rnd.nextDouble() < p;
        }

        private int between(int lo, int hi) {
            return lo + rnd.nextInt(hi - lo + 1);
        }

        private <T> T pick(List<T> xs) {
            return xs.get(rnd.nextInt(xs.size()));
        }

        private String pick(String[] xs) {
            return xs[rnd.nextInt(xs.length)];
        }

        private int value() {
            int v = between(1, 9);
            values.add(v);
            return v;
        }

        private int pages() {
            return between(1, b.maxPages());
        }

        String run() {
            // files and daemons
            if (b.files() && chance(0.6)) {
                int n = chance(0.25) ? 2 : 1;
                for (int i = 0; i < n; i++) {
                    fileDecl(i == 0 ? "F" : "G");
                }
                if (chance(0.05)) {
                    files.add(new FileInfo("M", "memfd", pages(), false));
                }
            }
            if (b.daemons() && chance(0.35)) {
                daemonDecls();
            }
            declared.add("P");
            if (chance(0.3)) {
                declared.add("Q");
            }
            procs.addAll(declared);
            setupBlock();
            int nThreads = between(1, b.maxThreads());
            int nDevice = 0;
            if (nThreads > 1 && chance(0.6)) {
                nDevice = nThreads > 2 && chance(0.2) ? 2 : 1;
            }
            deviceThreadsPlanned = nDevice;
            for (int i = 0; i < nThreads - nDevice; i++) {
                ThreadInfo t = new ThreadInfo("T" + i, pick(procs), between(1, b.maxOpsPerThread()));
                threads.add(t);
                processThread(t);
            }
            for (int i = 0; i < nDevice; i++) {
                ThreadInfo t = new ThreadInfo("D" + i, null, between(1, b.maxOpsPerThread()));
                threads.add(t);
                deviceThread(t);
                deviceThreadsPlanned--;
            }
            raiseOwedSignals();
            return render();
        }

        // ---- declarations ------------------------------------------------------------------------------

        private void fileDecl(String name) {
            double x = rnd.nextDouble();
            String fs = x < 0.3 ? "ext4" : x < 0.5 ? "xfs" : x < 0.7 ? "btrfs" : x < 0.92 ? "tmpfs"
                    : x < 0.96 ? "tux3" : "fsdax";
            boolean disk = !fs.equals("tmpfs") && !fs.equals("fsdax");
            files.add(new FileInfo(name, fs, pages(), disk));
        }

        private String fileLine(FileInfo f) {
            if (f.fs().equals("memfd")) {
                return "memfd " + f.name() + " size " + f.pages();
            }
            StringBuilder sb = new StringBuilder("file ").append(f.name()).append(" on ").append(f.fs());
            if (f.pages() > 1 || chance(0.3)) {
                sb.append(" size ").append(f.pages());
            }
            if (f.disk() && chance(0.15)) {
                sb.append(" sparse");
            }
            if (chance(0.08)) {
                sb.append(" ro");
            }
            if (f.disk() && chance(0.1)) {
                sb.append(" stable");
            }
            return sb.toString();
        }

        private void daemonDecls() {
            int n = chance(0.3) ? 2 : 1;
            List<String> used = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                List<String> kinds = new ArrayList<>(List.of("ksm", "compact"));
                if (!files.isEmpty()) {
                    kinds.add("reclaim");
                    kinds.add("drop_caches");
                    if (files.stream().anyMatch(FileInfo::disk)) {
                        kinds.add("writeback");
                        kinds.add("writeback");
                    }
                }
                kinds.removeAll(used);
                if (kinds.isEmpty()) {
                    return;
                }
                String k = pick(kinds);
                used.add(k);
                StringBuilder sb = new StringBuilder("daemon ");
                switch (k) {
                    case "writeback" -> {
                        FileInfo f = pick(files.stream().filter(FileInfo::disk).toList());
                        sb.append("flusher: writeback ").append(f.name());
                        if (f.pages() > 1 && chance(0.3)) {
                            sb.append(' ').append(rnd.nextInt(f.pages()));
                        }
                    }
                    case "reclaim" -> {
                        FileInfo f = pick(files);
                        sb.append("kswapd: reclaim ").append(f.name());
                        if (f.pages() > 1 && chance(0.3)) {
                            sb.append(' ').append(rnd.nextInt(f.pages()));
                        }
                    }
                    case "drop_caches" -> sb.append("dropper: drop_caches");
                    case "ksm" -> sb.append("ksmd: ksm");
                    default -> sb.append("kcompactd: compact");
                }
                if (chance(0.7)) {
                    sb.append(" bound ").append(between(1, 2));
                }
                daemons.add(sb.toString());
            }
        }

        // ---- setup -------------------------------------------------------------------------------------

        private void setupBlock() {
            int nMaps = chance(0.35) ? 2 : 1;
            for (int i = 0; i < nMaps; i++) {
                setup.add("P: " + mmapOp(i == 0 ? "buf" : "m" + Integer.toString(++mapNo), true));
            }
            if (declared.contains("Q")) {
                if (chance(0.6)) {
                    Mapping m = pick(maps);
                    setup.add("Q: mmap " + m.name() + " " + m.pages() + " rw " + (chance(0.7) ? "private" : "shared"));
                } else {
                    setup.add("Q: " + mmapOp("q" + Integer.toString(++mapNo), true));
                }
            }
            int extra = between(0, 3);
            for (int i = 0; i < extra; i++) {
                String p = pick(declared);
                double x = rnd.nextDouble();
                Mapping m = pick(maps);
                if (x < 0.45) {
                    setup.add(p + ": " + m.name() + "[" + rnd.nextInt(2 * m.pages()) + "] = " + value());
                } else if (x < 0.6) {
                    setup.add(p + ": madvise " + m.name() + " " + pick(ADVICE));
                } else if (x < 0.67) {
                    setup.add(p + ": mprotect " + m.name() + " " + pick(PROTS));
                } else if (x < 0.85) {
                    // a GUP in setup: never a file request (those wait for writeback)
                    setup.add(p + ": " + gupOp(null, m, false));
                } else if (x < 0.93 && !files.isEmpty()) {
                    FileInfo f = pick(files);
                    setup.add(p + ": write " + f.name() + "[" + rnd.nextInt(2 * f.pages()) + "] = " + value());
                } else {
                    setup.add(p + ": ksm_merge");
                }
            }
        }

        /** {@code mmap NAME PAGES PROT private|shared [movable | FILE [PGOFF]]}; registers the mapping name. */
        private String mmapOp(String freshName, boolean fresh) {
            Mapping m = fresh ? null : pick(maps);
            String name = m == null ? freshName : m.name();
            int pages = m == null ? pages() : m.pages();
            String prot = chance(0.8) ? "rw" : chance(0.7) ? "r" : "none";
            StringBuilder sb = new StringBuilder("mmap ").append(name).append(' ').append(pages).append(' ')
                    .append(prot);
            if (!files.isEmpty() && chance(0.45)) {
                FileInfo f = pick(files);
                sb.append(chance(0.6) ? " shared " : " private ").append(f.name());
                if (f.pages() > 1 && chance(0.3)) {
                    sb.append(' ').append(rnd.nextInt(f.pages()));
                }
            } else if (chance(0.3)) {
                sb.append(" shared");
            } else {
                sb.append(" private");
                if (chance(0.07)) {
                    sb.append(" movable");
                }
            }
            if (m == null) {
                maps.add(new Mapping(name, pages));
            }
            return sb.toString();
        }

        // ---- GUPs and holders --------------------------------------------------------------------------

        /**
         * Returns a GUP operation on mapping {@code m} by a new holder, with a register if {@code t} is a thread;
         * {@code fileIo} allows an O_DIRECT request from/to a file.
         */
        private String gupOp(ThreadInfo t, Mapping m, boolean fileIo) {
            double x = rnd.nextDouble();
            String word = x < 0.3 ? "pin" : x < 0.45 ? "get" : x < 0.6 ? "vmsplice" : x < 0.72 ? "uring_register"
                    : x < 0.88 ? "dio_read" : "dio_write";
            String kind = switch (word) {
                case "pin", "get" -> "device";
                case "vmsplice" -> "pipe";
                case "uring_register" -> "ring";
                default -> "dio";
            };
            String prefix = switch (kind) {
                case "device" -> "nic";
                case "pipe" -> "pp";
                case "ring" -> "rg";
                default -> "rd";
            };
            int first = 0;
            int count = m.pages();
            String range = "";
            if (m.pages() > 1 && chance(0.35)) {
                first = rnd.nextInt(m.pages());
                count = 1;
                range = " " + first;
                if (first < m.pages() - 1 && chance(0.5)) {
                    count = between(1, m.pages() - first);
                    range += " " + count;
                }
            }
            String flags = "";
            if (word.equals("pin") || word.equals("get")) {
                if (chance(0.6)) {
                    flags += " write";
                }
                if (word.equals("pin") && chance(0.5)) {
                    flags += " longterm";
                }
                if (chance(0.2)) {
                    flags += " force";
                }
            }
            String file = "";
            boolean io = false;
            if (fileIo && kind.equals("dio") && !files.isEmpty() && chance(0.4)) {
                int need = count;
                List<FileInfo> fit = files.stream().filter(f -> f.pages() >= need).toList();
                if (!fit.isEmpty()) {
                    FileInfo f = pick(fit);
                    file = (word.equals("dio_read") ? " from " : " to ") + f.name();
                    if (f.pages() > count && chance(0.5)) {
                        file += " " + rnd.nextInt(f.pages() - count + 1);
                    }
                    io = true;
                }
            }
            if (!io && !word.equals("uring_register") && chance(0.15)) {
                flags += " gup_fast";
            }
            HolderInfo h = new HolderInfo(prefix + Integer.toString(++holderNo), kind, count, io);
            holders.add(h);
            String reg = t != null && chance(0.4) ? t.reg() + " = " : "";
            return reg + word + " " + h.name + " " + m.name() + range + flags + file;
        }

        /** A transfer through holder {@code h}: a device write or read, a READ_FIXED, a pipe read. */
        private String transfer(ThreadInfo t, HolderInfo h) {
            int cell = rnd.nextInt(2 * h.count);
            return switch (h.kind) {
                case "pipe" -> t.reg() + " = pipe " + h.name + "[" + cell + "]";
                case "ring" -> "read_fixed " + h.name + "[" + cell + "] = " + value();
                default -> h.fileIo ? "dma " + h.name
                        : chance(0.7) ? "dma " + h.name + "[" + cell + "] = " + value()
                        : t.reg() + " = dma " + h.name + "[" + cell + "]";
            };
        }

        private String release(HolderInfo h) {
            h.released = true;
            h.owed = false;
            return switch (h.kind) {
                case "ring" -> "uring_unregister " + h.name;
                case "dio" -> "dio_complete " + h.name;
                default -> "release " + h.name + (chance(0.5) ? " dirty" : "");
            };
        }

        // ---- threads -----------------------------------------------------------------------------------

        private void processThread(ThreadInfo t) {
            for (int k = 0; k < t.maxOps; k++) {
                boolean last = k == t.maxOps - 1;
                String op = processOp(t, last);
                t.ops.add(op);
                if (op.equals("exit")) {
                    return;
                }
            }
        }

        private String processOp(ThreadInfo t, boolean last) {
            for (;;) {
                int x = rnd.nextInt(100);
                Mapping m = pick(maps);
                if (x < 14) {
                    return m.name() + "[" + rnd.nextInt(2 * m.pages()) + "] = " + value();
                }
                if (x < 22) {
                    return t.reg() + " = " + m.name() + "[" + rnd.nextInt(2 * m.pages()) + "]";
                }
                if (x < 36) {
                    return gupOp(t, m, true);
                }
                List<HolderInfo> held = holders.stream().filter(h -> !h.released).toList();
                if (x < 40) {
                    if (!held.isEmpty()) {
                        return transfer(t, pick(held));
                    }
                    continue;
                }
                if (x < 42) {
                    if (!held.isEmpty()) {
                        return release(pick(held));
                    }
                    continue;
                }
                if (x < 45) {
                    if (holders.isEmpty()) {
                        continue;
                    }
                    HolderInfo h = pick(holders);
                    if (!h.released) {
                        if (deviceThreadsPlanned == 0) {
                            continue;
                        }
                        h.owed = true;
                    }
                    return "wait " + h.name;
                }
                if (x < 50) {
                    if (children >= 2) {
                        continue;
                    }
                    String c = "C" + Integer.toString(++children);
                    procs.add(c);
                    return "fork " + c + (chance(0.25) ? " stepwise" : "");
                }
                if (x < 54) {
                    return signalOrAwait(t);
                }
                if (x < 59) {
                    return "madvise " + m.name() + " " + pick(ADVICE);
                }
                if (x < 62) {
                    return "mprotect " + m.name() + " " + pick(PROTS);
                }
                if (x < 65) {
                    return "munmap " + m.name();
                }
                if (x < 67) {
                    List<Mapping> same = maps.stream().filter(o -> o.pages() == m.pages() && !o.name().equals(m.name())).toList();
                    if (!same.isEmpty() && chance(0.4)) {
                        return "mremap " + m.name() + " " + pick(same).name();
                    }
                    String to = "mv" + Integer.toString(++mapNo);
                    maps.add(new Mapping(to, m.pages()));
                    return "mremap " + m.name() + " " + to;
                }
                if (x < 69) {
                    if (!last) {
                        continue;
                    }
                    return "exit";
                }
                if (x < 75) {
                    return remote(t, m);
                }
                if (x < 78) {
                    String page = m.pages() > 1 && chance(0.5) ? " " + rnd.nextInt(m.pages()) : "";
                    return (chance(0.6) ? t.reg() + " = " : "") + "migrate " + m.name() + page;
                }
                if (x < 80) {
                    return "ksm_merge";
                }
                if (x < 82) {
                    boolean fresh = chance(0.6);
                    String op = mmapOp(fresh ? "m" + Integer.toString(++mapNo) : null, fresh);
                    return (chance(0.3) ? t.reg() + " = " : "") + op;
                }
                if (files.isEmpty()) {
                    continue;
                }
                return fileOp(t);
            }
        }

        private String remote(ThreadInfo t, Mapping m) {
            List<String> others = procs.stream().filter(p -> !p.equals(t.proc)).toList();
            String target = !others.isEmpty() && chance(0.8) ? pick(others) : t.proc;
            String cell = m.name() + "[" + rnd.nextInt(2 * m.pages()) + "]";
            int x = rnd.nextInt(6);
            return switch (x) {
                case 0 -> optReg(t) + "poke " + target + " " + cell + " = " + value();
                case 1 -> t.reg() + " = peek " + target + " " + cell;
                case 2 -> optReg(t) + "vm_write " + target + " " + cell + " = " + value();
                case 3 -> t.reg() + " = vm_read " + target + " " + cell;
                case 4 -> optReg(t) + "ptrace_poke " + target + " " + cell + " = " + value();
                default -> t.reg() + " = ptrace_peek " + target + " " + cell;
            };
        }

        /** Returns {@code "rN = "} (a new register of {@code t}) half the time, else nothing. */
        private String optReg(ThreadInfo t) {
            return chance(0.5) ? t.reg() + " = " : "";
        }

        private String fileOp(ThreadInfo t) {
            FileInfo f = pick(files);
            String cell = f.name() + "[" + rnd.nextInt(2 * f.pages()) + "]";
            int x = rnd.nextInt(100);
            if (x < 18) {
                return optReg(t) + "read " + cell;
            }
            if (x < 38) {
                return optReg(t) + "write " + cell + " = " + value();
            }
            if (x < 50) {
                return optReg(t) + "fsync " + f.name();
            }
            if (x < 54) {
                return optReg(t) + "fdatasync " + f.name();
            }
            if (x < 62) {
                return optReg(t) + "truncate " + f.name() + " " + rnd.nextInt(f.pages() + 1);
            }
            if (x < 66) {
                return optReg(t) + "punch " + f.name() + range(f.pages());
            }
            if (x < 70) {
                return optReg(t) + "sync_file_range " + f.name() + range(f.pages());
            }
            if (x < 76) {
                return optReg(t) + "fadvise " + f.name() + " dontneed";
            }
            if (x < 80) {
                return "sync";
            }
            if (x < 84) {
                return "drop_caches";
            }
            if (x < 90) {
                Mapping m = pick(maps);
                String mode = chance(0.3) ? " async" : chance(0.3) ? " sync" : "";
                return optReg(t) + "msync " + m.name() + mode;
            }
            if (x < 94) {
                return (chance(0.7) ? "uprobe " : "uprobe_remove ") + cell;
            }
            return gupOp(t, pick(maps), true);
        }

        private String range(int pages) {
            if (pages > 1 && chance(0.5)) {
                int lo = rnd.nextInt(pages);
                return " " + lo + (lo < pages - 1 && chance(0.5) ? " " + between(1, pages - lo) : "");
            }
            return "";
        }

        private String signalOrAwait(ThreadInfo t) {
            if (chance(0.5)) {
                // raise a signal someone awaits, or a new one
                String s = null;
                for (Map.Entry<String, ThreadInfo> e : owedSignals.entrySet()) {
                    if (e.getValue() != t) {
                        s = e.getKey();
                        break;
                    }
                }
                if (s != null) {
                    owedSignals.remove(s);
                    raised.add(s);
                    return "signal " + s;
                }
                s = "s" + Integer.toString(++signalNo);
                raised.add(s);
                return "signal " + s;
            }
            if (!raised.isEmpty() && chance(0.5)) {
                return "await " + pick(raised);
            }
            String s = "s" + Integer.toString(++signalNo);
            owedSignals.put(s, t);
            return "await " + s;
        }

        private void deviceThread(ThreadInfo t) {
            List<HolderInfo> owed = holders.stream().filter(h -> h.owed && !h.released).toList();
            for (HolderInfo h : owed) {
                if (t.ops.size() + 2 <= t.maxOps && chance(0.6)) {
                    t.ops.add(transfer(t, h));
                }
                if (t.ops.size() < t.maxOps) {
                    t.ops.add(release(h));
                }
            }
            while (t.ops.size() < t.maxOps) {
                int x = rnd.nextInt(100);
                List<HolderInfo> held = holders.stream().filter(h -> !h.released).toList();
                if (x < 45 && !holders.isEmpty()) {
                    // sometimes through a released holder: dma-after-release
                    t.ops.add(transfer(t, !held.isEmpty() && chance(0.9) ? pick(held) : pick(holders)));
                } else if (x < 75 && !held.isEmpty()) {
                    t.ops.add(release(pick(held)));
                } else if (x < 82 && !holders.isEmpty()) {
                    t.ops.add("wait " + pick(holders).name);
                } else {
                    t.ops.add(signalOrAwait(t));
                }
            }
        }

        /** Raises every awaited signal nobody raises, in another thread with room (else drops the await). */
        private void raiseOwedSignals() {
            for (Map.Entry<String, ThreadInfo> e : owedSignals.entrySet()) {
                String s = e.getKey();
                List<ThreadInfo> room = threads.stream()
                        .filter(t -> t != e.getValue() && t.ops.size() < t.maxOps && !t.ops.contains("exit"))
                        .toList();
                if (room.isEmpty()) {
                    List<String> ops = e.getValue().ops;
                    ops.set(ops.indexOf("await " + s), "signal " + s);
                } else {
                    List<String> ops = pick(room).ops;
                    ops.add(rnd.nextInt(ops.size() + 1), "signal " + s);
                }
            }
            owedSignals.clear();
        }

        // ---- the condition -----------------------------------------------------------------------------

        private List<String> cellTerms() {
            List<String> out = new ArrayList<>();
            for (String p : procs) {
                for (Mapping m : maps) {
                    for (int i = 0; i < 2 * m.pages(); i++) {
                        out.add(p + ":" + m.name() + "[" + i + "]");
                    }
                }
            }
            for (HolderInfo h : holders) {
                for (int i = 0; i < 2 * h.count; i++) {
                    out.add(h.name + "[" + i + "]");
                }
            }
            return out;
        }

        private List<String> otherTerms() {
            List<String> out = new ArrayList<>();
            for (ThreadInfo t : threads) {
                for (String r : t.regs) {
                    out.add(t.name + ":" + r);
                }
            }
            for (FileInfo f : files) {
                for (int i = 0; i < 2 * f.pages(); i++) {
                    if (f.disk() || f.fs().equals("fsdax")) {
                        out.add("disk " + f.name() + "[" + i + "]");
                    }
                    out.add("cache " + f.name() + "[" + i + "]");
                    out.add("file " + f.name() + "[" + i + "]");
                }
            }
            return out;
        }

        private String term(List<String> cells, List<String> others) {
            if (others.isEmpty() || (!cells.isEmpty() && chance(0.6))) {
                return pick(cells);
            }
            return pick(others);
        }

        private String constant() {
            double x = rnd.nextDouble();
            if (x < 0.55 && !values.isEmpty()) {
                return Integer.toString(pick(values));
            }
            if (x < 0.75) {
                return "0";
            }
            if (x < 0.88) {
                return "none";
            }
            return pick(new String[] {"-EFAULT", "-EIO", "-EBADF", "-EINVAL", "-ENOSYS", "1"});
        }

        private String atom(List<String> cells, List<String> others) {
            double x = rnd.nextDouble();
            if (x < 0.08) {
                return "event(" + pick(EVENTS) + ")";
            }
            if (x < 0.15 && cells.size() > 1) {
                return "same(" + pick(cells) + ", " + pick(cells) + ")";
            }
            if (x < 0.2) {
                return "~" + atom(cells, others);
            }
            if (x < 0.22) {
                return "true";
            }
            String t = term(cells, others);
            String op = chance(0.12) ? " != " : " = ";
            if (chance(0.1)) {
                return t + op + term(cells, others);
            }
            return t + op + constant();
        }

        private String condition() {
            List<String> cells = cellTerms();
            List<String> others = otherTerms();
            int n = between(1, 3);
            StringBuilder e = new StringBuilder();
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    e.append(chance(0.75) ? " /\\ " : " \\/ ");
                }
                e.append(atom(cells, others));
            }
            double q = rnd.nextDouble();
            String quant = q < 0.8 ? "exists" : q < 0.9 ? "~exists" : "forall";
            String label = chance(0.3) ? " \"generated condition " + n + "\"" : "";
            return quant + label + " (" + e + ")";
        }

        private String locations() {
            List<String> terms = new ArrayList<>(cellTerms());
            terms.addAll(otherTerms());
            int n = between(1, 2);
            StringBuilder sb = new StringBuilder("locations [");
            for (int i = 0; i < n; i++) {
                sb.append(i == 0 ? "" : "; ").append(pick(terms));
            }
            return sb.append(']').toString();
        }

        // ---- rendering ---------------------------------------------------------------------------------

        private String render() {
            StringBuilder sb = new StringBuilder();
            sb.append("# generated by pinlab.scenario.Generator, seed ").append(seed).append(", bounds ").append(b)
                    .append('\n');
            sb.append("name ").append(name(seed)).append('\n');
            sb.append("title \"generated scenario ").append(Long.toUnsignedString(seed)).append("\"\n");
            if (chance(0.3)) {
                sb.append("failure ").append(pick(FAILURES)).append('\n');
            }
            if (chance(0.03)) {
                sb.append("requires linux-5.8 \"generated: a requirement\"\n");
            }
            sb.append('\n');
            sb.append("process ").append(String.join(", ", declared)).append('\n');
            Map<String, List<String>> byKind = new LinkedHashMap<>();
            for (HolderInfo h : holders) {
                byKind.computeIfAbsent(h.kind, k -> new ArrayList<>()).add(h.name);
            }
            byKind.forEach((k, names) -> sb.append("holder ").append(k).append(' ')
                    .append(String.join(", ", names)).append('\n'));
            for (FileInfo f : files) {
                sb.append(fileLine(f)).append('\n');
            }
            for (String d : daemons) {
                sb.append(d).append('\n');
            }
            sb.append("\nsetup {\n");
            for (String s : setup) {
                sb.append("  ").append(s).append('\n');
            }
            sb.append("}\n");
            for (ThreadInfo t : threads) {
                sb.append("\nthread ").append(t.name).append(" @ ").append(t.proc == null ? "device" : t.proc)
                        .append(" {\n");
                for (String op : t.ops) {
                    sb.append("  ").append(op).append('\n');
                }
                sb.append("}\n");
            }
            sb.append('\n').append(condition()).append('\n');
            if (chance(0.3)) {
                sb.append(locations()).append('\n');
            }
            return sb.toString();
        }
    }
}
