package pinlab;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import pinlab.engine.Explorer;
import pinlab.engine.Limits;
import pinlab.engine.Progress;
import pinlab.engine.SearchResult;
import pinlab.model.Event;
import pinlab.policy.Policy;
import pinlab.report.CheckResult;
import pinlab.report.Trace;
import pinlab.scenario.Condition;
import pinlab.scenario.Observation;
import pinlab.scenario.Scenario;
import pinlab.scenario.ScenarioModel;

/** The one Java entry point: checks a scenario under a policy and returns the result value. */
public final class Pinlab {
    private Pinlab() {}

    /**
     * Reads a scenario file and explores it under a policy named as on the command line ({@code linux-6.1},
     * {@code 5.15}, {@code host}, {@code linux-5.8+kara-block}), without limits.
     *
     * @throws pinlab.scenario.ScenarioException when the file cannot be read or parsed
     * @throws IllegalArgumentException when the policy is unknown
     */
    public static CheckResult check(java.nio.file.Path file, String policy)
            throws pinlab.scenario.ScenarioException {
        return check(pinlab.scenario.Parser.parse(file), pinlab.policy.Policies.resolve(policy), Limits.NONE, false);
    }

    /**
     * Explores every interleaving of {@code scenario} under {@code policy}.
     *
     * @param allTraces whether to rebuild the shortest trace to every outcome, not just the witness
     */
    public static CheckResult check(Scenario scenario, Policy policy, Limits limits, boolean allTraces) {
        return check(scenario, policy, limits, allTraces, Progress.NONE);
    }

