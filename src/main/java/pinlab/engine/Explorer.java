package pinlab.engine;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Exhaustive breadth-first exploration. Every counterexample is therefore shortest; among shortest runs to a
 * state, the one with the fewest context switches is kept (then the one that steps lower-numbered threads
 * first), so results are deterministic.
 *
 * <p>The visited set maps 64-bit fingerprints to state numbers in a primitive open-addressing map. Per state
 * only its parent, the thread that reached it and its context-switch count are kept; runs are rebuilt from
 * those parent pointers.
 */
public final class Explorer {
    private static final long PROGRESS_NANOS = 10_000_000_000L;

    private final TransitionSystem ts;
    private final Limits limits;
    private final Progress progress;

    /** Creates an explorer of {@code ts} bounded by {@code limits}. */
    public Explorer(TransitionSystem ts, Limits limits) {
        this(ts, limits, Progress.NONE);
    }

    /** Creates an explorer of {@code ts} bounded by {@code limits}, reporting to {@code progress}. */
    public Explorer(TransitionSystem ts, Limits limits, Progress progress) {
        this.ts = ts;
        this.limits = limits;
        this.progress = progress;
    }

    /** Explores every reachable state. */
    public SearchResult run() {
        long t0 = System.nanoTime();
        long deadline = limits.maxSeconds() > 0 ? t0 + (long) (limits.maxSeconds() * 1e9) : Long.MAX_VALUE;
        Long2IntOpenHashMap seen = new Long2IntOpenHashMap();
        seen.defaultReturnValue(-1);
        IntArrayList parent = new IntArrayList();
        IntArrayList via = new IntArrayList();
        IntArrayList switches = new IntArrayList();
        Map<String, long[]> counts = new TreeMap<>();
        Map<String, Boolean> sat = new TreeMap<>();
        Map<String, Integer> tags = new TreeMap<>();
        Map<String, Integer> firstFinal = new TreeMap<>();
        Map<String, Integer> violationAt = new LinkedHashMap<>();
        long transitions = 0;
        long finals = 0;
        long positive = 0;
        long negative = 0;
        long marked = 0;
        String stop = null;
        int depth = 0;

        int[] init = ts.initial();
        seen.put(ts.fingerprint(init), 0);
        parent.add(-1);
        via.add(-1);
        switches.add(0);
        List<int[]> frontier = new ArrayList<>();
        IntArrayList frontierIds = new IntArrayList();
        if (!recordViolations(init, 0, violationAt)) {
            frontier.add(init);
            frontierIds.add(0);
        }
        int threads = ts.threads();
        long expanded = 0;
        long nextReport = t0 + PROGRESS_NANOS;
        try {
            search:
            while (!frontier.isEmpty()) {
                List<int[]> next = new ArrayList<>();
                IntArrayList nextIds = new IntArrayList();
                int nextLevelStart = parent.size();
                for (int k = 0; k < frontier.size(); k++) {
                    int[] s = frontier.get(k);
                    int id = frontierIds.getInt(k);
                    if ((++expanded & 255) == 0) {
                        long now = System.nanoTime();
                        if (now > deadline) {
                            stop = "time limit of " + limits.maxSeconds() + " s reached";
                            break search;
                        }
                        if (now > nextReport) {
                            progress.update(parent.size(), transitions, depth, next.size(), (now - t0) / 1e9);
                            nextReport = now + PROGRESS_NANOS;
                        }
                    }
                    boolean any = false;
                    for (int t = 0; t < threads; t++) {
                        int[] succ = ts.step(s, t);
                        if (succ == null) {
                            continue;
                        }
                        any = true;
                        transitions++;
                        long fp = ts.fingerprint(succ);
                        int sw = switches.getInt(id) + (via.getInt(id) >= 0 && via.getInt(id) != t ? 1 : 0);
                        int nid = parent.size();
                        int old = seen.putIfAbsent(fp, nid); // one probe: insert if absent, else the known id
                        if (old >= 0) {
                            // Same depth and not yet expanded: keep the run with fewer context switches.
                            if (old >= nextLevelStart && sw < switches.getInt(old)) {
                                parent.set(old, id);
                                via.set(old, t);
                                switches.set(old, sw);
                            }
                            continue;
                        }
                        parent.add(id);
                        via.add(t);
                        switches.add(sw);
                        if (recordViolations(succ, nid, violationAt)) {
                            continue;
                        }
                        next.add(succ);
                        nextIds.add(nid);
                        if (limits.maxStates() > 0 && parent.size() >= limits.maxStates()) {
                            stop = "state limit of " + limits.maxStates() + " reached";
                            break search;
                        }
                    }
                    if (!any) {
                        if (ts.finished(s)) {
                            finals++;
                            TransitionSystem.Outcome o = ts.outcome(s);
                            counts.computeIfAbsent(o.key(), x -> new long[1])[0]++;
                            sat.put(o.key(), o.satisfied());
                            tags.merge(o.key(), o.tags(), (a, b) -> a | b);
                            firstFinal.putIfAbsent(o.key(), id);
                            if (o.marked()) {
                                marked++;
                            }
                            if (o.satisfied()) {
                                positive++;
                            } else {
                                negative++;
                            }
                        } else {
                            violationAt.putIfAbsent(ts.stuck(s), id);
                        }
                    }
                }
                frontier = next;
                frontierIds = nextIds;
                if (!frontier.isEmpty()) {
                    depth++;
                }
            }
        } catch (OutOfMemoryError e) {
            // Drop the frontier so the result can still be built; the run is incomplete, never safe.
            frontier = List.of();
            stop = "out of memory after " + parent.size() + " states (raise -Xmx or set --max-states)";
        }
        Map<String, SearchResult.OutcomeStats> outcomes = new TreeMap<>();
        for (Map.Entry<String, long[]> e : counts.entrySet()) {
            outcomes.put(e.getKey(), new SearchResult.OutcomeStats(e.getValue()[0], sat.get(e.getKey()),
                    schedule(firstFinal.get(e.getKey()), parent, via), tags.get(e.getKey())));
        }
        Map<String, List<Integer>> violations = new LinkedHashMap<>();
        violationAt.forEach((name, id) -> violations.put(name, schedule(id, parent, via)));
        return new SearchResult(parent.size(), transitions, finals, positive, negative, marked, outcomes, violations,
                stop == null, stop, depth, System.nanoTime() - t0);
    }

    private boolean recordViolations(int[] s, int id, Map<String, Integer> at) {
        int v = ts.violations(s);
        if (v == 0) {
            return false;
        }
        for (int bit = 0; bit < 31; bit++) {
            if ((v & (1 << bit)) != 0) {
                at.putIfAbsent(ts.violationName(bit), id);
            }
        }
        return true;
    }

    private static List<Integer> schedule(int id, IntArrayList parent, IntArrayList via) {
        List<Integer> out = new ArrayList<>();
        for (int s = id; s > 0; s = parent.getInt(s)) {
            out.add(via.getInt(s));
        }
        java.util.Collections.reverse(out);
        return List.copyOf(out);
    }
}
