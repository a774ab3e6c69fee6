package pinlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import pinlab.Pinlab;
import pinlab.engine.Limits;
import pinlab.policy.Policies;
import pinlab.policy.Policy;
import pinlab.report.CheckResult;
import pinlab.report.JsonReport;
import pinlab.report.PolicyReport;
import pinlab.report.TextReport;
import pinlab.scenario.Corpus;
import pinlab.scenario.Parser;
import pinlab.scenario.Scenario;
import pinlab.scenario.ScenarioException;
import pinlab.scenario.ScenarioModel;

/** The pinlab command line. */
@Command(name = "pinlab", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "An executable model of Linux page pinning, COW, fork and DMA, with an exhaustive checker.",
        footer = {"", "Exit codes:", "  0  every result matches its expectation",
            "  1  a result does not match its expectation, or a violation nobody expected",
            "  2  bad usage or a bad scenario (file:line:col: error CODE)",
            "  3  incomplete: a limit stopped the exploration (never read as safe)"})
public final class Main implements Callable<Integer> {
    /** {@code --version}: the jar's version, the pom's. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"pinlab " + JsonReport.version()};
        }
    }

    /** Exit code: every result matches. */
    public static final int OK = 0;
    /** Exit code: a mismatch or an unexpected violation. */
    public static final int MISMATCH = 1;
    /** Exit code: bad usage or a bad scenario. */
    public static final int BAD_INPUT = 2;
    /** Exit code: an exploration did not finish. */
    public static final int INCOMPLETE = 3;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return BAD_INPUT;
    }

    /** Returns the subcommands by name, in the order help lists them. */
    private static Map<String, java.util.function.Supplier<Object>> subcommands() {
        Map<String, java.util.function.Supplier<Object>> m = new java.util.LinkedHashMap<>();
        m.put("matrix", MatrixCmd::new);
        m.put("check", Check::new);
        m.put("list", ListCmd::new);
        m.put("diff", DiffCmd::new);
        m.put("bisect", BisectCmd::new);
        m.put("explain", ExplainCmd::new);
        m.put("compare", CompareCmd::new);
        m.put("policies", PoliciesCmd::new);
        m.put("bench", Bench::new);
        m.put("replay", Replay::new);
        m.put("gen", GenCmd::new);
        m.put("merge", MergeCmd::new);
        m.put("completion", CompletionCmd::new);
        return m;
    }

    /** Runs the command line and returns the exit code. */
    public static int run(String[] args, PrintWriter rawOut, PrintWriter rawErr) {
        // scenario text (titles, names, sources) reaches both: no control character gets through
        PrintWriter out = new PrintWriter(new SafeWriter(rawOut), false);
        PrintWriter err = new PrintWriter(new SafeWriter(rawErr), true);
        CommandLine cl = new CommandLine(new Main());
        // Building picocli's model of a command costs start-up time (its classes are too old for the class-data
        // cache): register only the subcommand asked for, or all of them for help and for a mistyped name.
        Map<String, java.util.function.Supplier<Object>> commands = subcommands();
        if (args.length > 0 && commands.containsKey(args[0])) {
            cl.addSubcommand(args[0], commands.get(args[0]).get());
        } else {
            commands.forEach((name, make) -> cl.addSubcommand(name, make.get()));
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.getCommandSpec().exitCodeOnInvalidInput(BAD_INPUT);
        cl.getSubcommands().values().forEach(c -> c.getCommandSpec().exitCodeOnInvalidInput(BAD_INPUT));
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            err.println("pinlab: internal error: " + ex);
            for (StackTraceElement e : ex.getStackTrace()) {
                err.println("    at " + e);
            }
            return 70;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /**
     * Returns the policies a scenario's expect lines name: the presets in kernel order, then the expressions
     * (overlays, switched rules) in the order the file gives them; the host policy if there is none.
     */
    static List<Policy> expectedPolicies(Scenario sc) {
        List<Policy> out = new ArrayList<>();
        for (Policy p : Policies.all()) {
            if (sc.expectationFor(p.name()) != null) {
                out.add(p);
            }
        }
        for (Scenario.Expectation e : sc.expectations()) {
            for (String n : e.policies()) {
                if (Policies.byName(n) == null) {
                    out.add(Policies.resolve(n));
                }
            }
        }
        if (out.isEmpty()) {
            out.add(Policies.host());
        }
        return out;
    }

    /** Resolves a policy expression, or prints why not (with the command's name) and returns null. */
    static Policy policy(String expr, PrintWriter err, String cmd) {
        try {
            Policy p = Policies.resolve(expr);
            // a release between presets, itself or under overlays: say which rules it got
            Policy release = Policies.isRelease(p) ? p
                    : p.parent() != null && Policies.isRelease(p.parent()) ? p.parent() : null;
            if (expr.equals("host")) {
                err.println(cmd + ": host is " + p.name() + " (uname -r: " + Policies.hostRelease() + ")"
                        + (release != null ? ": " + release.description() : ""));
            } else if (release != null) {
                err.println(cmd + ": " + release.description());
            }
            return p;
        } catch (Policies.UnknownPolicy e) {
            err.println(cmd + ": " + e.getMessage());
            return null;
        }
    }

    /** Resolves policy expressions in order, or prints why the first bad one fails and returns null. */
    static List<Policy> policies(List<String> exprs, PrintWriter err, String cmd) {
        List<Policy> out = new ArrayList<>();
        for (String n : exprs) {
            Policy p = policy(n, err, cmd);
            if (p == null) {
                return null;
            }
            out.add(p);
        }
        return out;
    }

    /** Entry point. */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, false, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        System.exit(run(args, out, err));
    }

    /** Output formats. */
    enum Format { text, json }

    /** check's output formats: also herd7's own result blocks. */
    enum CheckFormat { text, json, jsonl, herd }

    /** Which traces to print. */
    enum Traces { witness, all }

    /** {@code pinlab completion}. */
    @Command(name = "completion", mixinStandardHelpOptions = true,
            description = {"Print a shell completion script for bash and zsh (picocli's AutoComplete): commands,",
                "options and their choices.", "bash: source <(./pinlab completion); zsh: autoload -U bashcompinit &&"
                        + " bashcompinit && source <(./pinlab completion)"})
    static final class CompletionCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            CommandLine all = new CommandLine(new Main());
            subcommands().forEach((name, make) -> all.addSubcommand(name, make.get()));
            PrintWriter out = spec.commandLine().getOut();
            out.print(picocli.AutoComplete.bash("pinlab", all));
            out.flush();
            return OK;
        }
    }

    /** {@code pinlab diff}. */
    @Command(name = "diff", mixinStandardHelpOptions = true,
            description = {"Why a scenario fails under one policy and not under another: the failing run, replayed step",
                "for step under the other policy, side by side, with the first step where they part marked and the",
                "rules that decide it named with their sources."})
    static final class DiffCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "SCENARIO", description = "A scenario file or a corpus scenario's name.")
        Path file;

        @Parameters(index = "1", paramLabel = "POLICY-A", description = "A policy, e.g. linux-5.9.")
        String a;

        @Parameters(index = "2", paramLabel = "POLICY-B", description = "Another policy, e.g. linux-6.5.")
        String b;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Policy pa = policy(a, err, "pinlab diff");
            Policy pb = pa == null ? null : policy(b, err, "pinlab diff");
            if (pb == null) {
                return BAD_INPUT;
            }
            boolean[] bad = {false};
            List<Scenario> scenarios = loadScenarios(List.of(file), err, bad);
            if (scenarios.size() != 1) {
                return BAD_INPUT;
            }
            pinlab.report.Diff d = Pinlab.diff(scenarios.get(0), pa, pb);
            out.print(d.text());
            out.flush();
            return d.kind() == pinlab.report.Diff.Kind.INCOMPLETE ? INCOMPLETE : OK;
        }
    }

    /** {@code pinlab list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List scenarios (default: the bundled corpus) with their topics, titles and sources; check"
                    + " takes a corpus scenario by its name.")
    static final class ListCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(arity = "0..*", paramLabel = "FILE", description = "Scenario files or folders (default: the"
                + " bundled corpus).")
        List<Path> files = new ArrayList<>();

        @Option(names = "--format", description = "One of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
        Format format = Format.text;

        @picocli.CommandLine.Mixin
        Select select = new Select();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            boolean[] bad = {false};
            List<Scenario> scenarios = select.apply(loadScenarios(files, err, bad), err, "pinlab list");
            if (scenarios == null) {
                return BAD_INPUT;
            }
            if (format == Format.json) {
                com.fasterxml.jackson.databind.ObjectMapper m = new com.fasterxml.jackson.databind.ObjectMapper();
                com.fasterxml.jackson.databind.node.ArrayNode arr = m.createArrayNode();
                for (Scenario sc : scenarios) {
                    com.fasterxml.jackson.databind.node.ObjectNode o = arr.addObject();
                    o.put("name", sc.name());
                    o.put("topic", sc.topic());
                    o.put("title", sc.title());
                    o.put("file", sc.file());
                    sc.sources().forEach(o.putArray("sources")::add);
                    sc.expectations().forEach(e -> e.policies().forEach(o.withArray("expects")::add));
                }
                out.println(m.writerWithDefaultPrettyPrinter().writeValueAsString(arr));
            } else {
                for (Scenario sc : scenarios) {
                    out.println(sc.name() + (sc.title() == null ? "" : "  " + sc.title()));
                    if (sc.topic() != null) {
                        out.println("    topic: " + sc.topic());
                    }
                    for (String src : sc.sources()) {
                        out.println("    source: " + src);
                    }
                }
                out.printf("%d scenario%s; check one by name: pinlab check NAME%n", scenarios.size(),
                        scenarios.size() == 1 ? "" : "s");
            }
            out.flush();
            return bad[0] ? BAD_INPUT : OK;
        }
    }

    /** {@code pinlab check}. */
    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Explore every interleaving of scenarios under policies and compare with their expect lines.")
    static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(arity = "0..*", paramLabel = "FILE",
                description = "Scenario files or folders of *.pin files (default: the bundled corpus).")
        List<Path> files = new ArrayList<>();

        @Option(names = "--policy", paramLabel = "NAME",
                description = "Check under this policy (repeatable). Default: the policies the scenario's"
                        + " expect lines name, or linux-6.18 if it names none.")
        List<String> policies = new ArrayList<>();

        @Option(names = "--all-policies", description = "Check under every policy.")
        boolean allPolicies;

        @Option(names = "--format", description = "One of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}):"
                + " text, json (one document), jsonl (one result per line, as each is ready), or herd (herd7's"
                + " result blocks, for mcompare7 and judgelitmus-style scripts; one policy per log). With json and"
                + " jsonl, unreadable scenarios are JSON errors too.")
        CheckFormat format = CheckFormat.text;

        @Option(names = "--traces", description = "One of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}):"
                + " witness (the condition's and violations' traces) or all (also one per outcome).")
        Traces traces = Traces.witness;

        @Option(names = "--max-states", description = "Stop after this many distinct states (0 = no limit).")
        long maxStates;

        @Option(names = "--no-timings", description = "Write every timing as 0, so that reports of two runs compare"
                + " byte for byte.")
        boolean noTimings;

        @Option(names = "--simulate", paramLabel = "N", description = "Run N random schedules instead of every"
                + " interleaving (never SAFE; exit 1 if a violation is found, else 0).")
        long simulate;

        @Option(names = "--seed", description = "The seed of --simulate's schedules (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--swarm", description = "With --simulate: split the runs over 16 configurations, each with"
                + " its own seed, actor weights and preemption bound (swarm testing).")
        boolean swarm;

        @Option(names = "--no-por", description = "Explore every interleaving, without partial-order reduction (the"
                + " reduction keeps every final state, outcome and violation; a search that finds a violation runs"
                + " again without it).")
        boolean noPor;

        @Option(names = "--no-symmetry", description = "Keep states apart that differ only by a permutation of"
                + " interchangeable threads (same process, same operations, registers not observed); by default they"
                + " are one state.")
        boolean noSymmetry;

        @Option(names = "--max-seconds", description = "Stop after this many seconds per check (0 = no limit).")
        double maxSeconds;

        @Option(names = "--workers", paramLabel = "N", description = "Threads of one exhaustive search (default: 0,"
                + " one per core). Results do not depend on it.")
        int workers;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the report to FILE.")
        Path output;

        @Option(names = {"-q", "--quiet"}, description = "Text format: print only the summary table.")
        boolean quiet;

        @picocli.CommandLine.Mixin
        Select select = new Select();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            List<Policy> chosen = policies(policies, err, "pinlab check");
            if (chosen == null) {
                return BAD_INPUT;
            }
            if (allPolicies && !chosen.isEmpty()) {
                err.println("pinlab: use --policy or --all-policies, not both");
                return BAD_INPUT;
            }
            boolean[] bad = {false};
            boolean jsonOut = format == CheckFormat.json || format == CheckFormat.jsonl;
            List<ScenarioException> unreadable = jsonOut ? new ArrayList<>() : null;
            List<Scenario> scenarios = select.apply(loadScenarios(files, err, bad, unreadable), err, "pinlab check");
            if (scenarios == null) {
                return BAD_INPUT;
            }
            boolean badInput = bad[0];
            if (scenarios.isEmpty() && files.isEmpty()) {
                err.println("pinlab: no bundled corpus found in this build");
                return BAD_INPUT;
            }
            if (!limitsOk(maxStates, maxSeconds, err, "pinlab check")) {
                return BAD_INPUT;
            }
            if (simulate < 0) {
                err.println("pinlab check: --simulate must be 1 or more");
                return BAD_INPUT;
            }
            if (workers < 0 || workers > 256) {
                err.println("pinlab check: --workers must be 0 (one per core) to 256, not " + workers);
                return BAD_INPUT;
            }
            if (format == CheckFormat.herd) {
                // a herd log holds one model: mcompare7 unions the blocks of one test in a log, as runs of one
                // test (tools/logState.ml, uniq), so a second policy's block would be merged into the first
                for (Scenario sc : scenarios) {
                    int n = allPolicies ? Policies.all().size() : !chosen.isEmpty() ? chosen.size()
                            : expectedPolicies(sc).size();
                    if (n > 1) {
                        err.println("pinlab check: --format herd writes one policy per log (mcompare7 would merge "
                                + sc.name() + "'s " + n + " blocks into one test); pick one with --policy NAME");
                        return BAD_INPUT;
                    }
                }
            }
            List<CheckResult> results = new ArrayList<>();
            if (swarm && simulate == 0) {
                err.println("pinlab check: --swarm needs --simulate N");
                return BAD_INPUT;
            }
            Limits limits = new Limits(maxStates, maxSeconds, simulate, seed, workers, swarm);
            if (noPor) {
                limits = limits.withPor(false);
            }
            if (noSymmetry) {
                limits = limits.withSymmetry(false);
            }
            boolean stream = format == CheckFormat.jsonl && output == null;
            if (stream) {
                unreadable.forEach(e -> out.print(JsonReport.errorLine(e)));
                out.flush();
            }
            for (Scenario sc : scenarios) {
                List<Policy> pols = chosen;
                if (allPolicies) {
                    pols = Policies.all();
                } else if (pols.isEmpty()) {
                    pols = expectedPolicies(sc);
                }
                for (Policy p : pols) {
                    String what = sc.name() + " under " + p.name();
                    ProgressLine line = new ProgressLine(limits);
                    results.add(Pinlab.check(sc, p, limits, traces == Traces.all,
                            (states, trans, depth, queue, expanded, secs) -> err.println("pinlab: " + what + ": "
                                    + line.text(states, trans, depth, queue, expanded, secs))));
                    if (stream) {
                        // one line as each result is ready
                        CheckResult last = results.get(results.size() - 1);
                        out.print(JsonReport.line(noTimings ? last.withoutTimings() : last));
                        out.flush();
                    }
                }
            }
            if (noTimings) {
                results.replaceAll(CheckResult::withoutTimings);
            }
            String report;
            if (format == CheckFormat.json) {
                report = JsonReport.render(results, unreadable);
            } else if (format == CheckFormat.jsonl) {
                StringBuilder sb = new StringBuilder();
                if (!stream) {
                    unreadable.forEach(e -> sb.append(JsonReport.errorLine(e)));
                    results.forEach(r -> sb.append(JsonReport.line(r)));
                }
                report = sb.toString();
            } else if (format == CheckFormat.herd) {
                Map<String, String> texts = new java.util.HashMap<>();
                scenarios.forEach(sc -> texts.putIfAbsent(sc.name(), sc.text()));
                report = pinlab.report.HerdReport.render(results, texts);
                long left = results.stream().filter(r -> !r.complete() || r.notApplicable() != null).count();
                if (left > 0) {
                    err.println("pinlab check: " + left + " result(s) without a herd block (incomplete or not"
                            + " applicable)");
                }
            } else {
                StringBuilder sb = new StringBuilder();
                // several scenarios: by default only the results worth reading in full (a failure, a mismatch, a
                // violation, an incomplete run); --traces (witness or all) asks for every one
                boolean brief = scenarios.size() > 1 && !spec.commandLine().getParseResult().hasMatchedOption("--traces");
                int skipped = 0;
                if (!quiet) {
                    for (CheckResult r : results) {
                        if (brief && !notable(r)) {
                            skipped++;
                            continue;
                        }
                        sb.append(TextReport.render(r));
                        String why = whySafe(r, scenarios);
                        if (why != null) {
                            sb.append(why).append('\n');
                        }
                        sb.append('\n');
                    }
                    if (skipped > 0) {
                        sb.append(skipped).append(" more result").append(skipped == 1 ? "" : "s")
                                .append(" (safe and as expected) in the summary only; --traces witness or --traces all"
                                        + " prints them in full\n\n");
                    }
                }
                if (results.size() > 1 || quiet) {
                    sb.append(TextReport.summary(results));
                }
                report = sb.toString();
            }
            if (results.isEmpty()) {
                if (jsonOut && !unreadable.isEmpty()) {
                    out.print(report); // the errors, as JSON
                    out.flush();
                }
                err.println("pinlab check: no scenario was checked");
                return BAD_INPUT;
            }
            if (output != null) {
                if (!writeOutput(output, report, files, err, "pinlab check")) {
                    return BAD_INPUT;
                }
            } else {
                out.print(report);
            }
            out.flush();
            if (simulate > 0 && !badInput) {
                // asked for: a simulation's verdict is whether it found a violation, never that all is safe
                return results.stream().anyMatch(r -> !r.violations().isEmpty()) ? MISMATCH : OK;
            }
            return exitCode(results, badInput);
        }
    }

    /**
     * One progress line of a long search: the counts and the rate, how far the current level is, and the time
     * that is known to be left. A breadth-first search cannot know the size of the levels to come, so the only
     * estimates are for the current level (from its rate so far) and for a state or time limit.
     */
    static final class ProgressLine {
        private final Limits limits;
        private int level = -1;
        private double levelStart;
        private long levelStartExpanded;

        ProgressLine(Limits limits) {
            this.limits = limits;
        }

        String text(long states, long transitions, int depth, long queue, long expanded, double secs) {
            if (depth != level) {
                level = depth;
                levelStart = secs;
                levelStartExpanded = expanded;
            }
            StringBuilder sb = new StringBuilder(String.format(java.util.Locale.ROOT,
                    "%,d states, %,d transitions, %.0f s (%,.0f states/s); level %d: %d%% of its %,d states", states,
                    transitions, secs, secs > 0 ? states / secs : 0.0, depth,
                    queue > 0 ? Math.min(100, expanded * 100 / queue) : 100, queue));
            double spent = secs - levelStart;
            long done = expanded - levelStartExpanded;
            if (done > 0 && spent >= 1 && expanded < queue) {
                sb.append(String.format(java.util.Locale.ROOT, ", about %s left in it",
                        duration(spent * (queue - expanded) / done)));
            }
            if (limits.maxStates() > 0 && secs > 0 && states > 0 && states < limits.maxStates()) {
                sb.append(String.format(java.util.Locale.ROOT, "; the state limit in about %s",
                        duration((limits.maxStates() - states) / (states / secs))));
            }
            if (limits.maxSeconds() > 0) {
                sb.append(String.format(java.util.Locale.ROOT, "; the time limit in %s",
                        duration(Math.max(0, limits.maxSeconds() - secs))));
            }
            return sb.toString();
        }

        static String duration(double s) {
            if (s < 120) {
                return String.format(java.util.Locale.ROOT, "%.0f s", s);
            }
            if (s < 90 * 60) {
                return String.format(java.util.Locale.ROOT, "%.0f min", s / 60);
            }
            return String.format(java.util.Locale.ROOT, "%.1f h", s / 3600);
        }
    }

    /**
     * For a SAFE result of a scenario whose expect lines say it fails under another policy: the {@code pinlab diff}
     * that replays that policy's failing run here, or null.
     */
    static String whySafe(CheckResult r, List<Scenario> scenarios) {
        if (r.headline().kind() != pinlab.report.Cell.Kind.SAFE) {
            return null;
        }
        for (Scenario sc : scenarios) {
            if (!sc.name().equals(r.scenario()) || !sc.file().equals(r.about().file())) {
                continue;
            }
            boolean forall = sc.condition().quantifier() == pinlab.scenario.Condition.Quantifier.FORALL;
            String here = Policies.versionOf(Policies.resolve(r.policy()));
            // the failing policy nearest below this one (the change that made it safe), else the nearest above
            record Failing(String name, String version, Scenario.Expectation line) {}
            List<Failing> failing = new ArrayList<>();
            for (Scenario.Expectation e : sc.expectations()) {
                boolean fails = forall ? e.observation() != pinlab.scenario.Observation.ALWAYS
                        : e.observation() != pinlab.scenario.Observation.NEVER;
                for (String name : fails ? e.policies() : List.<String>of()) {
                    if (!name.equals(r.policy())) {
                        failing.add(new Failing(name, Policies.versionOf(Policies.resolve(name)), e));
                    }
                }
            }
            java.util.Comparator<Failing> byVersion = (x, y) -> Policies.compareVersions(x.version(), y.version());
            Failing nearest = failing.stream().filter(f -> Policies.compareVersions(f.version(), here) <= 0)
                    .max(byVersion).orElse(failing.stream().min(byVersion).orElse(null));
            if (nearest != null) {
                String best = nearest.name();
                Scenario.Expectation bestLine = nearest.line();
                return "Why it is safe here: pinlab diff " + sc.name() + " " + best + " " + r.policy()
                        + " replays the run that fails under " + best + " (line " + bestLine.line() + " expects "
                        + bestLine.observation().word() + ") and names the rules where the two part.";
            }
        }
        return null;
    }

    /** Whether a result is worth printing in full among many: a failure, a mismatch, a violation, unfinished. */
    static boolean notable(CheckResult r) {
        return switch (r.verdict()) {
            case MISMATCH, VIOLATION, INCOMPLETE -> true;
            default -> r.about().failure() != null && !java.util.EnumSet.of(pinlab.report.Cell.Kind.SAFE,
                    pinlab.report.Cell.Kind.NOT_APPLICABLE, pinlab.report.Cell.Kind.NOT_ASKED)
                    .contains(r.headline().kind());
        };
    }

    /**
     * Writes an output file, refusing one that is a scenario input (or inside an input folder with the scenario
     * extension) and reporting a missing folder, a directory or a write error cleanly; returns whether it worked.
     */
    static boolean writeOutput(Path to, String content, List<Path> inputs, PrintWriter err, String cmd) {
        for (Path in : inputs) {
            try {
                if (Files.exists(to) && Files.exists(in) && Files.isSameFile(to, in)) {
                    err.println(cmd + ": will not write " + to + ": it is one of the scenario inputs");
                    return false;
                }
            } catch (IOException e) {
                // cannot tell: go on, the write itself reports any problem
            }
        }
        if (Files.isDirectory(to)) {
            err.println(cmd + ": cannot write " + to + ": it is a directory");
            return false;
        }
        Path parent = to.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            err.println(cmd + ": cannot write " + to + ": no folder " + parent);
            return false;
        }
        try {
            Files.writeString(to, content, StandardCharsets.UTF_8);
            return true;
        } catch (IOException e) {
            err.println(cmd + ": cannot write " + to + ": " + (e.getMessage() == null ? e.getClass().getSimpleName()
                    : e.getMessage()));
            return false;
        }
    }

    /** Checks the limit options: a negative, infinite or NaN limit is bad usage, never "no limit". */
    static boolean limitsOk(long maxStates, double maxSeconds, PrintWriter err, String cmd) {
        if (maxStates < 0) {
            err.println(cmd + ": --max-states must be 0 (no limit) or more, not " + maxStates);
            return false;
        }
        if (!Double.isFinite(maxSeconds) || maxSeconds < 0) {
            err.println(cmd + ": --max-seconds must be a finite number, 0 (no limit) or more, not " + maxSeconds);
            return false;
        }
        return true;
    }

    /** Returns the exit code for a set of results. */
    static int exitCode(List<CheckResult> results, boolean badInput) {
        if (badInput) {
            return BAD_INPUT;
        }
        boolean mismatch = false;
        boolean incomplete = false;
        for (CheckResult r : results) {
            switch (r.verdict()) {
                case MISMATCH, VIOLATION -> mismatch = true;
                case INCOMPLETE -> incomplete = true;
                default -> { }
            }
        }
        if (mismatch) {
            return MISMATCH;
        }
        return incomplete ? INCOMPLETE : OK;
    }

    private static void readInto(Path p, List<Corpus.Entry> inputs, PrintWriter err, boolean[] bad,
            List<ScenarioException> sink) {
        try {
            inputs.add(new Corpus.Entry(p.toString(), pinlab.scenario.SourceFiles.read(p)));
        } catch (ScenarioException e) {
            report(e, err, bad, sink);
        }
    }

    /** Reports a scenario that cannot be read: on {@code err}, or into {@code sink} (JSON output) if there is one. */
    private static void report(ScenarioException e, PrintWriter err, boolean[] bad, List<ScenarioException> sink) {
        bad[0] = true;
        if (sink != null) {
            sink.add(e);
        } else {
            err.println(e.render());
        }
    }

    /** Returns " (closest: a, b)" for the corpus scenarios whose names are nearest {@code name}, or "". */
    static String closestScenarios(String name, List<Corpus.Entry> corpus) {
        String want = name.endsWith(Corpus.EXTENSION) ? name.substring(0, name.length() - Corpus.EXTENSION.length())
                : name;
        List<String> names = corpus.stream().map(e -> Path.of(e.file()).getFileName().toString())
                .map(n -> n.substring(0, n.length() - Corpus.EXTENSION.length())).toList();
        List<String> close = names.stream().filter(n -> n.contains(want) || want.contains(n)).limit(3).toList();
        if (close.isEmpty()) {
            close = Policies.closest(want, names, 3);
        }
        return close.isEmpty() ? "" : " (closest: " + String.join(", ", close) + ")";
    }

    /**
     * Which scenarios to take: {@code --scenario} and {@code --topic} globs (repeatable; a scenario is taken if it
     * matches any given name glob and any given topic glob).
     */
    static final class Select {
        @Option(names = "--scenario", paramLabel = "GLOB", description = "Only scenarios whose name matches (e.g."
                + " 'fork-*'; repeatable).")
        List<String> names = new ArrayList<>();

        @Option(names = "--topic", paramLabel = "GLOB", description = "Only scenarios whose topic matches (e.g."
                + " 'ksm*'; repeatable; see pinlab list).")
        List<String> topics = new ArrayList<>();

        /** Returns the scenarios that match, or null (after saying so) when the filters leave none. */
        List<Scenario> apply(List<Scenario> all, PrintWriter err, String cmd) {
            if (names.isEmpty() && topics.isEmpty()) {
                return all;
            }
            List<Scenario> out = all.stream().filter(sc -> matches(names, sc.name(), false)
                    && matches(topics, sc.topic() == null ? "" : sc.topic(), true)).toList();
            if (out.isEmpty() && !all.isEmpty()) {
                err.println(cmd + ": no scenario matches" + (names.isEmpty() ? "" : " --scenario " + names)
                        + (topics.isEmpty() ? "" : " --topic " + topics) + "\n  hint: see pinlab list");
                return null;
            }
            return out;
        }

        /** A glob over the whole value; for topics, case-insensitive, and a glob without wildcards is a word in it. */
        private static boolean matches(List<String> globs, String value, boolean topic) {
            if (globs.isEmpty()) {
                return true;
            }
            String v = topic ? value.toLowerCase(java.util.Locale.ROOT) : value;
            for (String g0 : globs) {
                String g = topic ? g0.toLowerCase(java.util.Locale.ROOT) : g0;
                if (topic && g.chars().noneMatch(c -> c == '*' || c == '?' || c == '[')) {
                    g = "*" + g + "*";
                }
                if (globRegex(g).matcher(v).matches()) {
                    return true;
                }
            }
            return false;
        }

        /** A glob (* any run, ? one character, [...] a class) as a regular expression. */
        private static java.util.regex.Pattern globRegex(String glob) {
            StringBuilder re = new StringBuilder();
            for (int i = 0; i < glob.length(); i++) {
                char c = glob.charAt(i);
                switch (c) {
                    case '*' -> re.append(".*");
                    case '?' -> re.append('.');
                    case '[' -> {
                        int end = glob.indexOf(']', i + 1);
                        if (end < 0) {
                            re.append("\\[");
                        } else {
                            re.append('[').append(glob, i + 1, end).append(']');
                            i = end;
                        }
                    }
                    default -> re.append(java.util.regex.Pattern.quote(String.valueOf(c)));
                }
            }
            return java.util.regex.Pattern.compile(re.toString(), java.util.regex.Pattern.DOTALL);
        }
    }

    /** Reads scenario files and folders (default: the bundled corpus); reports bad files on {@code err}. */
    static List<Scenario> loadScenarios(List<Path> files, PrintWriter err, boolean[] bad) throws IOException {
        return loadScenarios(files, err, bad, null);
    }

    /** Like {@link #loadScenarios(List, PrintWriter, boolean[])}; bad scenarios go into {@code sink} if not null. */
    static List<Scenario> loadScenarios(List<Path> files, PrintWriter err, boolean[] bad, List<ScenarioException> sink)
            throws IOException {
        List<Corpus.Entry> inputs = new ArrayList<>();
        if (files.isEmpty()) {
            inputs.addAll(Corpus.bundled());
        }
        List<Corpus.Entry> corpus = null;
        for (Path f : files) {
            if (f.toString().equals("-")) {
                try {
                    inputs.add(new Corpus.Entry("<stdin>", pinlab.scenario.SourceFiles.read("<stdin>", System.in)));
                } catch (ScenarioException e) {
                    report(e, err, bad, sink);
                }
                continue;
            }
            if (!Files.exists(f, java.nio.file.LinkOption.NOFOLLOW_LINKS) && f.getNameCount() == 1) {
                // not a file here: a corpus scenario by name (with or without .pin)
                if (corpus == null) {
                    corpus = Corpus.bundled();
                }
                String want = f.toString().endsWith(Corpus.EXTENSION) ? f.toString()
                        : f + Corpus.EXTENSION;
                Corpus.Entry hit = corpus.stream().filter(e -> Path.of(e.file()).getFileName().toString()
                        .equals(want)).findFirst().orElse(null);
                if (hit != null) {
                    inputs.add(hit);
                    continue;
                }
                report(new ScenarioException(f.toString(), 1, 1, "PL000", "no such file, and no corpus scenario of"
                        + " that name" + closestScenarios(f.toString(), corpus), "see pinlab list"), err, bad, sink);
                continue;
            }
            if (Files.isDirectory(f)) {
                List<Path> entries;
                try (Stream<Path> s = Files.list(f)) {
                    entries = s.sorted().toList();
                } catch (IOException e) {
                    err.println(f + ":1:1: error PL000: cannot list the folder: " + e.getMessage());
                    bad[0] = true;
                    continue;
                }
                int found = 0;
                for (Path p : entries) {
                    if (!p.getFileName().toString().endsWith(Corpus.EXTENSION)) {
                        continue;
                    }
                    found++;
                    readInto(p, inputs, err, bad, sink);
                }
                if (found == 0) {
                    err.println(f + ": no scenario file (*" + Corpus.EXTENSION + ") in this folder ("
                            + entries.size() + " other entr" + (entries.size() == 1 ? "y" : "ies") + " skipped)");
                    bad[0] = true;
                }
            } else {
                readInto(f, inputs, err, bad, sink);
            }
        }
        List<Scenario> out = new ArrayList<>();
        for (Corpus.Entry in : inputs) {
            try {
                Scenario sc = Parser.parse(in.file(), in.text());
                new ScenarioModel(sc, Policies.host());
                out.add(sc);
            } catch (ScenarioException e) {
                report(e, err, bad, sink);
            } catch (ScenarioModel.SetupBlocked e) {
                report(new ScenarioException(in.file(), e.line(), 1, "PL031", e.getMessage(), null)
                        .withSource(in.text()), err, bad, sink);
            }
        }
        return out;
    }

    /**
     * Returns whether the process talks to a terminal: Console.isTerminal() where the JDK has it (22+), else
     * whether there is a console at all (JDK 21 returns null without one).
     */
    @SuppressWarnings("SystemConsoleNull") // the null check is the JDK 21 way; 22+ answers through isTerminal()
    static boolean isTerminal() {
        java.io.Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    /** Output formats of the matrix. */
    enum MatrixFormat { text, markdown, json, html }

    /** {@code pinlab matrix}. */
    @Command(name = "matrix", mixinStandardHelpOptions = true,
            description = {"Check every scenario under every policy and show the scenario x policy table.",
                "Cells: SAFE, the failure the scenario defines (DATA LOSS, STALE READ, ...; * = in every run),",
                "REFUSED, violations (STALL, UAF, LEAK, INV-*), INCOMPLETE; a cell that does not match the",
                "scenario's expectation says so: SAFE (expected Sometimes, got Never). Also writes a",
                "self-contained HTML report (default report.html)."})
    static final class MatrixCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(arity = "0..*", paramLabel = "DIR|FILE",
                description = "Scenario files or folders (default: the bundled corpus).")
        List<Path> files = new ArrayList<>();

        @Option(names = "--policies", split = ",", paramLabel = "NAME",
                description = "Columns (default: every preset in kernel order, then each proposal or switched"
                        + " rule the scenarios' expect lines name, checked for those scenarios).")
        List<String> policies = new ArrayList<>();

        @Option(names = "--format", description = "One of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
        MatrixFormat format = MatrixFormat.text;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the table to FILE.")
        Path output;

        @Option(names = "--html", paramLabel = "FILE", description = "Also write the HTML report here"
                + " (default: ${DEFAULT-VALUE}).")
        Path html = Path.of("report.html");

        @Option(names = "--no-html", description = "Do not write the HTML report.")
        boolean noHtml;

        @Option(names = "--threads", description = "Worker threads (default: the number of cores).")
        int threads = Runtime.getRuntime().availableProcessors();

        @Option(names = "--max-states", description = "Per cell: stop after this many distinct states.")
        long maxStates;

        @Option(names = "--shard", paramLabel = "I/N", description = "Check only the scenarios whose position (in"
                + " the order they are loaded) is I modulo N, 0 <= I < N; pinlab merge joins the shards' JSON.")
        String shard;

        @Option(names = "--no-timings", description = "Write every timing as 0, so that reports of two runs compare"
                + " byte for byte.")
        boolean noTimings;

        @Option(names = "--max-seconds", description = "Per cell: stop after this many seconds.")
        double maxSeconds;

        @Option(names = "--traces", description = "One of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}):"
                + " witness (the condition's and violations' traces) or all (also the shortest run to every outcome,"
                + " in the JSON and the HTML report).")
        Traces traces = Traces.witness;

        @picocli.CommandLine.Mixin
        Select select = new Select();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            List<Policy> pols = policies(policies, err, "pinlab matrix");
            if (pols == null) {
                return BAD_INPUT;
            }
            boolean[] bad = {false};
            List<Scenario> scenarios = select.apply(loadScenarios(files, err, bad), err, "pinlab matrix");
            if (scenarios == null) {
                return BAD_INPUT;
            }
            if (scenarios.isEmpty()) {
                err.println("pinlab matrix: no scenario to check");
                return BAD_INPUT;
            }
            boolean askedOnly = pols.isEmpty();
            if (askedOnly) {
                // every preset, then each proposal or switched rule an expect line asks about, side by side
                pols.addAll(Policies.all());
                java.util.Set<String> seen = new java.util.LinkedHashSet<>();
                for (Scenario sc : scenarios) {
                    for (Policy p : expectedPolicies(sc)) {
                        if (!p.isPreset() && seen.add(p.name())) {
                            pols.add(p);
                        }
                    }
                }
            }
            // the columns come from every scenario, so that all shards have the same ones
            if (shard != null) {
                java.util.regex.Matcher sm = java.util.regex.Pattern.compile("(\\d+)/(\\d+)").matcher(shard);
                int si;
                int sn;
                if (!sm.matches() || (sn = Integer.parseInt(sm.group(2))) < 1 || (si = Integer.parseInt(sm.group(1)))
                        >= sn) {
                    err.println("pinlab matrix: --shard wants I/N with 0 <= I < N, not " + shard);
                    return BAD_INPUT;
                }
                List<Scenario> mine = new ArrayList<>();
                for (int k = 0; k < scenarios.size(); k++) {
                    if (k % sn == si) {
                        mine.add(scenarios.get(k));
                    }
                }
                scenarios = mine;
                if (scenarios.isEmpty()) {
                    err.println("pinlab matrix: shard " + shard + " has no scenario");
                    return BAD_INPUT;
                }
            }
            if (!limitsOk(maxStates, maxSeconds, err, "pinlab matrix")) {
                return BAD_INPUT;
            }
            int total = scenarios.size() * pols.size();
            pinlab.report.Matrix m;
            if (isTerminal()) {
                try (me.tongfei.progressbar.ProgressBar bar = new me.tongfei.progressbar.ProgressBarBuilder()
                        .setTaskName("matrix").setInitialMax(total)
                        .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err)).build()) {
                    // the bar steps per cell; a long cell shows its own count of states beside it
                    java.util.Map<String, String> running = new java.util.TreeMap<>();
                    m = Pinlab.matrix(scenarios, pols, new Limits(maxStates, maxSeconds), threads,
                            new Pinlab.MatrixProgress() {
                                @Override
                                public void done(int done, int all, String sc, String pol) {
                                    synchronized (running) {
                                        running.remove(sc + " under " + pol);
                                        bar.setExtraMessage(String.join("; ", running.values()));
                                    }
                                    bar.stepTo(done);
                                }

                                @Override
                                public void running(String sc, String pol, long states, double secs) {
                                    synchronized (running) {
                                        running.put(sc + " under " + pol, String.format(java.util.Locale.ROOT,
                                                "%s under %s: %,d states, %.0f s", sc, pol, states, secs));
                                        bar.setExtraMessage(String.join("; ", running.values()));
                                    }
                                }

                                @Override
                                public double intervalSeconds() {
                                    return 1;
                                }
                            }, askedOnly, traces == Traces.all);
                }
            } else {
                int step = Math.max(1, total / 10);
                m = Pinlab.matrix(scenarios, pols, new Limits(maxStates, maxSeconds), threads,
                        new Pinlab.MatrixProgress() {
                            @Override
                            public void done(int done, int all, String sc, String pol) {
                                if (done % step == 0 || done == all) {
                                    err.println("pinlab matrix: " + done + "/" + all + " cells checked");
                                }
                            }

                            @Override
                            public void running(String sc, String pol, long states, double secs) {
                                // one printf is one line: PrintWriter locks it
                                err.printf(java.util.Locale.ROOT, "pinlab matrix: still checking %s under %s: %,d"
                                        + " states, %.0f s%n", sc, pol, states, secs);
                            }
                        }, askedOnly, traces == Traces.all);
            }
            if (noTimings) {
                m = m.withoutTimings();
            }
            String table = switch (format) {
                case text -> pinlab.report.MatrixReport.text(m);
                case markdown -> pinlab.report.MatrixReport.markdown(m);
                case json -> pinlab.report.MatrixReport.json(m);
                case html -> pinlab.report.HtmlReport.render(m, Pinlab.comparisons(m));
            };
            if (output != null) {
                if (!writeOutput(output, table, files, err, "pinlab matrix")) {
                    return BAD_INPUT;
                }
            } else {
                out.print(table);
                out.flush();
            }
            if (!noHtml && !(format == MatrixFormat.html && output != null)) {
                if (!writeOutput(html, pinlab.report.HtmlReport.render(m, Pinlab.comparisons(m)), files, err,
                        "pinlab matrix")) {
                    return BAD_INPUT;
                }
                err.println("pinlab matrix: wrote " + html.toAbsolutePath());
            }
            if (bad[0]) {
                return BAD_INPUT;
            }
            if (m.anyMismatch()) {
                return MISMATCH;
            }
            return m.anyIncomplete() ? INCOMPLETE : OK;
        }
    }

    /** {@code pinlab bisect}. */
    @Command(name = "bisect", mixinStandardHelpOptions = true,
            description = {"Find where a scenario's result flips across kernel versions, and which rules decide it.",
                "Walks linux-2.6 -> 5.8 -> 5.9 -> 5.19 -> 6.2 -> 6.5 -> 6.18. At each flip, the rules that differ",
                "between the two neighbours are switched in the older policy (alone, then in pairs and triples) and",
                "the scenario re-checked; the smallest sets that give the newer result are the deciding rules."})
    static final class BisectCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(arity = "1..*", paramLabel = "FILE", description = "Scenario files.")
        List<Path> files = new ArrayList<>();

        @Option(names = "--max-states", description = "Per check: stop after this many distinct states.")
        long maxStates;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            boolean[] bad = {false};
            List<Scenario> scenarios = loadScenarios(files, spec.commandLine().getErr(), bad);
            if (!limitsOk(maxStates, 0, spec.commandLine().getErr(), "pinlab bisect")) {
                return BAD_INPUT;
            }
            if (scenarios.isEmpty() && !bad[0]) {
                spec.commandLine().getErr().println("pinlab bisect: no scenario to bisect");
                return BAD_INPUT;
            }
            List<Policy> ordered = Policies.all().stream().filter(p -> p.name().startsWith("linux-")).toList();
            boolean incomplete = false;
            for (Scenario sc : scenarios) {
                pinlab.report.BisectResult b = Pinlab.bisect(sc, ordered, new Limits(maxStates, 0));
                incomplete |= b.incomplete();
                out.println(b.text());
            }
            out.flush();
            return bad[0] ? BAD_INPUT : incomplete ? INCOMPLETE : OK;
        }
    }

    /** {@code pinlab compare}. */
    @Command(name = "compare", mixinStandardHelpOptions = true,
            description = {"Check one scenario under several policies and show them side by side: the cell, the",
                "observation, the outcomes, and the rules each policy switches relative to the first. Proposals",
                "are overlays: --policies linux-5.18,linux-5.18+kara-block,linux-5.18+kara-bounce."})
    static final class CompareCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "The scenario.")
        Path file;

        @Option(names = "--policies", split = ",", required = true, paramLabel = "P",
                description = "Policies to compare, the first being the baseline.")
        List<String> policies = new ArrayList<>();

        @Option(names = "--traces", description = "Also print the run that shows each policy's result.")
        boolean traces;

        @Option(names = "--max-states", description = "Per check: stop after this many distinct states.")
        long maxStates;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            List<Policy> pols = policies(policies, err, "pinlab compare");
            if (pols == null) {
                return BAD_INPUT;
            }
            boolean[] bad = {false};
            List<Scenario> scenarios = loadScenarios(List.of(file), err, bad);
            if (scenarios.size() != 1) {
                return BAD_INPUT;
            }
            if (!limitsOk(maxStates, 0, err, "pinlab compare")) {
                return BAD_INPUT;
            }
            List<CheckResult> results = new ArrayList<>();
            for (Policy p : pols) {
                results.add(Pinlab.check(scenarios.get(0), p, new Limits(maxStates, 0), false));
            }
            out.print(pinlab.report.CompareReport.text(pols, results, traces));
            out.flush();
            return exitCode(results, false);
        }
    }

    /** {@code pinlab explain}. */
    @Command(name = "explain", mixinStandardHelpOptions = true,
            description = {"Print a policy's rules with their sources, or which scenarios depend on one rule.",
                "With RULE, lists the corpus scenarios whose result changes when that rule alone is switched",
                "(on if the policy lacks it, off if it has it)."})
    static final class ExplainCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "POLICY", description = "A policy, e.g. linux-5.9.")
        String policy;

        @Parameters(index = "1", arity = "0..1", paramLabel = "RULE", description = "A rule id, e.g. fork-copy-maybe-pinned.")
        String rule;

        @Parameters(index = "2..*", arity = "0..*", paramLabel = "FILE",
                description = "Scenarios to test the rule against (default: the bundled corpus).")
        List<Path> files = new ArrayList<>();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Policy p = policy(policy, err, "pinlab explain");
            if (p == null) {
                return BAD_INPUT;
            }
            if (rule == null) {
                out.println(p.name() + (p.parent() == null ? "" : " (extends " + p.parent().name() + ")") + ": "
                        + p.description());
                for (pinlab.policy.Rule r : p.rules()) {
                    out.println("  " + r.id() + (r.group() == pinlab.policy.Rule.Group.BASE ? " (base)" : "") + ": "
                            + r.summary());
                    out.println("      source: " + r.source());
                }
                out.flush();
                return OK;
            }
            // bisect prints rules as +id and -id: take them as they are written there
            String id = rule.startsWith("+") || rule.startsWith("-") ? rule.substring(1) : rule;
            pinlab.policy.Rule r = pinlab.policy.Rule.byId(id);
            if (r == null) {
                List<String> ids = Policies.closest(id, java.util.Arrays.stream(pinlab.policy.Rule.values())
                        .map(pinlab.policy.Rule::id).toList(), 3);
                err.println("pinlab explain: unknown rule '" + id + "' (closest: " + String.join(", ", ids)
                        + "; see: pinlab policies)");
                return BAD_INPUT;
            }
            out.println(r.id() + ": " + r.summary());
            out.println("  source: " + r.source());
            for (pinlab.policy.Rule n : r.needs()) {
                out.println("  needs " + n.id() + (p.has(n) ? "" : " (which " + p.name() + " lacks: switched on"
                        + " alone, this rule has nothing to act on)"));
            }
            if (r.group() == pinlab.policy.Rule.Group.BASE) {
                out.println("  a base rule: every policy has it, so no scenario depends on switching it");
                out.flush();
                return OK;
            }
            boolean[] bad = {false};
            List<Scenario> scenarios = loadScenarios(files, err, bad);
            List<pinlab.policy.Rule> switches = new ArrayList<>();
            if (p.has(r) && !r.group().switchable()) {
                // the policy's choice in its group: what each other choice would change instead
                out.println("  " + p.name() + "'s choice for " + pinlab.policy.Rule.groupName(r.group())
                        + "; it cannot be switched off, only replaced:");
                for (pinlab.policy.Rule o : pinlab.policy.Rule.values()) {
                    if (o.group() == r.group() && o != r) {
                        switches.add(o);
                    }
                }
            } else {
                switches.add(r);
            }
            for (pinlab.policy.Rule s : switches) {
                List<Pinlab.RuleEffect> effects;
                try {
                    effects = Pinlab.dependents(p, s, scenarios, Limits.NONE);
                } catch (IllegalArgumentException e) {
                    err.println("pinlab explain: " + e.getMessage());
                    return BAD_INPUT;
                }
                String what = s == r ? (p.has(r) ? "in force in " : "not in ") + p.name() + "; switching it "
                        + (p.has(r) ? "off" : "on") + " alone" : "switching to " + s.id();
                String n = scenarios.size() + " scenario" + (scenarios.size() == 1 ? "" : "s");
                out.println("  " + what + (effects.isEmpty() ? " changes none of the " + n
                        : " changes " + effects.size() + " of " + n + ":"));
                for (Pinlab.RuleEffect e : effects) {
                    out.println("    " + e.scenario() + ": " + e.with() + " -> " + e.without());
                }
            }
            out.flush();
            return bad[0] ? BAD_INPUT : OK;
        }
    }

    /** {@code pinlab replay}. */
    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = {"Run scenarios' interleavings on this machine's kernel and compare with the model.",
                "For each outcome the model reaches, its shortest schedule is executed step by step by a native agent",
                "(real processes, io_uring fixed buffers, vmsplice, O_DIRECT on FUSE), and the real outcome and page",
                "identities (/proc/PID/pagemap) are compared with the prediction. Needs root, gcc, liburing-dev,",
                "fuse3 and libfuse3-dev. --stress N adds N free runs without barriers (klitmus7's histogram). With several",
                "scenarios, a summary follows. Exit 0: all agree; 1: a disagreement, or a free run reached an outcome the",
                "model calls unreachable; 2: cannot run here, a bad scenario, or the",
                "agent or the harness failed (e.g. the agent died); the other scenarios are still replayed."})
    static final class Replay implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(arity = "0..*", paramLabel = "FILE", description = "Scenario files (default: the bundled corpus).")
        List<Path> files = new ArrayList<>();

        @Option(names = "--policy", description = "The model's policy (default: ${DEFAULT-VALUE}: the preset in force"
                + " at this machine's kernel release, uname -r).")
        String policy = "host";

        @Option(names = "--limit", description = "Outcome schedules replayed per scenario (default: ${DEFAULT-VALUE}).")
        int limit = 50;

        @Option(names = "--repeat", description = "Runs per schedule (default: ${DEFAULT-VALUE}).")
        int repeat = 1;

        @Option(names = "--step-timeout-ms", description = "Timeout of every agent step (default: ${DEFAULT-VALUE}).")
        long stepTimeoutMs = 5000;

        @Option(names = "--stress", paramLabel = "N", description = "After the forced schedules, N free runs: the"
                + " threads run their operations back to back with no barriers, started together; prints a"
                + " klitmus7-like histogram of the real outcomes and the Observation line. A real outcome the model"
                + " says is unreachable is a model bug (exit 1). The counts are nondeterministic.")
        int stress;

        @Option(names = "--stress-spread", description = "Let the free runs' threads run on every CPU, in parallel,"
                + " instead of the agent's one (reclaim and refcount checks then also see other CPUs' page batches,"
                + " which the model does not).")
        boolean stressSpread;

        @picocli.CommandLine.Mixin
        Select select = new Select();

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Policy p = policy(policy, err, "pinlab replay");
            if (p == null) {
                return BAD_INPUT;
            }
            if (limit < 1 || repeat < 1) {
                err.println("pinlab replay: --limit and --repeat must be at least 1");
                return BAD_INPUT;
            }
            if (stress < 0) {
                err.println("pinlab replay: --stress must be at least 0");
                return BAD_INPUT;
            }
            java.nio.file.Path bin;
            try {
                bin = pinlab.replay.Agent.prepare();
            } catch (pinlab.replay.ReplayUnavailable e) {
                err.println(e.getMessage());
                return BAD_INPUT;
            }
            boolean[] bad = {false};
            List<Scenario> scenarios = select.apply(loadScenarios(files, err, bad), err, "pinlab replay");
            if (scenarios == null) {
                return BAD_INPUT;
            }
            int swept = pinlab.replay.Agent.sweep(bin);
            if (swept > 0) {
                err.println("pinlab replay: removed " + swept + " work director" + (swept == 1 ? "y" : "ies")
                        + " of earlier replays whose process was killed");
            }
            pinlab.replay.Replayer replayer = new pinlab.replay.Replayer(bin, stepTimeoutMs);
            int code = bad[0] ? BAD_INPUT : OK;
            boolean harness = false;
            boolean tty = isTerminal();
            List<pinlab.report.ReplayReport.SummaryLine> summary = new ArrayList<>();
            List<String> failed = new ArrayList<>();
            for (Scenario sc : scenarios) {
                try {
                    pinlab.report.ReplayResult r = replayer.replay(sc, p, limit, repeat);
                    printMarked(out, pinlab.report.ReplayReport.renderMarked(r), tty);
                    pinlab.report.ReplayStress st = null;
                    if (stress > 0) {
                        st = replayer.stress(sc, p, stress, stressSpread);
                        printMarked(out, pinlab.report.ReplayReport.renderStressMarked(st), tty);
                        if (!st.unpredicted().isEmpty()) {
                            err.println("pinlab replay: " + sc.name() + ": " + (st.hostModel() ? "MODEL BUG"
                                    : "not in the model") + ": the kernel reached " + st.unpredicted().size()
                                    + " outcome(s) the " + p.name() + " model says are unreachable");
                        }
                    }
                    out.println();
                    out.flush();
                    summary.add(pinlab.report.ReplayReport.summaryLine(r, st));
                    if ((r.disagree() > 0 || (st != null && !st.unpredicted().isEmpty())) && code == OK) {
                        code = MISMATCH;
                    }
                } catch (pinlab.replay.AgentException e) {
                    // the agent or the harness failed: no result for this scenario; the others go on
                    err.println("pinlab replay: " + sc.name() + ": " + e.getMessage());
                    harness = true;
                    failed.add(sc.name());
                }
            }
            if (summary.size() + failed.size() > 1) {
                out.print(pinlab.report.ReplayReport.renderSummary(summary, failed));
                out.flush();
            }
            return harness ? BAD_INPUT : code;
        }
    }

    /**
     * Prints replay text whose disagreeing parts carry highlight marks: in bold on a terminal, plain otherwise
     * (files and pipes never get escape sequences). On a terminal the text is made safe first, as SafeWriter
     * does, and only then are the marks turned into the escapes, which go around SafeWriter.
     */
    static void printMarked(PrintWriter out, String marked, boolean tty) {
        if (!tty) {
            out.print(pinlab.report.ReplayReport.plain(marked));
            return;
        }
        StringBuilder safe = new StringBuilder();
        for (int i = 0; i < marked.length(); i++) {
            char c = marked.charAt(i);
            if (SafeWriter.unsafe(c)) {
                safe.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
            } else {
                safe.append(c);
            }
        }
        out.flush();
        java.io.PrintStream raw = System.out;
        raw.print(pinlab.report.ReplayReport.ansi(safe.toString()));
        raw.flush();
    }

    /** {@code pinlab merge}. */
    @Command(name = "merge", mixinStandardHelpOptions = true,
            description = {"Join the JSON of matrix shards (matrix --shard I/N --format json) into one matrix JSON:",
                "the same policies in every file, rows sorted by scenario file (the order matrix loads them in)."
                + " Exit codes as for matrix."})
    static final class MergeCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(arity = "1..*", paramLabel = "FILE", description = "Matrix JSON files.")
        List<Path> files = new ArrayList<>();

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the merged JSON to FILE.")
        Path output;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper()
                    .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);
            com.fasterxml.jackson.databind.JsonNode policies = null;
            List<com.fasterxml.jackson.databind.JsonNode> rows = new ArrayList<>();
            List<com.fasterxml.jackson.databind.JsonNode> results = new ArrayList<>();
            for (Path f : files) {
                com.fasterxml.jackson.databind.JsonNode root;
                try {
                    root = mapper.readTree(Files.readString(f, StandardCharsets.UTF_8));
                } catch (IOException e) {
                    err.println("pinlab merge: " + f + ": cannot read it as JSON: " + e.getMessage());
                    return BAD_INPUT;
                }
                if (root == null || !root.path("tool").asText().equals("pinlab") || !root.has("matrix")) {
                    err.println("pinlab merge: " + f + ": not a pinlab matrix JSON");
                    return BAD_INPUT;
                }
                if (root.path("schema").asInt() != pinlab.report.JsonReport.SCHEMA) {
                    err.println("pinlab merge: " + f + ": written in JSON schema " + root.path("schema").asText()
                            + ", not " + pinlab.report.JsonReport.SCHEMA + " (this pinlab's); run that shard again");
                    return BAD_INPUT;
                }
                if (policies == null) {
                    policies = root.get("policies");
                } else if (!policies.equals(root.get("policies"))) {
                    err.println("pinlab merge: " + f + ": its policies differ from " + files.get(0) + "'s");
                    return BAD_INPUT;
                }
                root.get("matrix").forEach(rows::add);
                root.path("results").forEach(results::add);
            }
            List<String> order = new ArrayList<>();
            policies.forEach(p -> order.add(p.asText()));
            rows.sort(java.util.Comparator.<com.fasterxml.jackson.databind.JsonNode, String>comparing(
                    r -> r.path("file").asText()).thenComparing(r -> r.path("scenario").asText()));
            results.sort(java.util.Comparator.<com.fasterxml.jackson.databind.JsonNode, String>comparing(
                    r -> r.path("file").asText()).thenComparing(r -> r.path("scenario").asText())
                    .thenComparingInt(r -> order.indexOf(r.path("policy").asText())));
            com.fasterxml.jackson.databind.node.ObjectNode merged = mapper.createObjectNode();
            merged.put("schema", pinlab.report.JsonReport.SCHEMA);
            merged.put("tool", "pinlab");
            merged.set("policies", policies);
            merged.putArray("matrix").addAll(rows);
            merged.putArray("results").addAll(results);
            String text;
            try {
                text = mapper.writeValueAsString(merged) + "\n";
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                err.println("pinlab merge: " + e.getMessage());
                return BAD_INPUT;
            }
            if (output != null) {
                if (!writeOutput(output, text, files, err, "pinlab merge")) {
                    return BAD_INPUT;
                }
            } else {
                out.print(text);
                out.flush();
            }
            boolean mismatch = false;
            boolean incomplete = false;
            for (com.fasterxml.jackson.databind.JsonNode r : rows) {
                for (com.fasterxml.jackson.databind.JsonNode c : r.path("cells")) {
                    String v = c.path("verdict").asText();
                    mismatch |= v.equals("MISMATCH") || v.equals("VIOLATION");
                    incomplete |= v.equals("INCOMPLETE");
                }
            }
            err.println("pinlab merge: " + rows.size() + " scenarios from " + files.size() + " file(s)");
            return mismatch ? MISMATCH : incomplete ? INCOMPLETE : OK;
        }
    }

    /** {@code pinlab gen}. */
    @Command(name = "gen", mixinStandardHelpOptions = true,
            description = {"Generate random well-formed scenarios (pinlab.scenario.Generator), the same for the same",
                "seed. Prints one scenario, writes --count of them into a folder with -o, or with --check checks",
                "each under a policy and reports anything that escapes as an internal error (a crash of pinlab)."})
    static final class GenCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--seed", description = "The first seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--count", description = "How many scenarios, seeds SEED.. (default: ${DEFAULT-VALUE}).")
        int count = 1;

        @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Write gen-SEED.pin files here.")
        Path output;

        @Option(names = "--check", description = "Check each scenario instead of printing it.")
        boolean check;

        @Option(names = "--policy", paramLabel = "NAME", description = "With --check (default: linux-6.18).")
        String policy = "linux-6.18";

        @Option(names = "--max-states", description = "With --check: per scenario (default: ${DEFAULT-VALUE}).")
        long maxStates = 200_000;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (count < 1) {
                err.println("pinlab gen: --count must be 1 or more");
                return BAD_INPUT;
            }
            if (!limitsOk(maxStates, 0, err, "pinlab gen")) {
                return BAD_INPUT;
            }
            Policy pol = policy(policy, err, "pinlab gen");
            if (pol == null) {
                return BAD_INPUT;
            }
            if (output != null && !Files.isDirectory(output)) {
                err.println("pinlab gen: " + output + " is not a folder");
                return BAD_INPUT;
            }
            long crashes = 0;
            long incomplete = 0;
            long violations = 0;
            java.util.Map<String, List<Long>> kinds = new java.util.TreeMap<>();
            for (long s = seed; s < seed + count; s++) {
                String text = pinlab.scenario.Generator.generate(s);
                String name = pinlab.scenario.Generator.name(s) + ".pin";
                if (!check) {
                    if (output == null) {
                        out.print(text);
                    } else if (!writeOutput(output.resolve(name), text, List.of(), err, "pinlab gen")) {
                        return BAD_INPUT;
                    }
                    continue;
                }
                try {
                    CheckResult r = Pinlab.check(Parser.parse(name, text), pol, new Limits(maxStates, 0), false);
                    incomplete += r.complete() ? 0 : 1;
                    violations += r.violations().isEmpty() ? 0 : 1;
                    for (CheckResult.ViolationRow v : r.violations()) {
                        kinds.computeIfAbsent(v.kind(), k -> new ArrayList<>()).add(s);
                    }
                } catch (ScenarioException | ScenarioModel.SetupBlocked e) {
                    crashes++;
                    err.println("pinlab gen: seed " + s + ": the generator made a bad scenario: " + e.getMessage());
                } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                    crashes++;
                    err.println("pinlab gen: seed " + s + ": internal error: " + e);
                }
            }
            if (check) {
                out.printf(java.util.Locale.ROOT, "%d scenarios (seeds %d..%d) under %s: %d internal errors,"
                        + " %d incomplete, %d with violations%n", count, seed, seed + count - 1, pol.name(), crashes,
                        incomplete, violations);
                kinds.forEach((k, v) -> out.printf(java.util.Locale.ROOT, "  %s: %d (seeds %s)%n", k, v.size(),
                        v.subList(0, Math.min(5, v.size()))));
            }
            out.flush();
            return crashes > 0 ? MISMATCH : OK;
        }
    }

    /** {@code pinlab policies}. */
    @Command(name = "policies", mixinStandardHelpOptions = true,
            description = "List the policies, their rules and the sources of those rules.")
    static final class PoliciesCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--format", description = "One of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
        Format format = Format.text;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            out.print(format == Format.json ? PolicyReport.json() : PolicyReport.text());
            out.flush();
            return OK;
        }
    }

    /** {@code pinlab bench}. */
    @Command(name = "bench", mixinStandardHelpOptions = true,
            description = "Measure exploration speed (states/s, transitions/s) on a generated scenario, against a"
                    + " baseline measured in the same run.")
    static final class Bench implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--threads", description = "Threads in the generated scenario (default: ${DEFAULT-VALUE}).")
        int threads = 4;

        @Option(names = "--ops", description = "Operations per thread (default: ${DEFAULT-VALUE}).")
        int ops = 4;

        @Option(names = "--policy", description = "Policy (default: ${DEFAULT-VALUE}).")
        String policy = "linux-6.18";

        @Option(names = "--repeat", description = "Measured runs after one warm-up (default: ${DEFAULT-VALUE}).")
        int repeat = 3;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Policy p = policy(policy, spec.commandLine().getErr(), "pinlab bench");
            if (p == null || threads < 1 || threads > 8 || ops < 1 || ops > 12 || repeat < 1) {
                spec.commandLine().getErr().println("pinlab bench: bad policy or size (threads 1..8, ops 1..12)");
                return BAD_INPUT;
            }
            return Benchmark.run(out, p, threads, ops, repeat);
        }
    }
}