    /** Like {@link #check(Scenario, Policy, Limits, boolean)}, reporting progress of long searches. */
    public static CheckResult check(Scenario scenario, Policy policy, Limits limits, boolean allTraces,
            Progress progress) {
        Scenario.Requirement req = scenario.requires();
        if (req != null && req.newerThan(pinlab.policy.Policies.versionOf(policy))) {
            return CheckResult.notApplicable(scenario, policy.name(), req.reason() + " (the scenario requires "
                    + req.version() + "; " + policy.name() + " is " + pinlab.policy.Policies.versionOf(policy) + ")");
        }
        ScenarioModel model = new ScenarioModel(scenario, policy, false, limits.symmetry());
        SearchResult r = limits.simulate() > 0 ? new pinlab.engine.Simulator(model, limits).run()
                : new Explorer(model, limits, progress).run();
        Scenario.Expectation exp = scenario.expectationFor(policy.name());
        Set<String> expectedViolations = exp == null ? Set.of() : new HashSet<>(exp.violations());

        List<CheckResult.OutcomeRow> outcomes = new ArrayList<>();
        Condition.Quantifier q = scenario.condition().quantifier();
        boolean wantSatisfied = q != Condition.Quantifier.FORALL;
        Map.Entry<String, SearchResult.OutcomeStats> witness = null;
        for (Map.Entry<String, SearchResult.OutcomeStats> e : r.outcomes().entrySet()) {
            SearchResult.OutcomeStats s = e.getValue();
            outcomes.add(new CheckResult.OutcomeRow(e.getKey(), s.count(), s.satisfied(),
                    allTraces ? model.replay(s.schedule()) : null));
            if (s.satisfied() == wantSatisfied
                    && (witness == null || s.schedule().size() < witness.getValue().schedule().size())) {
                witness = e;
            }
        }
        List<CheckResult.ViolationRow> violations = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> e : r.violations().entrySet()) {
            Event ev = Event.byId(e.getKey());
            String desc = ev != null ? ev.description() : e.getKey().equals("stall")
                    ? "stall: something waits inside the kernel (writeback, a folio lock, a pin) for what no"
                            + " remaining step provides"
                    : "deadlock: the scenario's own threads wait on each other (a signal, a holder's I/O, a process"
                            + " never created); nothing can step, yet some have not finished";
            violations.add(new CheckResult.ViolationRow(e.getKey(), desc, expectedViolations.contains(e.getKey()),
                    model.replay(e.getValue())));
        }
        Observation obs = Observation.of(r.positive(), r.negative());
        Boolean matches = null;
        CheckResult.Expected expected = null;
        if (exp != null) {
            expected = new CheckResult.Expected(exp.observation(), exp.violations(), exp.line());
            Set<String> found = new HashSet<>(r.violations().keySet());
            // an exploration a limit stopped is no result: it neither matches nor contradicts the expectation
            matches = r.complete() ? obs == exp.observation() && found.equals(expectedViolations) : null;
        }
        int tags = 0;
        Map.Entry<String, SearchResult.OutcomeStats> tagged = null;
        for (Map.Entry<String, SearchResult.OutcomeStats> e : r.outcomes().entrySet()) {
            tags |= e.getValue().tags();
            if (e.getValue().tags() != 0
                    && (tagged == null || e.getValue().schedule().size() < tagged.getValue().schedule().size())) {
                tagged = e;
            }
        }
        if (witness == null) {
            witness = tagged; // no failing run: show the shortest run with a kernel event (a warning, a crash)
        }
        Trace witnessTrace = witness == null ? null : model.replay(witness.getValue().schedule());
        return new CheckResult(CheckResult.About.of(scenario), policy.name(), r.complete() ? obs : null,
                r.positive(), r.negative(), List.copyOf(outcomes), List.copyOf(violations), witnessTrace, expected,
                matches, new CheckResult.Search(r.complete(), r.stopReason(), r.states(), r.transitions(),
                        r.finalStates(), r.markedFinals(), r.maxDepth(), r.nanos() / 1_000_000,
                        r.collisionProbability(), model.checkedViolations()),
                ScenarioModel.labels(tags), null);
    }

    /**
     * Checks {@code scenario} under both policies and compares them: {@link #diff(Scenario, Policy, CheckResult,
     * Policy, CheckResult)}.
     */
    public static pinlab.report.Diff diff(Scenario scenario, Policy a, Policy b) {
        return diff(scenario, a, check(scenario, a, Limits.NONE, false), b, check(scenario, b, Limits.NONE, false));
    }

    /**
     * Compares two results of one scenario: the run of the policy where the condition's failing side is reached
     * (else the one with a witness), replayed thread for thread under the other policy as far as it lets the threads
     * step, the first step where they take different rules or say different things, and the rules only one side
     * took there.
     */
    public static pinlab.report.Diff diff(Scenario sc, Policy pa, CheckResult ra, Policy pb, CheckResult rb) {
        if (!ra.complete() || !rb.complete()) {
            return new pinlab.report.Diff(sc.name(), pa.name(), ra.cell(), pb.name(), rb.cell(),
                    pinlab.report.Diff.Kind.INCOMPLETE, ra.about().quantifier().word(), ra.search().states(),
                    rb.search().states(), null, null, null,
                    null, null, -1, List.of());
        }
        // the run to compare: the failing side's shortest run, from the policy where it happens
        boolean fromA = ra.witness() != null && (ra.failing() || rb.witness() == null);
        CheckResult from = fromA ? ra : rb;
        CheckResult other = fromA ? rb : ra;
        Policy fromP = fromA ? pa : pb;
        Policy otherP = fromA ? pb : pa;
        if (from.witness() == null) {
            return new pinlab.report.Diff(sc.name(), pa.name(), ra.cell(), pb.name(), rb.cell(),
                    pinlab.report.Diff.Kind.NO_RUN, ra.about().quantifier().word(), ra.search().states(),
                    rb.search().states(), null, null, null,
                    null, null, -1, List.of());
        }
        Trace there = from.witness();
        List<Integer> threads = there.steps().stream().map(Trace.Step::thread).toList();
        Trace here = new ScenarioModel(sc, otherP).replayAsFarAsPossible(threads);
        int first = -1;
        for (int i = 0; i < there.steps().size() && first < 0; i++) {
            Trace.Step s = there.steps().get(i);
            Trace.Step t = i < here.steps().size() ? here.steps().get(i) : null;
            if (t == null || !t.rules().equals(s.rules()) || !t.notes().equals(s.notes())) {
                first = i;
            }
        }
        List<pinlab.report.Diff.RuleNote> parting = new ArrayList<>();
        if (first >= 0) {
            Trace.Step s = there.steps().get(first);
            List<String> t = first < here.steps().size() ? here.steps().get(first).rules() : List.of();
            java.util.Set<String> onlyThere = new java.util.LinkedHashSet<>(s.rules());
            java.util.Set<String> onlyHere = new java.util.LinkedHashSet<>(t);
            onlyThere.removeAll(t);
            onlyHere.removeAll(s.rules());
            for (String id : onlyThere) {
                parting.add(ruleNote(fromP.name(), id));
            }
            for (String id : onlyHere) {
                parting.add(ruleNote(otherP.name(), id));
            }
        }
        return new pinlab.report.Diff(sc.name(), pa.name(), ra.cell(), pb.name(), rb.cell(),
                pinlab.report.Diff.Kind.RUN, from.about().quantifier().word(), ra.search().states(),
                rb.search().states(), fromP.name(), otherP.name(), other.cell(), there, here, first,
                List.copyOf(parting));
    }

    /**
     * Works out, for each row of {@code m} (in its order), what the HTML report shows beside the cells: the
     * {@linkplain #diff comparison} of every pair of checked, complete cells whose results differ, and the actors a
     * search of the scenario steps. The scenario is read again from the row's source and the policies from the
     * column names, so this works on a merged matrix too; a row whose scenario or policies cannot be read again
     * gets {@link pinlab.report.Comparisons#NONE}.
     */
    public static List<pinlab.report.Comparisons> comparisons(pinlab.report.Matrix m) {
        // rows in parallel, each placed by its position, so the result does not depend on the thread count
        return java.util.stream.IntStream.range(0, m.rows().size()).parallel()
                .mapToObj(i -> comparisons(m.rows().get(i))).toList();
    }

    private static pinlab.report.Comparisons comparisons(pinlab.report.Matrix.Row row) {
        Scenario sc;
        try {
            sc = pinlab.scenario.Parser.parse(row.file(), row.source());
        } catch (pinlab.scenario.ScenarioException e) {
            return pinlab.report.Comparisons.NONE;
        }
        List<Policy> cols = new ArrayList<>();
        for (CheckResult c : row.cells()) {
            Policy p;
            try {
                p = pinlab.policy.Policies.resolve(c.policy());
            } catch (IllegalArgumentException e) {
                p = null;
            }
            cols.add(p);
        }
        List<pinlab.report.Diff> diffs = new ArrayList<>();
        for (int i = 0; i < row.cells().size(); i++) {
            for (int j = i + 1; j < row.cells().size(); j++) {
                CheckResult a = row.cells().get(i);
                CheckResult b = row.cells().get(j);
                if (cols.get(i) != null && cols.get(j) != null && comparable(a) && comparable(b)
                        && !a.cell().equals(b.cell())) {
                    diffs.add(diff(sc, cols.get(i), a, cols.get(j), b));
                }
            }
        }
        List<String> actors = List.of();
        boolean reduced = false;
        for (int i = 0; i < cols.size() && actors.isEmpty(); i++) {
            if (cols.get(i) != null && comparable(row.cells().get(i))) {
                ScenarioModel model = new ScenarioModel(sc, cols.get(i));
                actors = model.threadNames();
                reduced = Limits.NONE.por() && model.reduction() != null;
            }
        }
        return new pinlab.report.Comparisons(List.copyOf(actors), reduced, List.copyOf(diffs));
    }

    private static boolean comparable(CheckResult c) {
        return c.notApplicable() == null && c.complete();
    }

    private static pinlab.report.Diff.RuleNote ruleNote(String policy, String id) {
        pinlab.policy.Rule r = pinlab.policy.Rule.byId(id);
        return new pinlab.report.Diff.RuleNote(policy, id, r == null ? null : r.summary(), r == null ? null
                : r.source());
    }

    /** Receives progress of a matrix run. */
    @FunctionalInterface
    public interface MatrixProgress {
        /** Called after each cell: how many are done, of how many, and which one just finished. */
        void done(int finished, int total, String scenario, String policy);

        /**
         * Called every {@link #intervalSeconds} while a cell's search runs: its states so far and its time. Calls for
         * cells that run side by side may come from their threads at once.
         */
        default void running(String scenario, String policy, long states, double seconds) {}

        /** Returns how often {@link #running} is wanted, in seconds. */
        default double intervalSeconds() {
            return 10;
        }
    }

    /**
     * Checks every scenario under every policy, on {@code threads} worker threads. Results do not depend on the
     * number of threads: each cell is its own single-threaded exploration, placed by its position.
     */
    public static pinlab.report.Matrix matrix(List<Scenario> scenarios, List<Policy> policies, Limits limits,
            int threads, MatrixProgress progress) {
        return matrix(scenarios, policies, limits, threads, progress, false);
    }

    /**
     * Like {@link #matrix(List, List, Limits, int, MatrixProgress)}; with {@code askedOnly}, a column that is not a
     * preset (a proposal or a switched rule) is checked only for the scenarios whose expect lines name it, and is
     * {@linkplain CheckResult#notAsked not asked} for the others.
     */
    public static pinlab.report.Matrix matrix(List<Scenario> scenarios, List<Policy> policies, Limits limits,
            int threads, MatrixProgress progress, boolean askedOnly) {
        return matrix(scenarios, policies, limits, threads, progress, askedOnly, false);
    }

    /**
     * Like {@link #matrix(List, List, Limits, int, MatrixProgress, boolean)}; with {@code allTraces}, each cell also
     * keeps the shortest trace to every outcome ({@link CheckResult.OutcomeRow#trace}), not only the witness.
     */
    public static pinlab.report.Matrix matrix(List<Scenario> scenarios, List<Policy> policies, Limits limits,
            int threads, MatrixProgress progress, boolean askedOnly, boolean allTraces) {
        long t0 = System.nanoTime();
        int total = scenarios.size() * policies.size();
        // cells run side by side: each cell's own search stays on one thread unless the user said otherwise
        Limits cellLimits = threads > 1 && limits.workers() == 0 ? limits.withWorkers(1) : limits;
        CheckResult[][] cells = new CheckResult[scenarios.size()][policies.size()];
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
                Math.max(1, threads));
        java.util.concurrent.atomic.AtomicInteger finished = new java.util.concurrent.atomic.AtomicInteger();
        List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < scenarios.size(); i++) {
            for (int j = 0; j < policies.size(); j++) {
                int si = i;
                int pj = j;
                futures.add(pool.submit(() -> {
                    Scenario sc = scenarios.get(si);
                    Policy pol = policies.get(pj);
                    cells[si][pj] = askedOnly && !pol.isPreset() && sc.expectationFor(pol.name()) == null
                            ? CheckResult.notAsked(sc, pol.name())
                            : check(sc, pol, cellLimits, allTraces, new Progress() {
                                @Override
                                public void update(long states, long transitions, int depth, long queue,
                                        long expanded, double seconds) {
                                    progress.running(sc.name(), pol.name(), states, seconds);
                                }

                                @Override
                                public double intervalSeconds() {
                                    return progress.intervalSeconds();
                                }
                            });
                    synchronized (progress) {
                        progress.done(finished.incrementAndGet(), total, scenarios.get(si).name(),
                                policies.get(pj).name());
                    }
                }));
            }
        }
        try {
            for (java.util.concurrent.Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
        List<pinlab.report.Matrix.Row> rows = new ArrayList<>();
        for (int i = 0; i < scenarios.size(); i++) {
            Scenario sc = scenarios.get(i);
            rows.add(new pinlab.report.Matrix.Row(sc.name(), sc.topic(), sc.title(), sc.file(), sc.text(),
                    sc.failure() == null ? null : sc.failure().label(), List.of(cells[i])));
        }
        List<pinlab.report.Matrix.RuleInfo> rules = new ArrayList<>();
        for (pinlab.policy.Rule r : pinlab.policy.Rule.values()) {
            rules.add(new pinlab.report.Matrix.RuleInfo(r.id(), r.summary(), r.source()));
        }
        List<String> names = policies.stream().map(Policy::name).toList();
        return new pinlab.report.Matrix(names, List.copyOf(rows), List.copyOf(rules),
                (System.nanoTime() - t0) / 1_000_000);
    }

    /** Returns a cell's comparable result: its label, with {@code *} when the failure happens in every run. */
    private static String signature(CheckResult r) {
        return r.cell();
    }

    /**
     * Finds where a scenario's result changes along the ordered kernel policies, and for each change which of
     * the rules that differ decide it: a rule decides when switching it alone in the older policy, as the newer
     * one has it, gives the newer result.
     */
    public static pinlab.report.BisectResult bisect(Scenario sc, List<Policy> ordered, Limits limits) {
        List<pinlab.report.BisectResult.PolicyCell> cells = new ArrayList<>();
        List<String> sig = new ArrayList<>();
        for (Policy p : ordered) {
            String s = signature(check(sc, p, limits, false));
            sig.add(s);
            cells.add(new pinlab.report.BisectResult.PolicyCell(p.name(), s));
        }
        List<pinlab.report.BisectResult.Flip> flips = new ArrayList<>();
        for (int i = 0; i + 1 < ordered.size(); i++) {
            // a cell a limit stopped is no result: it can be no side of a flip
            if (sig.get(i).equals(sig.get(i + 1)) || sig.get(i).equals("INCOMPLETE")
                    || sig.get(i + 1).equals("INCOMPLETE")) {
                continue;
            }
            Policy a = ordered.get(i);
            Policy b = ordered.get(i + 1);
            List<String> differing = new ArrayList<>();
            List<String> deciding = new ArrayList<>();
            List<String> tested = new ArrayList<>();
            List<pinlab.policy.Rule> switchable = new ArrayList<>();
            for (pinlab.policy.Rule r : pinlab.policy.Rule.values()) {
                if (a.has(r) == b.has(r)) {
                    continue;
                }
                differing.add((b.has(r) ? "+" : "-") + r.id());
                if (b.has(r) || r.group().switchable()) {
                    switchable.add(r); // the "off" side of a choice is covered by switching the chosen rule on
                }
            }
            // Smallest sets first: single rules, then pairs, then triples. A set decides when switching exactly
            // those rules in the older policy, as the newer one has them, gives the newer result.
            for (int size = 1; size <= Math.min(3, switchable.size()) && deciding.isEmpty(); size++) {
                for (List<pinlab.policy.Rule> set : subsets(switchable, size)) {
                    Policy switched = a;
                    StringBuilder name = new StringBuilder();
                    for (pinlab.policy.Rule r : set) {
                        switched = switched.with(r, b.has(r));
                        name.append(name.length() == 0 ? "" : " + ").append(r.id());
                    }
                    String got = signature(check(sc, switched, limits, false));
                    if (size == 1) {
                        tested.add(a.name() + (b.has(set.get(0)) ? " + " : " - ") + set.get(0).id() + " gives " + got);
                    }
                    if (got.equals(sig.get(i + 1))) {
                        StringBuilder why = new StringBuilder(name);
                        for (pinlab.policy.Rule r : set) {
                            why.append("\n      ").append(r.id()).append(": ").append(r.source());
                        }
                        deciding.add(why.toString());
                    }
                }
                if (!deciding.isEmpty() && size > 1) {
                    tested.add("no single rule decides; smallest deciding sets have " + size + " rules");
                }
            }
            flips.add(new pinlab.report.BisectResult.Flip(a.name(), b.name(), sig.get(i), sig.get(i + 1),
                    List.copyOf(differing), List.copyOf(deciding), List.copyOf(tested)));
        }
        return new pinlab.report.BisectResult(sc.name(), List.copyOf(cells), List.copyOf(flips));
    }

    private static <T> List<List<T>> subsets(List<T> items, int size) {
        List<List<T>> out = new ArrayList<>();
        subsets(items, size, 0, new ArrayList<>(), out);
        return out;
    }

    private static <T> void subsets(List<T> items, int size, int from, List<T> cur, List<List<T>> out) {
        if (cur.size() == size) {
            out.add(List.copyOf(cur));
            return;
        }
        for (int k = from; k < items.size(); k++) {
            cur.add(items.get(k));
            subsets(items, size, k + 1, cur, out);
            cur.remove(cur.size() - 1);
        }
    }

    /**
     * One scenario whose result depends on a rule.
     *
     * @param scenario the scenario
     * @param with its result under the policy as it is
     * @param without its result with the rule switched
     */
    public record RuleEffect(String scenario, String with, String without) {}

    /** Returns the scenarios whose result changes when {@code rule} alone is switched in {@code policy}. */
    public static List<RuleEffect> dependents(Policy policy, pinlab.policy.Rule rule, List<Scenario> scenarios,
            Limits limits) {
        boolean on = !policy.has(rule);
        if (!on && !rule.group().switchable()) {
            throw new IllegalArgumentException(rule.id() + " is the policy's choice for "
                    + pinlab.policy.Rule.groupName(rule.group())
                    + "; name one of the other choices to see what depends on it");
        }
        Policy switched = policy.with(rule, on);
        List<RuleEffect> out = new ArrayList<>();
        for (Scenario sc : scenarios) {
            String a = signature(check(sc, policy, limits, false));
            String b = signature(check(sc, switched, limits, false));
            if (!a.equals(b)) {
                out.add(new RuleEffect(sc.name(), a, b));
            }
        }
        return out;
    }
}
