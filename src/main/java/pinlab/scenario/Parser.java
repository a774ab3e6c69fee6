package pinlab.scenario;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import pinlab.model.Event;
import pinlab.model.Folio;
import pinlab.model.Holder;
import pinlab.model.Vma;
import pinlab.op.Kernel;
import pinlab.op.Op;
import pinlab.policy.Policies;
import pinlab.scenario.Condition.Expr;
import pinlab.scenario.Lexer.Kind;
import pinlab.scenario.Lexer.Token;
import pinlab.scenario.Scenario.HolderKind;

/** Reads the scenario format (docs/scenario-format.md) into a resolved {@link Scenario}. */
public final class Parser {
    private final String file;
    private final String src;
    private final List<Token> toks;
    private final String[] lines;
    private int pos;

    private String name;
    private String title = "";
    private String topic = "";
    private Scenario.Failure failure;
    private final List<String> sources = new ArrayList<>();
    private final List<String> processes = new ArrayList<>();
    private final Map<String, Token> processFirstUse = new HashMap<>();
    private final Map<String, Integer> forkedBy = new HashMap<>();
    private int declaredProcesses;
    private final Map<String, Integer> vmaIndex = new LinkedHashMap<>();
    private final List<Integer> vmaPages = new ArrayList<>();
    private final List<Scenario.FileDecl> files = new ArrayList<>();
    private final Map<String, Integer> fileIndex = new LinkedHashMap<>();
    private final List<Scenario.DaemonDecl> daemons = new ArrayList<>();
    private final Map<String, Integer> holderIndex = new LinkedHashMap<>();
    private final List<HolderKind> holderKinds = new ArrayList<>();
    private final List<Integer> holderSlots = new ArrayList<>();
    private final Map<Integer, Token> holderGup = new HashMap<>();
    private final Map<Integer, Op.Gup> holderFileIo = new HashMap<>();
    private final List<Token> holderCellUses = new ArrayList<>();
    private final List<int[]> holderCellChecks = new ArrayList<>();
    private final List<String> signals = new ArrayList<>();
    private final List<Scenario.SetupStep> setup = new ArrayList<>();
    private final List<Scenario.ThreadDecl> threads = new ArrayList<>();
    private Condition condition;
    private final List<Term> locations = new ArrayList<>();
    private final List<Scenario.Expectation> expectations = new ArrayList<>();
    private Scenario.Requirement requires;
    private boolean setupSeen;

    private Parser(String file, String src) throws ScenarioException {
        this.file = file;
        this.src = src;
        this.toks = Lexer.lex(file, src);
        this.lines = src.split("\n", -1);
    }

    /** Parses a scenario file. */
    public static Scenario parse(Path path) throws ScenarioException {
        return parse(path.toString(), SourceFiles.read(path));
    }

    /** Parses scenario text; {@code file} names it in messages. */
    public static Scenario parse(String file, String text) throws ScenarioException {
        if (text.length() > SourceFiles.MAX_BYTES) {
            throw new ScenarioException(file, 1, 1, "PL040", "the scenario has " + text.length()
                    + " characters; scenario files are at most " + SourceFiles.MAX_BYTES + " bytes", null);
        }
        String src = text.startsWith("\uFEFF") ? text.substring(1) : text;
        try {
            return new Parser(file, src).scenario();
        } catch (ScenarioException e) {
            throw e.withSource(src); // the message shows the line, with a caret under the column
        }
    }

    // ---- token helpers -----------------------------------------------------------------------------

    private Token peek() {
        return toks.get(pos);
    }

    private Token peek(int k) {
        return toks.get(Math.min(pos + k, toks.size() - 1));
    }

    private Token next() {
        Token t = toks.get(pos);
        if (t.kind() != Kind.EOF) {
            pos++;
        }
        return t;
    }

    private ScenarioException err(Token t, String code, String msg, String hint) {
        return new ScenarioException(file, t.line(), t.col(), code, msg, hint);
    }

    private Token expect(String sym) throws ScenarioException {
        Token t = next();
        if (!t.is(sym)) {
            throw err(t, "PL003", "expected '" + sym + "' but found " + describe(t), null);
        }
        return t;
    }

    private static String describe(Token t) {
        return switch (t.kind()) {
            case NEWLINE -> "end of line";
            case EOF -> "end of file";
            case STRING -> "string \"" + t.text() + "\"";
            default -> "'" + t.text() + "'";
        };
    }

    private Token ident(String what) throws ScenarioException {
        Token t = next();
        if (t.kind() != Kind.IDENT) {
            throw err(t, "PL003", "expected " + what + " but found " + describe(t), null);
        }
        return t;
    }

    private int number(String what, int min, int max) throws ScenarioException {
        Token t = next();
        if (t.kind() != Kind.NUMBER) {
            throw err(t, "PL003", "expected " + what + " (a number) but found " + describe(t), null);
        }
        long v;
        try {
            v = Long.parseLong(t.text());
        } catch (NumberFormatException e) {
            v = Long.MAX_VALUE;
        }
        if (v < min || v > max) {
            throw err(t, "PL017", what + " " + t.text() + " is out of range " + min + ".." + max, null);
        }
        return (int) v;
    }

    private void endOfStatement() throws ScenarioException {
        Token t = peek();
        if (t.is(";")) {
            next();
            return;
        }
        if (t.kind() == Kind.NEWLINE || t.kind() == Kind.EOF || t.is("}")) {
            return;
        }
        throw err(t, "PL003", "expected end of statement but found " + describe(t),
                "one statement per line, or separate them with ';'");
    }

    private void skipNewlines() {
        while (peek().kind() == Kind.NEWLINE || peek().is(";")) {
            next();
        }
    }

    // ---- top level ---------------------------------------------------------------------------------

    private Scenario scenario() throws ScenarioException {
        skipNewlines();
        while (peek().kind() != Kind.EOF) {
            Token t = peek();
            if (t.kind() != Kind.IDENT && !t.is("~")) {
                throw err(t, "PL004", "expected a section keyword but found " + describe(t),
                        "sections: name, title, source, topic, failure, requires, process, holder, file, memfd, daemon,"
                                + " setup, thread, exists, ~exists, forall, locations, expect");
            }
            switch (t.text()) {
                case "name" -> {
                    next();
                    Token v = next();
                    if (v.kind() != Kind.IDENT && v.kind() != Kind.STRING) {
                        throw err(v, "PL003", "expected the scenario's name", null);
                    }
                    name = v.text();
                }
                case "title" -> {
                    next();
                    title = string("the title");
                }
                case "source" -> {
                    next();
                    sources.add(string("the source"));
                }
                case "topic" -> {
                    next();
                    topic = string("the topic");
                }
                case "requires" -> {
                    next();
                    Token v = ident("a kernel such as linux-2.6.29");
                    if (!v.text().matches("linux-\\d+(\\.\\d+){1,2}")) {
                        throw err(v, "PL038", "expected a kernel release such as linux-2.6.29 but found '" + v.text()
                                + "'", null);
                    }
                    requires = new Scenario.Requirement(v.text().substring("linux-".length()), string("the reason"));
                }
                case "failure" -> {
                    next();
                    Token f = ident("a failure kind");
                    failure = Scenario.Failure.byId(f.text());
                    if (failure == null) {
                        StringBuilder kinds = new StringBuilder();
                        for (Scenario.Failure k : Scenario.Failure.values()) {
                            kinds.append(kinds.length() == 0 ? "" : ", ").append(k.id());
                        }
                        throw err(f, "PL032", "unknown failure kind '" + f.text() + "'", "kinds: " + kinds);
                    }
                }
                case "process" -> {
                    next();
                    do {
                        Token p = ident("a process name");
                        if (processes.contains(p.text())) {
                            throw err(p, "PL010", "process '" + p.text() + "' is declared twice", null);
                        }
                        if (!threads.isEmpty() || setupSeen) {
                            throw err(p, "PL004", "declare processes before setup and threads", null);
                        }
                        processes.add(p.text());
                        declaredProcesses++;
                    } while (peek().kind() == Kind.IDENT || (peek().is(",") && next() != null));
                }
                case "holder" -> {
                    next();
                    holderDecl();
                }
                case "file", "memfd" -> {
                    next();
                    fileDecl(t);
                }
                case "daemon" -> {
                    next();
                    daemonDecl(t);
                }
                case "setup" -> {
                    next();
                    setupBlock();
                }
                case "thread" -> {
                    next();
                    threadBlock();
                }
                case "exists", "forall", "~" -> conditionDecl();
                case "locations" -> {
                    next();
                    locationsDecl();
                }
                case "expect" -> {
                    next();
                    expectDecl(t);
                }
                default -> throw err(t, "PL004", "unknown section '" + t.text() + "'",
                        "sections: name, title, source, topic, failure, process, holder, setup, thread, exists,"
                                + " ~exists, forall, locations, expect");
            }
            endOfStatement();
            skipNewlines();
        }
        if (name == null) {
            throw err(toks.get(0), "PL005", "the scenario has no name", "start the file with: name my-scenario");
        }
        if (threads.isEmpty()) {
            throw err(toks.get(0), "PL027", "the scenario has no thread", "add: thread T0 @ P { ... }");
        }
        if (condition == null) {
            throw err(toks.get(0), "PL021", "the scenario has no final condition",
                    "add: exists (P:buf[0]=1), ~exists (...) or forall (...)");
        }
        for (int p = declaredProcesses; p < processes.size(); p++) {
            if (!forkedBy.containsKey(processes.get(p))) {
                Token use = processFirstUse.get(processes.get(p));
                String name = processes.get(p);
                throw err(use, "PL011", "unknown process '" + name + "'", holderIndex.containsKey(name)
                        ? "'" + name + "' is a holder: a thread that acts for it runs on the device,"
                                + " 'thread NAME @ device'"
                        : "declare it with 'process " + name + "' or create it with 'fork " + name + "'");
            }
        }
        for (int k = 0; k < holderCellChecks.size(); k++) {
            int[] c = holderCellChecks.get(k);
            int slots = holderSlots.get(c[0]);
            if (slots == 0) {
                throw err(holderCellUses.get(k), "PL023", "holder '" + holderName(c[0])
                        + "' never takes a reference", "add a GUP op (pin, get, vmsplice, uring_register, dio_read)"
                        + " for it");
            }
            if (c[1] >= slots * Folio.CELLS) {
                throw err(holderCellUses.get(k), "PL015", "cell " + c[1] + " is beyond holder '"
                        + holderName(c[0]) + "' (" + slots + " page(s), " + slots * Folio.CELLS + " cells)", null);
            }
        }
        List<Scenario.VmaDecl> vmas = new ArrayList<>();
        vmaIndex.forEach((n, i) -> vmas.add(new Scenario.VmaDecl(n, vmaPages.get(i))));
        List<Scenario.HolderDecl> holders = new ArrayList<>();
        holderIndex.forEach((n, i) -> holders.add(new Scenario.HolderDecl(n, holderKinds.get(i),
                Math.max(1, holderSlots.get(i)))));
        return new Scenario(name, title, List.copyOf(sources), topic, failure, file, src, List.copyOf(processes),
                declaredProcesses,
                vmas, List.copyOf(files), List.copyOf(daemons), holders, List.copyOf(signals), List.copyOf(setup), List.copyOf(threads),
                condition, List.copyOf(locations), List.copyOf(expectations), requires);
    }

    private String string(String what) throws ScenarioException {
        Token t = next();
        if (t.kind() != Kind.STRING) {
            throw err(t, "PL003", "expected " + what + " as a quoted string", null);
        }
        return t.text();
    }

    private String holderName(int h) {
        for (Map.Entry<String, Integer> e : holderIndex.entrySet()) {
            if (e.getValue() == h) {
                return e.getKey();
            }
        }
        return "?";
    }

    private void holderDecl() throws ScenarioException {
        Token k = ident("a holder kind (device, pipe, ring, dio)");
        HolderKind kind = switch (k.text()) {
            case "device" -> HolderKind.DEVICE;
            case "pipe" -> HolderKind.PIPE;
            case "ring" -> HolderKind.RING;
            case "dio" -> HolderKind.DIO;
            default -> throw err(k, "PL006", "unknown holder kind '" + k.text() + "'",
                    "kinds: device (RDMA NIC, GPU), pipe (vmsplice), ring (io_uring), dio (an O_DIRECT request)");
        };
        do {
            Token n = ident("a holder name");
            checkFreshName(n);
            holderIndex.put(n.text(), holderKinds.size());
            holderKinds.add(kind);
            holderSlots.add(0);
        } while (peek().kind() == Kind.IDENT || (peek().is(",") && next() != null));
    }

    private void checkFreshName(Token n) throws ScenarioException {
        if (holderIndex.containsKey(n.text()) || vmaIndex.containsKey(n.text()) || fileIndex.containsKey(n.text())) {
            String what = vmaIndex.containsKey(n.text()) ? "mapping" : fileIndex.containsKey(n.text()) ? "file"
                    : "holder";
            throw err(n, "PL010", "'" + n.text() + "' is already a " + what + " name",
                    "mappings, files and holders share one namespace");
        }
    }

    /** {@code file F on FS [size N] [sparse] [ro] [stable]}, or {@code memfd M [size N]}. */
    private void fileDecl(Token kw) throws ScenarioException {
        Token n = ident("a file name");
        checkFreshName(n);
        pinlab.model.FileSystem fs = pinlab.model.FileSystem.TMPFS;
        if (kw.is("file")) {
            Token on = next();
            if (!on.is("on")) {
                throw err(on, "PL003", "expected 'on' and a filesystem but found " + describe(on),
                        "write: file " + n.text() + " on ext4 size 1");
            }
            Token f = ident("a filesystem (ext4, xfs, btrfs, tmpfs, fsdax)");
            fs = pinlab.model.FileSystem.byId(f.text());
            if (fs == null) {
                throw err(f, "PL033", "unknown filesystem '" + f.text() + "'", "filesystems: ext4, xfs, btrfs, tmpfs,"
                        + " fsdax");
            }
        }
        int pages = 1;
        boolean sparse = false;
        boolean ro = false;
        boolean stable = false;
        while (peek().kind() == Kind.IDENT) {
            Token o = next();
            switch (o.text()) {
                case "size" -> pages = number("the size in pages", 1, 8);
                case "sparse" -> sparse = true;
                case "ro" -> ro = true;
                case "stable" -> stable = true;
                default -> throw err(o, "PL003", "unknown file option '" + o.text() + "'",
                        "options: size N, sparse, ro, stable");
            }
            if ((sparse || stable) && !fs.onDisk()) {
                throw err(o, "PL034", "'" + o.text() + "' needs a file on a disk; " + fs.id() + " has none",
                        "use ext4, xfs or btrfs");
            }
        }
        fileIndex.put(n.text(), files.size());
        files.add(new Scenario.FileDecl(n.text(), fs, pages, sparse, ro, stable, false, n.line()));
    }

    /** {@code daemon NAME: writeback F [PAGE] | reclaim F [PAGE] | drop_caches} then {@code [bound N]}. */
    private void daemonDecl(Token kw) throws ScenarioException {
        Token n = ident("a daemon name");
        for (Scenario.DaemonDecl d : daemons) {
            if (d.name().equals(n.text())) {
                throw err(n, "PL010", "daemon '" + n.text() + "' is declared twice", null);
            }
        }
        if (threadIndexOf(n.text()) >= 0) {
            throw err(n, "PL010", "'" + n.text() + "' is already a thread name", null);
        }
        expect(":");
        Token w = ident("the daemon's work (writeback, reclaim, drop_caches)");
        Scenario.DaemonWork work = switch (w.text()) {
            case "writeback" -> Scenario.DaemonWork.WRITEBACK;
            case "reclaim" -> Scenario.DaemonWork.RECLAIM;
            case "drop_caches" -> Scenario.DaemonWork.DROP_CACHES;
            case "ksm" -> Scenario.DaemonWork.KSM;
            case "compact" -> Scenario.DaemonWork.COMPACT;
            default -> throw err(w, "PL035", "unknown daemon work '" + w.text() + "'",
                    "daemons: writeback F (the flusher), reclaim F (kswapd), drop_caches, ksm (ksmd), compact"
                            + " (kcompactd)");
        };
        int file = -1;
        int page = -1;
        if (work == Scenario.DaemonWork.WRITEBACK || work == Scenario.DaemonWork.RECLAIM) {
            Token f = ident("a file name");
            file = fileRef(f);
            Scenario.FileDecl fd = files.get(file);
            if (work == Scenario.DaemonWork.WRITEBACK && !fd.fs().onDisk()) {
                throw err(f, "PL034", "file '" + f.text() + "' is on " + fd.fs().id() + ", which has no writeback",
                        null);
            }
            if (peek().kind() == Kind.NUMBER) {
                page = number("a page", 0, fd.pages() - 1);
            }
        }
        // Compaction would move the same pages again and again: it makes one pass unless told otherwise.
        int bound = work == Scenario.DaemonWork.COMPACT ? 1 : 0;
        if (peek().is("bound")) {
            next();
            bound = number("the bound (runs)", 1, 15);
        }
        daemons.add(new Scenario.DaemonDecl(n.text(), work, file, page, bound, kw.line()));
    }

    private int fileRef(Token f) throws ScenarioException {
        Integer i = fileIndex.get(f.text());
        if (i == null) {
            throw err(f, "PL036", "unknown file '" + f.text() + "'", "declare it above: file " + f.text()
                    + " on ext4 size 1");
        }
        return i;
    }

    /** Parses {@code [i]} after a file name: a cell of the file (two per page). */
    private int fileCell(int file) throws ScenarioException {
        expect("[");
        Token t = peek();
        int cells = files.get(file).pages() * Folio.CELLS;
        int c = number("a cell index", 0, Integer.MAX_VALUE);
        if (c >= cells) {
            throw err(t, "PL015", "cell " + c + " is beyond file '" + files.get(file).name() + "' ("
                    + files.get(file).pages() + " page(s), " + cells + " cells)", null);
        }
        expect("]");
        return c;
    }

    private int processRef(Token t) {
        int p = processes.indexOf(t.text());
        if (p < 0) {
            processes.add(t.text());
            processFirstUse.put(t.text(), t);
            p = processes.size() - 1;
        }
        return p;
    }

    private void setupBlock() throws ScenarioException {
        setupSeen = true;
        Token open = expect("{");
        skipNewlines();
        Map<String, Integer> regs = new LinkedHashMap<>();
        while (!peek().is("}")) {
            if (peek().kind() == Kind.EOF) {
                throw err(open, "PL028", "setup block is not closed", "add '}' after its last line");
            }
            Token p = ident("a process name (setup lines read 'P: op')");
            if (!peek().is(":")) {
                throw err(p, "PL003", "setup lines read 'P: op', with the process that runs the op",
                        "write: P: " + lineText(p));
            }
            int proc = processes.indexOf(p.text());
            if (proc < 0 || proc >= declaredProcesses) {
                throw err(p, "PL011", "unknown process '" + p.text() + "' in setup",
                        "setup runs in processes declared with 'process'");
            }
            expect(":");
            Token opTok = peek();
            Op op = op(proc, regs, true);
            if (op instanceof Op.Fork) {
                throw err(opTok, "PL022", "fork in setup is not supported", "put the fork in a thread");
            }
            setup.add(new Scenario.SetupStep(proc, op));
            endOfStatement();
            skipNewlines();
        }
        expect("}");
    }

    private void threadBlock() throws ScenarioException {
        Token n = ident("a thread name");
        if (threadIndexOf(n.text()) >= 0) {
            throw err(n, "PL010", "thread '" + n.text() + "' is declared twice", null);
        }
        expect("@");
        Token where = ident("a process name or 'device'");
        int proc = where.text().equals("device") ? -1 : processRef(where);
        Token open = expect("{");
        skipNewlines();
        Map<String, Integer> regs = new LinkedHashMap<>();
        List<Op> ops = new ArrayList<>();
        while (!peek().is("}")) {
            if (peek().kind() == Kind.EOF) {
                throw err(open, "PL028", "thread " + n.text() + " is not closed", "add '}' after its last line");
            }
            ops.add(op(proc, regs, false));
            endOfStatement();
            skipNewlines();
        }
        expect("}");
        threads.add(new Scenario.ThreadDecl(n.text(), proc, List.copyOf(ops), List.copyOf(regs.keySet()), n.line()));
    }

    private int threadIndexOf(String n) {
        for (int i = 0; i < threads.size(); i++) {
            if (threads.get(i).name().equals(n)) {
                return i;
            }
        }
        return -1;
    }

    // ---- operations --------------------------------------------------------------------------------

    private String lineText(Token start) {
        String l = lines[start.line() - 1];
        String rest = l.substring(Math.min(l.length(), start.col() - 1));
        int cut = rest.indexOf('#');
        if (cut >= 0) {
            rest = rest.substring(0, cut);
        }
        int semi = rest.indexOf(';');
        if (semi >= 0) {
            rest = rest.substring(0, semi);
        }
        int brace = rest.indexOf('}');
        if (brace >= 0) {
            rest = rest.substring(0, brace);
        }
        return rest.strip();
    }

    private Op op(int proc, Map<String, Integer> regs, boolean inSetup) throws ScenarioException {
        Token first = peek();
        String text = lineText(first);
        int line = first.line();
        if (first.kind() != Kind.IDENT) {
            throw err(first, "PL025", "expected an operation but found " + describe(first), null);
        }
        // store: NAME[cell] = value
        if (peek(1).is("[")) {
            Token v = next();
            int vma = vmaRef(v);
            int cell = cellIndex(vma);
            expect("=");
            int value = number("a value", 0, Folio.MAX_VALUE);
            needMm(proc, v, "a store");
            return new Op.Store(line, text, vma, cell, value);
        }
        int reg = -1;
        if (peek(1).is("=")) {
            Token r = next();
            next();
            if (inSetup) {
                throw err(r, "PL022", "setup has no registers", "move the load into a thread");
            }
            if (vmaIndex.containsKey(r.text()) || holderIndex.containsKey(r.text())) {
                throw err(r, "PL010", "'" + r.text() + "' is a mapping or holder, not a register", null);
            }
            reg = regs.computeIfAbsent(r.text(), k -> regs.size());
            if (peek(1).is("[")) {
                Token v = next();
                int vma = vmaRef(v);
                int cell = cellIndex(vma);
                needMm(proc, v, "a load");
                return new Op.Load(line, text, reg, vma, cell);
            }
        }
        Token w = ident("an operation");
        String word = w.text();
        switch (word) {
            case "mmap" -> {
                Token v = ident("a mapping name");
                int pages = number("the size in pages", 1, 8);
                int prot = prot();
                Token kind = ident("private or shared");
                boolean shared = switch (kind.text()) {
                    case "private" -> false;
                    case "shared" -> true;
                    default -> throw err(kind, "PL003", "expected private or shared", null);
                };
                int fileNo = -1;
                int pgoff = 0;
                if (peek().is("movable")) {
                    Token mv = next();
                    if (shared) {
                        throw err(mv, "PL003", "movable applies to private anonymous memory", null);
                    }
                    prot |= Vma.MOVABLE;
                } else if (peek().kind() == Kind.IDENT) {
                    Token f = next();
                    fileNo = fileRef(f);
                    if (peek().kind() == Kind.NUMBER) {
                        pgoff = number("the file page to map from", 0, files.get(fileNo).pages() - 1);
                    }
                }
                Integer existing = vmaIndex.get(v.text());
                if (existing == null) {
                    checkFreshName(v);
                    existing = vmaPages.size();
                    vmaIndex.put(v.text(), existing);
                    vmaPages.add(pages);
                } else if (vmaPages.get(existing) != pages) {
                    throw err(v, "PL026", "mapping '" + v.text() + "' was mmapped with " + vmaPages.get(existing)
                            + " page(s) before", "use one size per mapping name");
                }
                int space = fileNo;
                if (shared && fileNo < 0) {
                    space = files.size();
                    files.add(new Scenario.FileDecl("shmem" + space, pinlab.model.FileSystem.TMPFS, pages, false,
                            false, false, true, line));
                }
                needMm(proc, w, "mmap");
                return new Op.Mmap(line, text, reg, existing, prot, shared, space, fileNo >= 0, pgoff);
            }
            case "read", "write" -> {
                Token f = ident("a file name");
                int fileNo = fileRef(f);
                int cell = fileCell(fileNo);
                needMm(proc, w, word);
                if (word.equals("read")) {
                    return new Op.Read(line, text, reg, fileNo, cell);
                }
                expect("=");
                int value = number("a value", 0, Folio.MAX_VALUE);
                return new Op.Write(line, text, reg, fileNo, cell, value);
            }
            case "fsync", "fdatasync", "fadvise" -> {
                Token f = ident("a file name");
                int fileNo = fileRef(f);
                needMm(proc, w, word);
                if (word.equals("fadvise")) {
                    Token adv = ident("dontneed");
                    if (!adv.is("dontneed")) {
                        throw err(adv, "PL003", "expected dontneed (POSIX_FADV_DONTNEED)", null);
                    }
                    return new Op.Fadvise(line, text, reg, fileNo);
                }
                return new Op.Fsync(line, text, reg, fileNo, word.equals("fdatasync"));
            }
            case "poke", "peek", "vm_write", "vm_read", "ptrace_poke", "ptrace_peek" -> {
                needMm(proc, w, word);
                boolean ptrace = word.startsWith("ptrace_");
                if (ptrace) {
                    word = word.substring("ptrace_".length());
                }
                boolean write = word.equals("poke") || word.equals("vm_write");
                Token pt = ident("the target process");
                int target = processes.indexOf(pt.text());
                if (target < 0) {
                    target = processRef(pt);
                }
                Token v = ident("a mapping name");
                int vma = vmaRef(v);
                expect("[");
                int cell = number("a cell index", 0, 2 * vmaPages.get(vma) - 1);
                expect("]");
                int value = 0;
                if (write) {
                    expect("=");
                    value = number("a value", 0, Folio.MAX_VALUE);
                } else if (reg < 0) {
                    throw err(w, "PL003", word + " reads a value: write r = " + word + " ...", null);
                }
                return new Op.Remote(line, text, reg, target, vma, cell, value, write,
                        word.equals("poke") || word.equals("peek"), ptrace);
            }
            case "uprobe", "uprobe_remove" -> {
                needMm(proc, w, word);
                noReg(reg, w);
                Token f = ident("a file name");
                int fileNo = fileRef(f);
                expect("[");
                int cell = number("a cell index", 0, 2 * files.get(fileNo).pages() - 1);
                expect("]");
                return new Op.Uprobe(line, text, fileNo, cell, word.equals("uprobe"));
            }
            case "migrate" -> {
                needMm(proc, w, word);
                Token v = ident("a mapping name");
                int vma = vmaRef(v);
                int page = 0;
                if (peek().kind() == Kind.NUMBER) {
                    page = number("the page", 0, vmaPages.get(vma) - 1);
                }
                return new Op.Migrate(line, text, reg, vma, page);
            }
            case "ksm_merge" -> {
                needMm(proc, w, word);
                noReg(reg, w);
                return new Op.KsmMerge(line, text);
            }
            case "sync", "drop_caches" -> {
                needMm(proc, w, word);
                noReg(reg, w);
                return word.equals("sync") ? new Op.Sync(line, text) : new Op.DropCaches(line, text);
            }
            case "msync" -> {
                Token v = ident("a mapping name");
                boolean sync = true;
                if (peek().is("async") || peek().is("sync")) {
                    sync = next().is("sync");
                }
                needMm(proc, w, word);
                return new Op.Msync(line, text, reg, vmaRef(v), sync);
            }
            case "sync_file_range", "punch" -> {
                Token f = ident("a file name");
                int fileNo = fileRef(f);
                int fp = files.get(fileNo).pages();
                int lo = 0;
                int count = fp;
                if (peek().kind() == Kind.NUMBER) {
                    lo = number("the first page", 0, fp - 1);
                    count = 1;
                    if (peek().kind() == Kind.NUMBER) {
                        count = number("the page count", 1, fp - lo);
                    }
                }
                needMm(proc, w, word);
                return word.equals("punch") ? new Op.Punch(line, text, reg, fileNo, lo, count)
                        : new Op.SyncFileRange(line, text, reg, fileNo, lo, count);
            }
            case "truncate" -> {
                Token f = ident("a file name");
                int fileNo = fileRef(f);
                int to = number("the new size in pages", 0, files.get(fileNo).pages());
                needMm(proc, w, word);
                return new Op.Truncate(line, text, reg, fileNo, to);
            }
            case "munmap" -> {
                Token v = ident("a mapping name");
                needMm(proc, w, word);
                noReg(reg, w);
                return new Op.Munmap(line, text, vmaRef(v));
            }
            case "mremap" -> {
                Token v = ident("a mapping name");
                int from = vmaRef(v);
                Token dst = ident("the new mapping name");
                Integer to = vmaIndex.get(dst.text());
                if (to == null) {
                    checkFreshName(dst);
                    to = vmaPages.size();
                    vmaIndex.put(dst.text(), to);
                    vmaPages.add(vmaPages.get(from));
                } else if (!vmaPages.get(to).equals(vmaPages.get(from))) {
                    throw err(dst, "PL026", "mremap moves '" + v.text() + "' (" + vmaPages.get(from) + " page(s)) onto '"
                            + dst.text() + "' (" + vmaPages.get(to) + " page(s))", "use mappings of one size");
                }
                if (to == from) {
                    throw err(dst, "PL003", "mremap needs a different mapping name to move to", null);
                }
                needMm(proc, w, word);
                noReg(reg, w);
                return new Op.Mremap(line, text, from, to);
            }
            case "mprotect" -> {
                Token v = ident("a mapping name");
                int prot = prot();
                needMm(proc, w, word);
                noReg(reg, w);
                return new Op.Mprotect(line, text, vmaRef(v), prot);
            }
            case "madvise" -> {
                Token v = ident("a mapping name");
                Token adv = ident("an advice (dontfork, dofork, dontneed, pageout, cold)");
                Op.Advice advice = null;
                for (Op.Advice a : Op.Advice.values()) {
                    if (a.word().equals(adv.text())) {
                        advice = a;
                    }
                }
                if (advice == null) {
                    throw err(adv, "PL003", "expected dontfork, dofork, dontneed, pageout, cold, mergeable or"
                            + " unmergeable", null);
                }
                needMm(proc, w, word);
                noReg(reg, w);
                return new Op.Madvise(line, text, vmaRef(v), advice);
            }
            case "exit" -> {
                needMm(proc, w, word);
                noReg(reg, w);
                return new Op.Exit(line, text);
            }
            case "fork" -> {
                Token c = ident("the child's process name");
                needMm(proc, w, word);
                noReg(reg, w);
                int child = processes.indexOf(c.text());
                if (child >= 0 && child < declaredProcesses) {
                    throw err(c, "PL024", "'" + c.text() + "' is a declared process; fork creates a new one",
                            "name the child something else");
                }
                if (forkedBy.containsKey(c.text())) {
                    throw err(c, "PL024", "process '" + c.text() + "' is already created by another fork", null);
                }
                child = processRef(c);
                if (child == proc) {
                    throw err(c, "PL024", "a process cannot fork itself into existence", null);
                }
                forkedBy.put(c.text(), proc);
                boolean stepwise = false;
                if (peek().is("stepwise")) {
                    next();
                    stepwise = true;
                }
                return new Op.Fork(line, text, child, stepwise);
            }
            case "pin", "get", "vmsplice", "uring_register", "dio_read", "dio_write" -> {
                return gupOp(w, proc, reg, line, text);
            }
            case "dma", "read_fixed", "pipe" -> {
                Token h = ident("a holder name");
                int holder = holderRef(h);
                HolderKind kind = holderKinds.get(holder);
                switch (word) {
                    case "dma" -> needKind(h, kind, HolderKind.DEVICE, HolderKind.DIO);
                    case "read_fixed" -> needKind(h, kind, HolderKind.RING);
                    default -> needKind(h, kind, HolderKind.PIPE);
                }
                Op.Gup fileIo = holderFileIo.get(holder);
                if (fileIo != null) {
                    boolean endsHere = peek().kind() == Kind.NEWLINE || peek().kind() == Kind.EOF || peek().is(";")
                            || peek().is("}");
                    if (!word.equals("dma") || !endsHere) {
                        throw err(h, "PL037", "holder '" + h.text() + "' does O_DIRECT I/O on file '"
                                + files.get(fileIo.io().file()).name() + "': its data comes from the file",
                                "write: dma " + h.text() + " (the device transfers the whole request)");
                    }
                    noReg(reg, w);
                    return new Op.DmaTransfer(line, text, holder);
                }
                if (word.equals("dma") && kind == HolderKind.DIO && !peek().is("[")) {
                    throw err(peek(), "PL003", "a dma on an O_DIRECT request without a file names a cell:"
                            + " dma " + h.text() + "[0] = 7", "or give the request a file: dio_read " + h.text()
                            + " buf from F");
                }
                expect("[");
                Token cellTok = peek();
                int cell = number("a cell index", 0, 63);
                expect("]");
                holderCellUses.add(cellTok);
                holderCellChecks.add(new int[] {holder, cell});
                if (reg >= 0) {
                    if (word.equals("read_fixed")) {
                        throw err(w, "PL003", "read_fixed writes the buffer; it has no result", null);
                    }
                    return new Op.DmaRead(line, text, reg, holder, cell);
                }
                if (word.equals("pipe")) {
                    throw err(w, "PL003", "a pipe is read into a register: r0 = pipe " + h.text() + "[" + cell + "]",
                            null);
                }
                expect("=");
                int value = number("a value", 0, Folio.MAX_VALUE);
                return new Op.DmaWrite(line, text, holder, cell, value);
            }
            case "release", "dio_complete", "uring_unregister" -> {
                Token h = ident("a holder name");
                int holder = holderRef(h);
                HolderKind kind = holderKinds.get(holder);
                boolean dirty;
                switch (word) {
                    case "release" -> {
                        needKind(h, kind, HolderKind.DEVICE, HolderKind.PIPE);
                        dirty = peek().is("dirty");
                        if (dirty) {
                            next();
                        }
                    }
                    case "dio_complete" -> {
                        needKind(h, kind, HolderKind.DIO);
                        dirty = true;
                    }
                    default -> {
                        needKind(h, kind, HolderKind.RING);
                        dirty = false;
                    }
                }
                noReg(reg, w);
                return new Op.Release(line, text, holder, dirty);
            }
            case "wait" -> {
                Token h = ident("a holder or process name");
                noReg(reg, w);
                if (!holderIndex.containsKey(h.text())) {
                    // not a holder: waitpid() for a process (one a fork creates; PL011 otherwise)
                    return new Op.WaitChild(line, text, processRef(h));
                }
                return new Op.Wait(line, text, holderRef(h));
            }
            case "signal", "await" -> {
                Token s = ident("a signal name");
                int sig = signals.indexOf(s.text());
                if (sig < 0) {
                    if (signals.size() >= 30) {
                        throw err(s, "PL030", "too many signals (30 at most)", null);
                    }
                    signals.add(s.text());
                    sig = signals.size() - 1;
                }
                noReg(reg, w);
                return word.equals("signal") ? new Op.Signal(line, text, sig) : new Op.Await(line, text, sig);
            }
            case "unpin", "unpin_user_pages", "put_page", "put" -> throw err(w, "PL025", "unknown operation '"
                    + word + "'", "a holder drops its references with 'release HOLDER' (or 'release HOLDER dirty',"
                            + " unpin_user_pages_dirty_lock)");
            default -> throw err(w, "PL025", "unknown operation '" + word + "'",
                    "operations: mmap munmap mremap mprotect madvise exit fork pin get vmsplice uring_register dio_read"
                            + " dio_write dma read_fixed pipe release dio_complete uring_unregister wait signal await"
                            + " read write fsync fdatasync sync msync sync_file_range truncate punch fadvise"
                            + " drop_caches, NAME[i] = v (store), r = NAME[i] (load)");
        }
    }

    private Op gupOp(Token w, int proc, int reg, int line, String text) throws ScenarioException {
        String word = w.text();
        needMm(proc, w, word);
        Token h = ident("a holder name");
        int holder = holderRef(h);
        HolderKind kind = holderKinds.get(holder);
        Op.Via via;
        int flags = 0;
        switch (word) {
            case "pin" -> {
                via = Op.Via.PIN;
                needKind(h, kind, HolderKind.DEVICE);
            }
            case "get" -> {
                via = Op.Via.GET;
                needKind(h, kind, HolderKind.DEVICE);
            }
            case "vmsplice" -> {
                via = Op.Via.VMSPLICE;
                needKind(h, kind, HolderKind.PIPE);
            }
            case "uring_register" -> {
                via = Op.Via.URING;
                needKind(h, kind, HolderKind.RING);
            }
            case "dio_read" -> {
                via = Op.Via.DIO;
                flags = Holder.WRITE;
                needKind(h, kind, HolderKind.DIO);
            }
            default -> {
                via = Op.Via.DIO;
                needKind(h, kind, HolderKind.DIO);
            }
        }
        if (holderGup.containsKey(holder)) {
            Token prev = holderGup.get(holder);
            throw err(h, "PL023", "holder '" + h.text() + "' already takes references at line " + prev.line(),
                    "declare one holder per GUP call");
        }
        holderGup.put(holder, h);
        Token v = ident("a mapping name");
        int vma = vmaRef(v);
        int pages = vmaPages.get(vma);
        int first = 0;
        int count = pages;
        if (peek().kind() == Kind.NUMBER) {
            first = number("the first page", 0, pages - 1);
            count = 1;
            if (peek().kind() == Kind.NUMBER) {
                count = number("the page count", 1, pages - first);
            }
        }
        boolean fast = false;
        while (peek().kind() == Kind.IDENT && !peek().is("from") && !peek().is("to")) {
            Token f = next();
            if (f.is("gup_fast")) {
                if (word.equals("uring_register")) {
                    throw err(f, "PL007", "uring_register is modelled as one slow-path call (io_uring's pin_user_pages_fast() and"
                            + " its fallback are one step to the ring); use pin ... write longterm gup_fast for the fast path",
                            null);
                }
                fast = true;
                continue;
            }
            boolean flagOk = word.equals("pin") || word.equals("get");
            int bit = switch (f.text()) {
                case "write" -> Holder.WRITE;
                case "longterm" -> Holder.LONGTERM;
                case "force" -> Holder.FORCE;
                default -> throw err(f, "PL007", "unknown GUP flag '" + f.text() + "'",
                        "flags: write longterm force gup_fast");
            };
            if (!flagOk) {
                throw err(f, "PL007", word + " takes no flags: the kernel path chooses them", null);
            }
            if (bit == Holder.LONGTERM && word.equals("get")) {
                throw err(f, "PL007", "FOLL_LONGTERM needs FOLL_PIN: use pin", "\"FOLL_PIN is a prerequisite to"
                        + " FOLL_LONGTERM\" (Documentation/core-api/pin_user_pages.rst)");
            }
            flags |= bit;
        }
        holderSlots.set(holder, Math.max(holderSlots.get(holder), count));
        Op.FileIo io = null;
        if ((word.equals("dio_read") && peek().is("from")) || (word.equals("dio_write") && peek().is("to"))) {
            next();
            Token f = ident("a file name");
            int fileNo = fileRef(f);
            Scenario.FileDecl fd = files.get(fileNo);
            int at = 0;
            if (peek().kind() == Kind.NUMBER) {
                at = number("the file page", 0, fd.pages() - 1);
            }
            if (at + count > fd.pages()) {
                throw err(f, "PL015", "the request covers file pages " + at + ".." + (at + count - 1) + " but '"
                        + f.text() + "' has " + fd.pages() + " page(s)", null);
            }
            io = new Op.FileIo(fileNo, at, word.equals("dio_write"));
            if (fast) {
                throw err(f, "PL007", "gup_fast on an O_DIRECT request on a file is not modelled yet",
                        "the request's GUP runs the slow path; drop gup_fast");
            }
        } else if (peek().is("from") || peek().is("to")) {
            throw err(peek(), "PL003", word + " takes '" + (word.equals("dio_read") ? "from" : "to")
                    + " FILE', not '" + peek().text() + "'", null);
        }
        Op.Gup g = new Op.Gup(line, text, reg, holder, vma, first, count, via, flags, io, fast);
        if (io != null) {
            holderFileIo.put(holder, g);
        }
        return g;
    }

    private void needKind(Token h, HolderKind kind, HolderKind... ok) throws ScenarioException {
        for (HolderKind k : ok) {
            if (k == kind) {
                return;
            }
        }
        StringBuilder kinds = new StringBuilder();
        for (int i = 0; i < ok.length; i++) {
            kinds.append(i == 0 ? "" : " or ").append(ok[i].name().toLowerCase(Locale.ROOT));
        }
        String hint = switch (kind) {
            case RING -> "a ring is used with uring_register, read_fixed and uring_unregister";
            case DIO -> "a dio request is used with dio_read/dio_write, dma, dio_complete and wait";
            case PIPE -> "a pipe is used with vmsplice, pipe (read) and release";
            case DEVICE -> "a device is used with pin/get, dma and release";
        };
        throw err(h, "PL014", "holder '" + h.text() + "' is a " + kind.name().toLowerCase(Locale.ROOT)
                + "; this operation takes a " + kinds + " holder", hint);
    }

    private void needMm(int proc, Token at, String what) throws ScenarioException {
        if (proc < 0) {
            throw err(at, "PL022", what + " needs a process: device threads only do DMA, completion and waits",
                    "run it in a thread declared '@ PROCESS'");
        }
    }

    private void noReg(int reg, Token at) throws ScenarioException {
        if (reg >= 0) {
            throw err(at, "PL003", "'" + at.text() + "' has no result to assign", null);
        }
    }

    private int prot() throws ScenarioException {
        Token p = ident("a protection (rw, r, none)");
        return switch (p.text()) {
            case "rw" -> Vma.READ | Vma.WRITE;
            case "r" -> Vma.READ;
            case "none" -> 0;
            default -> throw err(p, "PL008", "unknown protection '" + p.text() + "'", "use rw, r or none");
        };
    }

    private int vmaRef(Token v) throws ScenarioException {
        Integer i = vmaIndex.get(v.text());
        if (i == null) {
            throw err(v, "PL012", "unknown mapping '" + v.text() + "'", "mmap it earlier in the file (setup or"
                    + " this thread)");
        }
        return i;
    }

    private int holderRef(Token h) throws ScenarioException {
        Integer i = holderIndex.get(h.text());
        if (i == null) {
            throw err(h, "PL013", "unknown holder '" + h.text() + "'", "declare it: holder device|pipe|ring|dio "
                    + h.text());
        }
        return i;
    }

    private int cellIndex(int vma) throws ScenarioException {
        expect("[");
        Token t = peek();
        int cells = vmaPages.get(vma) * Folio.CELLS;
        int c = number("a cell index", 0, Integer.MAX_VALUE);
        if (c >= cells) {
            throw err(t, "PL015", "cell " + c + " is beyond the mapping (" + vmaPages.get(vma) + " page(s), "
                    + cells + " cells: " + Folio.CELLS + " per page)", null);
        }
        expect("]");
        return c;
    }

    // ---- condition ---------------------------------------------------------------------------------

    private void conditionDecl() throws ScenarioException {
        Token q = next();
        if (condition != null) {
            throw err(q, "PL010", "a scenario has one final condition", null);
        }
        Condition.Quantifier quant;
        if (q.is("~")) {
            Token e = next();
            if (!e.is("exists")) {
                throw err(e, "PL003", "expected 'exists' after '~'", null);
            }
            quant = Condition.Quantifier.NOT_EXISTS;
        } else {
            quant = q.text().equals("exists") ? Condition.Quantifier.EXISTS : Condition.Quantifier.FORALL;
        }
        String label = null;
        if (peek().kind() == Kind.STRING) {
            label = next().text();
        }
        skipNewlines();
        int from = pos;
        Expr e = orExpr();
        StringBuilder text = new StringBuilder(quant.word());
        if (label != null) {
            text.append(" \"").append(label).append('"');
        }
        text.append(' ').append(tokensText(from, pos));
        condition = new Condition(quant, label, e, q.line(), text.toString());
    }

    /** Returns tokens {@code [from, to)} as one line of text, spaced as people write conditions. */
    private String tokensText(int from, int to) {
        StringBuilder sb = new StringBuilder();
        String prev = "";
        for (int k = from; k < to; k++) {
            Token t = toks.get(k);
            if (t.kind() == Kind.NEWLINE) {
                continue;
            }
            String x = t.kind() == Kind.STRING ? "\"" + t.text() + "\"" : t.text();
            boolean tight = prev.isEmpty() || prev.equals("(") || prev.equals("[") || prev.equals(":")
                    || prev.equals("~") || prev.equals("-")
                    || x.equals(")") || x.equals("]") || x.equals("[") || x.equals(":") || x.equals(",")
                    || (x.equals("(") && (prev.equals("event") || prev.equals("same")));
            if (!tight) {
                sb.append(' ');
            }
            sb.append(x);
            prev = x;
        }
        return sb.toString();
    }

    private void skipNl() {
        while (peek().kind() == Kind.NEWLINE) {
            next();
        }
    }

    /** The deepest nesting of parentheses and negations a condition may have (PL039). */
    public static final int MAX_CONDITION_DEPTH = 64;
    /** The most operators (and, or, not) a condition may have (PL039). */
    public static final int MAX_CONDITION_OPERATORS = 256;

    private int condDepth;
    private int condOps;

    private void condOp(Token at) throws ScenarioException {
        if (++condOps > MAX_CONDITION_OPERATORS) {
            throw err(at, "PL039", "the condition has more than " + MAX_CONDITION_OPERATORS + " operators",
                    "split the question into several scenarios");
        }
    }

    private void condNest(Token at) throws ScenarioException {
        if (++condDepth > MAX_CONDITION_DEPTH) {
            throw err(at, "PL039", "the condition nests parentheses and negations more than " + MAX_CONDITION_DEPTH
                    + " deep", "simplify it");
        }
    }

    private Expr orExpr() throws ScenarioException {
        Expr left = andExpr();
        skipNlIfContinues("\\/");
        while (peek().is("\\/")) {
            condOp(next());
            skipNl();
            left = new Expr.Or(left, andExpr());
            skipNlIfContinues("\\/");
        }
        return left;
    }

    private Expr andExpr() throws ScenarioException {
        Expr left = unary();
        skipNlIfContinues("/\\");
        while (peek().is("/\\")) {
            condOp(next());
            skipNl();
            left = new Expr.And(left, unary());
            skipNlIfContinues("/\\");
        }
        return left;
    }

    /** Lets a long condition continue on the next line when that line starts with the operator. */
    private void skipNlIfContinues(String op) {
        int k = pos;
        while (toks.get(k).kind() == Kind.NEWLINE) {
            k++;
        }
        if (toks.get(k).is(op) || toks.get(k).is(op.equals("/\\") ? "\\/" : "/\\")) {
            pos = k;
        }
    }

    private Expr unary() throws ScenarioException {
        Token t = peek();
        if (t.is("~") || t.is("not")) {
            next();
            condOp(t);
            condNest(t);
            Expr inner = unary();
            condDepth--;
            return new Expr.Not(inner);
        }
        if (t.is("(")) {
            next();
            condNest(t);
            skipNl();
            Expr e = orExpr();
            condDepth--;
            skipNl();
            Token close = next();
            if (!close.is(")")) {
                throw err(close, "PL003", "expected ')' to close the '(' at " + t.line() + ":" + t.col()
                        + " but found " + describe(close), null);
            }
            return e;
        }
        if (t.is("true") || t.is("false")) {
            next();
            return new Expr.Bool(t.text().equals("true"));
        }
        if (t.is("event")) {
            next();
            expect("(");
            Token id = ident("an event name");
            Event ev = Event.byId(id.text());
            if (ev == null) {
                throw err(id, "PL019", "unknown event '" + id.text() + "'", "events: " + eventIds());
            }
            expect(")");
            return new Expr.Happened(ev);
        }
        if (t.is("same")) {
            next();
            expect("(");
            Term a = term();
            expect(",");
            Term b = term();
            expect(")");
            if (!(a instanceof Term.Cell || a instanceof Term.HolderCell)
                    || !(b instanceof Term.Cell || b instanceof Term.HolderCell)) {
                throw err(t, "PL020", "same() compares two cells: same(P:buf[0], C:buf[0])", null);
            }
            return new Expr.Same(a, b);
        }
        Term left = term();
        Token op = next();
        if (!op.is("=") && !op.is("!=")) {
            throw err(op, "PL003", "expected '=' or '!=' but found " + describe(op), null);
        }
        Term right = term();
        return new Expr.Eq(left, right, op.is("!="));
    }

    private static String eventIds() {
        StringBuilder sb = new StringBuilder();
        for (Event e : Event.values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(e.id());
        }
        return sb.toString();
    }

    private Term term() throws ScenarioException {
        Token t = next();
        if (t.kind() == Kind.NUMBER) {
            return new Term.Const(t.text(), number(t));
        }
        if (t.is("-")) {
            Token e = ident("an errno name such as EFAULT");
            int v = Kernel.errnoByName(e.text());
            if (v < 0) {
                throw err(e, "PL017", "unknown errno '" + e.text() + "'", "known: " + Kernel.errnoNames());
            }
            return new Term.Const("-" + e.text(), -v);
        }
        if (t.kind() != Kind.IDENT) {
            throw err(t, "PL003", "expected a term (T:r0, P:buf[0], holder[0], a number) but found " + describe(t),
                    t.is("=") ? "the format compares with a single '=' (and '~(a = b)' for 'not equal')" : null);
        }
        if (t.is("none")) {
            return new Term.Const("none", Kernel.NONE);
        }
        if ((t.is("disk") || t.is("cache") || t.is("file")) && peek().kind() == Kind.IDENT
                && peek(1).is("[")) {
            Token f = next();
            int fileNo = fileRef(f);
            Scenario.FileDecl fd = files.get(fileNo);
            int cell = fileCell(fileNo);
            String text = t.text() + " " + f.text() + "[" + cell + "]";
            if (t.is("disk")) {
                if (!fd.fs().onDisk() && fd.fs() != pinlab.model.FileSystem.FSDAX) {
                    throw err(f, "PL034", "file '" + f.text() + "' is on " + fd.fs().id() + ", which has no disk",
                            "read it with cache " + f.text() + "[" + cell + "] or file " + f.text() + "[" + cell + "]");
                }
                return new Term.Disk(text, fileNo, cell);
            }
            return t.is("cache") ? new Term.Cache(text, fileNo, cell) : new Term.FileRead(text, fileNo, cell);
        }
        if (peek().is("[")) {
            int h = holderRef(t);
            next();
            Token cellTok = peek();
            int cell = number("a cell index", 0, 63);
            expect("]");
            holderCellUses.add(cellTok);
            holderCellChecks.add(new int[] {h, cell});
            return new Term.HolderCell(t.text() + "[" + cell + "]", h, cell);
        }
        expect(":");
        Token what = ident("a register or mapping name");
        if (peek().is("[")) {
            int p = processes.indexOf(t.text());
            if (p < 0) {
                throw err(t, "PL011", "unknown process '" + t.text() + "'", null);
            }
            int vma = vmaRef(what);
            int cell = cellIndex(vma);
            return new Term.Cell(t.text() + ":" + what.text() + "[" + cell + "]", p, vma, cell);
        }
        int th = threadIndexOf(t.text());
        if (th < 0) {
            throw err(t, "PL020", "unknown thread '" + t.text() + "'", "registers are written T:r0 with T a thread"
                    + " declared above the condition");
        }
        int r = threads.get(th).registers().indexOf(what.text());
        if (r < 0) {
            throw err(what, "PL020", "thread " + t.text() + " has no register '" + what.text() + "'", null);
        }
        return new Term.Reg(t.text() + ":" + what.text(), th, r);
    }

    private int number(Token t) throws ScenarioException {
        try {
            return Integer.parseInt(t.text());
        } catch (NumberFormatException e) {
            throw err(t, "PL017", "number " + t.text() + " is out of range", null);
        }
    }

    private void locationsDecl() throws ScenarioException {
        expect("[");
        while (!peek().is("]")) {
            Token at = peek();
            Term term = term();
            if (term instanceof Term.Const) {
                throw err(at, "PL003", "locations lists cells and registers, not constants", null);
            }
            locations.add(term);
            if (peek().is(";") || peek().is(",")) {
                next();
            } else if (!peek().is("]")) {
                throw err(peek(), "PL003", "expected ';' or ']' but found " + describe(peek()), null);
            }
        }
        expect("]");
    }

    private void expectDecl(Token kw) throws ScenarioException {
        List<String> pols = new ArrayList<>();
        do {
            skipNl();
            Token p = ident("a policy name");
            String name;
            if (p.text().equals("host")) {
                throw err(p, "PL018", "an expectation names a kernel, not host (which depends on the machine)",
                        "e.g. expect linux-6.18: Never");
            }
            try {
                name = Policies.resolve(p.text()).name(); // a release such as 6.1 is named linux-6.1
            } catch (Policies.UnknownPolicy e) {
                throw err(p, "PL018", e.getMessage(), "see: pinlab policies");
            }
            for (Scenario.Expectation e : expectations) {
                if (e.policies().contains(name)) {
                    throw err(p, "PL029", "policy '" + name + "' already has an expectation at line " + e.line(),
                            null);
                }
            }
            if (pols.contains(name)) {
                throw err(p, "PL029", "policy '" + name + "' is listed twice", null);
            }
            pols.add(name);
        } while (peek().is(",") && next() != null);
        expect(":");
        Token o = ident("Never, Sometimes or Always");
        Observation obs = switch (o.text()) {
            case "Never" -> Observation.NEVER;
            case "Sometimes" -> Observation.SOMETIMES;
            case "Always" -> Observation.ALWAYS;
            default -> throw err(o, "PL009", "unknown result '" + o.text() + "'", "use Never, Sometimes or Always");
        };
        List<String> viol = new ArrayList<>();
        if (peek().is("with")) {
            next();
            do {
                Token v = ident("a violation name");
                Event e = Event.byId(v.text());
                if (!v.text().equals("stall") && !v.text().equals("deadlock") && (e == null || !e.isViolation())) {
                    throw err(v, "PL019", "unknown violation '" + v.text() + "'", "violations: stall, deadlock, "
                            + violationIds());
                }
                viol.add(v.text());
            } while (peek().is(",") && next() != null);
        }
        expectations.add(new Scenario.Expectation(List.copyOf(pols), obs, List.copyOf(viol), kw.line()));
    }

    private static String violationIds() {
        StringBuilder sb = new StringBuilder();
        for (Event e : Event.values()) {
            if (e.isViolation()) {
                sb.append(sb.length() == 0 ? "" : ", ").append(e.id());
            }
        }
        return sb.toString();
    }
}
