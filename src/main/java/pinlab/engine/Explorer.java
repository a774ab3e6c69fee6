package pinlab.engine;

import com.dynatrace.hash4j.hashing.Hasher64;
import com.dynatrace.hash4j.hashing.Hashing;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Exhaustive breadth-first exploration, level by level, on one or more worker threads, with results that do not
 * depend on the worker count. Every counterexample is therefore shortest; among shortest runs to a state, the one
 * with the fewest context switches is kept (then the one found first in the sequential order: lower-numbered
 * parents, then lower-numbered threads).
 *
 * <p>Each level runs in three phases, separated by barriers:
 * <ol>
 *   <li><b>Expand</b> (parallel over {@link Batch}es of the frontier): every enabled step of every frontier state,
 *       packed ({@link StateCodec}) and fingerprinted. Each batch's successors go, in the order the sequential
 *       search would meet them, into fresh batches of that batch's own, sorted there by visited-set segment. A
 *       repeat among one task's own successors is merged at once by the merge rule below (the task's successors
 *       are a contiguous run of the sequential order, so the result is the same).
 *   <li><b>Merge</b> (parallel over the visited set's segments, one task each): each segment walks its share of
 *       the level's successors in sequential order, keeps the first entry of each fingerprint, and moves to it the
 *       parent of a later repeat with strictly fewer context switches, exactly as the sequential search does. Then
 *       one probe per new fingerprint, in the order of home slots, drops those visited in earlier levels and adds
 *       the others. A fingerprint's entries all fall in one segment, so the result is the sequential one for any
 *       worker count.
 *   <li><b>Number</b> (parallel per batch, after a prefix sum of their counts): new states get the numbers the
 *       sequential order gives them, with their parents; deadlocks, stalls and violations are recorded in
 *       sequential order. The kept entries become the next frontier; their packed bytes past the heap's share go
 *       to disk ({@link Spill}).
 * </ol>
 *
 * <p>Per state only the fingerprint (in {@link FingerprintSet}) and the parent and thread that reached it (in
 * {@link ParentLog}) outlive its level; runs are rebuilt from those parent pointers.
 */
public final class Explorer {
    /** Below this many frontier states a level runs on the calling thread: the hand-off would cost more. */
    private static final int PARALLEL_MIN = 2 * Batch.TARGET;
    private static final Hasher64 HASH = Hashing.xxh3_64();

    private final TransitionSystem ts;
    private final Limits limits;
    private final Progress progress;
    private final int workers;
    private final int threads;
    private final int parallelMin;
    private final long spillBudget;

    private FingerprintSet visited;
    /** Violation names by bit, asked of the model once (numbering is sequential: one thread uses it). */
    private final String[] names = new String[31];
    private Spill spill;
    private long spilled;
    /** The bytes a full batch took so far: new batches start with room for that many. */
    private volatile int dataHint = 1024;
    /** For progress reports: the states of the level being expanded, and the transitions of earlier levels. */
    private volatile long levelStates;
    private volatile long doneTransitions;
    /** States of the level being expanded whose batch is done. */
    private final java.util.concurrent.atomic.LongAdder levelExpanded = new java.util.concurrent.atomic.LongAdder();
    private long progressNanos;
    private long storeBytes;
    private long reducedStates;
    private Stepper[] steppers;
    private volatile String stop;
    private long deadline;
    private long t0;
    private long nextReport;

    /** Creates an explorer of {@code ts} bounded by {@code limits}. */
    public Explorer(TransitionSystem ts, Limits limits) {
        this(ts, limits, Progress.NONE);
    }

    /** Creates an explorer of {@code ts} bounded by {@code limits}, reporting to {@code progress}. */
    public Explorer(TransitionSystem ts, Limits limits, Progress progress) {
        this(ts, limits, progress, PARALLEL_MIN, limits.spillBudget());
    }

    /**
     * Like the public constructor; levels of at least {@code parallelMin} states run on all workers, and frontier
     * bytes past {@code spillBudget} go to disk (tests: 1 and a few bytes, to force both paths).
     */
    Explorer(TransitionSystem ts, Limits limits, Progress progress, int parallelMin, long spillBudget) {
        this.parallelMin = parallelMin;
        this.spillBudget = spillBudget;
        this.ts = ts;
        this.limits = limits;
        this.progress = progress;
        this.workers = limits.resolvedWorkers();
        this.threads = ts.threads();
        if (threads > 254) {
            throw new IllegalArgumentException("at most 254 threads, not " + threads);
        }
    }

    /** What one expand task found besides successors: its final states and transition count. */
    private static final class Finals {
        long transitions;
        long finals;
        long positive;
        long negative;
        long marked;
        final Map<String, long[]> counts = new TreeMap<>();
        final Map<String, Boolean> sat = new TreeMap<>();
        final Map<String, Integer> tags = new TreeMap<>();
        final Map<String, Integer> first = new TreeMap<>();
    }

    /** One worker's reusable buffers. */
    private static final class Scratch {
        int[] state = new int[64];
        final Seen seen = new Seen();
        long reduced;
    }

    /**
     * The successors one expand task has met, by fingerprint. A repeat within the task is merged on the spot: the
     * task's entries are contiguous in the sequential order, so keeping the first and moving to it the parent of a
     * later repeat with strictly fewer switches is what the level's merge would do with them. Most repeats are
     * diamonds of neighbouring states, so this drops most of them before they take memory.
     */
    private static final class Seen {
        private long[] keys = new long[1 << 12];
        private int[] refs = new int[1 << 12];
        private int[] used = new int[1 << 11];
        private int usedN;

        /** Returns the reference of {@code fp}, or -1 after recording {@code ref} for it. */
        int putIfAbsent(long fp, int ref) {
            if (2 * (usedN + 1) > keys.length) {
                grow();
            }
            int mask = keys.length - 1;
            int i = (int) (fp ^ (fp >>> 31)) & mask;
            while (true) {
                long k = keys[i];
                if (k == fp) {
                    return refs[i];
                }
                if (k == 0) {
                    keys[i] = fp;
                    refs[i] = ref;
                    if (usedN == used.length) {
                        used = Arrays.copyOf(used, 2 * usedN);
                    }
                    used[usedN++] = i;
                    return -1;
                }
                i = (i + 1) & mask;
            }
        }

        private void grow() {
            long[] ok = keys;
            int[] or = refs;
            int[] ou = used;
            int n = usedN;
            keys = new long[2 * ok.length];
            refs = new int[keys.length];
            used = new int[Math.max(used.length, keys.length / 2)];
            usedN = 0;
            for (int j = 0; j < n; j++) {
                putIfAbsent(ok[ou[j]], or[ou[j]]);
            }
        }

        void clear() {
            if (usedN > keys.length / 16) {
                Arrays.fill(keys, 0L); // a sequential sweep beats scattered writes once many slots are used
            } else {
                for (int j = 0; j < usedN; j++) {
                    keys[used[j]] = 0;
                }
            }
            usedN = 0;
        }
    }

    /**
     * Explores every reachable state, or with {@link Limits#por} a subset that keeps every final and stuck state.
     * A reduced search that finds a violation or a stuck state is run again in full, so that what it reports is
     * exactly what the full space gives.
     */
    public SearchResult run() {
        long start = System.nanoTime();
        boolean reduce = limits.por() && ts.reduction() != null;
        SearchResult r = search(reduce, null);
        long reduced = reducedStates;
        if (reduced > 0 && !r.violations().isEmpty()) {
            // The reduction keeps every violation but not its shortest run: a full search up to the level where
            // the last of them first shows gives the traces the full space has.
            SearchResult full = search(false, r.violations().keySet());
            if (full.complete()) {
                r = full; // it explored everything before finding them all: its result is the full one
            } else {
                r = r.withViolations(full.violations());
            }
        }
        reducedStates = reduced;
        return r.withNanos(System.nanoTime() - start);
    }

    /** Returns in how many states the last {@link #run} expanded fewer threads than could step (0: none). */
    public long reducedStates() {
        return reducedStates;
    }

    /**
     * One breadth-first search, reduced or full; with {@code until}, it stops (incomplete) after the first level by
     * which every violation named there has been met.
     */
    private SearchResult search(boolean reduce, java.util.Set<String> until) {
        t0 = System.nanoTime();
        reducedStates = 0;
        deadline = limits.maxSeconds() > 0 ? t0 + (long) (limits.maxSeconds() * 1e9) : Long.MAX_VALUE;
        progressNanos = Math.max(100_000_000L, (long) (progress.intervalSeconds() * 1e9));
        nextReport = t0 + progressNanos;
        visited = new FingerprintSet();
        ParentLog log = new ParentLog();
        steppers = new Stepper[workers];
        Reduction[] reductions = new Reduction[workers];
        Scratch[] scratch = new Scratch[workers];
        Finals total = new Finals();
        Map<String, Integer> violationAt = new LinkedHashMap<>();
        int depth = 0;
        stop = null;
        Workers pool = new Workers(workers, "pinlab-explore");
        LevelMap[] levelMaps = new LevelMap[workers];

        Spill spill = new Spill(spillBudget);
        this.spill = spill;
        int[] init = ts.initial();
        byte[] packed = new byte[StateCodec.maxBytes(init.length)];
        int plen = StateCodec.encode(init, init.length, packed, 0);
        visited.add(FingerprintSet.normal(HASH.hashBytesToLong(packed, 0, plen)));
        log.ensure(1);
        log.set(0, -1, -1);
        List<Batch> frontier = new ArrayList<>();
        if (!recordViolations(ts.violations(init), 0, violationAt)) {
            Batch b = new Batch(1024);
            b.add(packed, plen, 0, -1, -1, 0, 0);
            b.id = new int[] {0};
            b.compact(spill, 0);
            frontier.add(b);
        }
        try {
            while (!frontier.isEmpty() && stop == null) {
                int states = 0;
                for (Batch b : frontier) {
                    states += b.n;
                }
                boolean parallel = workers > 1 && states >= parallelMin;
                levelStates = states;
                levelExpanded.reset();
                doneTransitions = total.transitions;
                int tasks = frontier.size();
                List<List<Batch>> out = new ArrayList<>(java.util.Collections.nCopies(tasks, List.of()));
                Finals[] fin = new Finals[tasks];
                List<Batch> level = frontier;
                int reportDepth = depth;
                int gen = 1 - (depth & 1); // the successors' generation on disk; the frontier's is depth & 1
                pool.forEach(parallel, tasks, (w, i) -> {
                    if (scratch[w] == null) {
                        scratch[w] = new Scratch();
                        steppers[w] = ts.stepper();
                        reductions[w] = reduce ? ts.reduction() : null;
                    }
                    fin[i] = new Finals();
                    out.set(i, expand(level.get(i), steppers[w], reductions[w], scratch[w], fin[i], w == 0, log,
                            reportDepth, gen));
                });
                if (stop != null) {
                    break;
                }
                List<Batch> found = new ArrayList<>();
                for (List<Batch> o : out) {
                    found.addAll(o);
                }
                if (found.size() >= 1 << 20) {
                    stop = "more than 2^32 successors in one level (set --max-states)";
                    break;
                }
                for (Finals f : fin) {
                    merge(total, f);
                }
                pool.forEach(parallel, FingerprintSet.SEGMENTS, (w, seg) -> {
                    if (levelMaps[w] == null) {
                        levelMaps[w] = new LevelMap();
                    }
                    dedup(found, seg, levelMaps[w]);
                });
                pool.forEach(parallel, found.size(), (w, i) -> found.get(i).marks());
                number(pool, parallel, found, log, violationAt);
                if (until != null && violationAt.keySet().containsAll(until)) {
                    stop = "every violation met";
                }
                spill.clear(depth & 1); // the frontier was read for the last time
                pool.forEach(parallel, found.size(), (w, i) -> found.get(i).compact(spill, gen));
                List<Batch> next = new ArrayList<>();
                for (Batch b : found) {
                    if (b.n > 0) {
                        next.add(b);
                    }
                }
                frontier = next;
                if (!frontier.isEmpty() && stop == null) {
                    depth++;
                }
            }
        } catch (OutOfMemoryError e) {
            // Drop the frontier so the result can still be built; the run is incomplete, never safe.
            frontier = null;
            stop = "out of memory after " + log.size() + " states (raise -Xmx or set --max-states)";
        } finally {
            pool.close();
            spilled = spill.spilled();
            storeBytes = visited.bytes() + log.bytes();
            spill.close();
            for (Scratch sc : scratch) {
                reducedStates += sc == null ? 0 : sc.reduced;
            }
        }
        Map<String, SearchResult.OutcomeStats> outcomes = new TreeMap<>();
        for (Map.Entry<String, long[]> e : total.counts.entrySet()) {
            outcomes.put(e.getKey(), new SearchResult.OutcomeStats(e.getValue()[0], total.sat.get(e.getKey()),
                    log.schedule(total.first.get(e.getKey())), total.tags.get(e.getKey())));
        }
        Map<String, List<Integer>> violations = new LinkedHashMap<>();
        violationAt.forEach((name, id) -> violations.put(name, log.schedule(id)));
        String why = stop;
        return new SearchResult(log.size(), total.transitions, total.finals, total.positive, total.negative,
                total.marked, outcomes, violations, why == null, why, depth, System.nanoTime() - t0);
    }

    /** Returns the bytes of frontier the last {@link #run} wrote to disk (0 when it all fit its heap share). */
    public long spilledBytes() {
        return spilled;
    }

    /** Returns the bytes the last {@link #run}'s visited set and parent log took at the end. */
    public long storeBytes() {
        return storeBytes;
    }

    /** Expands every state of {@code in}; returns the successors not visited in earlier levels, in order. */
    private List<Batch> expand(Batch in, Stepper stepper, Reduction reduction, Scratch sc, Finals fin,
            boolean reporter, ParentLog log, int depth, int gen) {
        byte[] data = in.data(spill);
        List<Batch> out = new ArrayList<>();
        Batch cur = new Batch(dataHint);
        out.add(cur);
        long transitions = 0;
        Seen seen = sc.seen;
        seen.clear();
        for (int e = 0; e < in.n; e++) {
            if ((e & 255) == 255) {
                long now = System.nanoTime();
                if (now > deadline) {
                    stop = "time limit of " + limits.maxSeconds() + " s reached";
                }
                if (stop != null) {
                    break;
                }
                if (reporter && now > nextReport) {
                    progress.update(log.size(), doneTransitions + transitions, depth, levelStates,
                            levelExpanded.sum() + e, (now - t0) / 1e9);
                    nextReport = now + progressNanos;
                }
            }
            int from = in.start[e];
            int to = in.start[e + 1];
            if (sc.state.length < to - from) {
                sc.state = new int[2 * (to - from)];
            }
            int len = StateCodec.decode(data, from, to, sc.state);
            int id = in.id[e];
            int via = in.via[e] & 0xFF;
            int sw0 = in.sw[e];
            boolean any = false;
            long ample = reduction == null ? Reduction.ALL : reduction.ample(sc.state, len);
            boolean visible = false;
            // pass 0 steps the persistent set; pass 1 the other threads, when a step of the set raised a
            // violation (a visible step: the set must then be every thread)
            for (int pass = 0; pass < 2; pass++) {
                for (int t = 0; t < threads; t++) {
                    if ((ample == Reduction.ALL || (ample & (1L << t)) != 0) == (pass == 1)) {
                        continue;
                    }
                    int slen = stepper.step(sc.state, len, t);
                    if (slen < 0) {
                        continue;
                    }
                    any = true;
                    transitions++;
                    int[] succ = stepper.buffer();
                    int viol = ts.violations(succ);
                    visible |= viol != 0;
                    if (cur.n >= Batch.TARGET) {
                        cur = new Batch(dataHint);
                        out.add(cur);
                    }
                    // packed straight into the batch, and fingerprinted there
                    byte[] d = cur.reserve(StateCodec.maxBytes(slen));
                    int at = cur.end();
                    int plen = StateCodec.encode(succ, slen, d, at) - at;
                    long fp = FingerprintSet.normal(HASH.hashBytesToLong(d, at, plen));
                    int sw = sw0 + (via != 0xFF && via != t ? 1 : 0);
                    int old = seen.putIfAbsent(fp, ((out.size() - 1) << 12) | cur.n);
                    if (old >= 0) {
                        // met before in this task: the same state; its first entry keeps the run with fewer switches
                        Batch ob = out.get(old >>> 12);
                        int oe = old & 0xFFF;
                        if (sw < ob.sw[oe]) {
                            ob.sw[oe] = (short) sw;
                            ob.parent[oe] = id;
                            ob.via[oe] = (byte) t;
                        }
                        continue; // nothing committed: the next successor's bytes go where these were
                    }
                    cur.commit(plen, fp, id, t, sw, viol);
                }
                if (ample == Reduction.ALL || !visible) {
                    sc.reduced += ample == Reduction.ALL ? 0 : 1;
                    break;
                }
            }
            if (!any) {
                int[] s = Arrays.copyOf(sc.state, len);
                if (ts.finished(s)) {
                    fin.finals++;
                    TransitionSystem.Outcome o = ts.outcome(s);
                    fin.counts.computeIfAbsent(o.key(), x -> new long[1])[0]++;
                    fin.sat.put(o.key(), o.satisfied());
                    fin.tags.merge(o.key(), o.tags(), (a, b) -> a | b);
                    fin.first.putIfAbsent(o.key(), id);
                    if (o.marked()) {
                        fin.marked++;
                    }
                    if (o.satisfied()) {
                        fin.positive++;
                    } else {
                        fin.negative++;
                    }
                } else {
                    cur.stuck(ts.stuck(s), id);
                }
            }
        }
        fin.transitions += transitions;
        in.drop(spill);
        if (out.size() > 1) {
            dataHint = Math.max(dataHint, out.get(0).end()); // a full batch's bytes: the next ones start that big
        }
        for (Batch b : out) {
            b.index();
            b.settle(spill, gen);
        }
        levelExpanded.add(in.n);
        return out;
    }

    private static void merge(Finals into, Finals f) {
        into.transitions += f.transitions;
        into.finals += f.finals;
        into.positive += f.positive;
        into.negative += f.negative;
        into.marked += f.marked;
        f.counts.forEach((k, v) -> into.counts.computeIfAbsent(k, x -> new long[1])[0] += v[0]);
        into.sat.putAll(f.sat);
        f.tags.forEach((k, v) -> into.tags.merge(k, v, (a, b) -> a | b));
        f.first.forEach(into.first::putIfAbsent);
    }

    /**
     * Segment {@code seg} of the visited set: marks the first entry of each of the segment's new fingerprints in
     * this level, gives it the parent of the entry with the fewest context switches (the earliest on a tie), and adds
     * the new fingerprints to the visited set. Entries of one fingerprint are met in sequential order; entries of
     * different fingerprints do not interact, so segments run in any order and on any worker. The segment's
     * entries are read in the batches' segment order, so this walks memory in order.
     */
    private void dedup(List<Batch> found, int seg, LevelMap level) {
        int count = 0;
        for (Batch b : found) {
            count += b.segStart[seg + 1] - b.segStart[seg];
        }
        if (count == 0) {
            return;
        }
        level.reset(count);
        int news = 0;
        for (int bi = 0; bi < found.size(); bi++) {
            Batch b = found.get(bi);
            long[] fp = b.fpSeg;
            short[] sw = b.swSeg;
            boolean[] first = b.firstSeg;
            int base = bi << 12; // a batch holds at most 4,096 entries; at most 2^20 batches a level
            for (int k = b.segStart[seg], end = b.segStart[seg + 1]; k < end; k++) {
                long r = level.meet(fp[k], base | k, sw[k]);
                if (r == LevelMap.NEW) {
                    first[k] = true; // unless an earlier level had it: decided below
                    level.news(news++, fp[k], base | k);
                } else if ((r & (1L << 62)) != 0) {
                    // fewer switches than any earlier entry: its run becomes the state's shortest
                    Batch fb = found.get((int) (r >>> 12) & 0xFFFFF);
                    int fe = fb.bySeg[(int) r & 0xFFF];
                    int e = b.bySeg[k];
                    fb.sw[fe] = sw[k];
                    fb.parent[fe] = b.parent[e];
                    fb.via[fe] = b.via[e];
                }
            }
        }
        // One probe of the visited set per new fingerprint tells an earlier level's state from a new one and adds
        // the new one (this task owns the segment). Probed in the order of their home slots, so the table is walked
        // from one end to the other instead of at random: the set is the same in any order.
        visited.reserve(seg, news);
        int[] order = level.byHome(news, visited.capacity(seg));
        for (int i = 0; i < news; i++) {
            int j = order[i];
            if (!visited.add(level.newFp(j))) {
                int ref = level.newRef(j);
                found.get(ref >>> 12).firstSeg[ref & 0xFFF] = false; // visited in an earlier level
            }
        }
    }

    /** Numbers the level's new states in sequential order and records their violations and the stuck states. */
    private void number(Workers pool, boolean parallel, List<Batch> found, ParentLog log,
            Map<String, Integer> violationAt) {
        // how many new states each batch has, then where its numbers start: the sequential order's numbers
        int[] base = new int[found.size() + 1];
        pool.forEach(parallel, found.size(), (w, i) -> {
            Batch b = found.get(i);
            int c = 0;
            for (int e = 0; e < b.n; e++) {
                c += b.id[e] >= 0 ? 1 : 0;
            }
            base[i + 1] = c;
        });
        int size0 = log.size();
        for (int i = 0; i < found.size(); i++) {
            base[i + 1] += base[i];
        }
        long total = base[found.size()];
        long max = limits.maxStates();
        long keep = total;
        if (max > 0 && size0 + total >= max) {
            keep = max - size0; // the first ones in sequential order, as a sequential search would stop
            stop = "state limit of " + max + " reached";
        }
        if (size0 + keep > Integer.MAX_VALUE - 8) {
            throw new OutOfMemoryError("more than 2^31 states");
        }
        int end = (int) (size0 + keep);
        log.ensure(end);
        pool.forEach(parallel, found.size(), (w, i) -> {
            Batch b = found.get(i);
            int id = size0 + base[i];
            for (int e = 0; e < b.n; e++) {
                if (b.id[e] < 0) {
                    continue;
                }
                if (id >= end) {
                    b.id[e] = -1; // past the state limit
                    continue;
                }
                b.id[e] = id;
                log.set(id, b.parent[e], b.via[e] & 0xFF);
                id++;
            }
        });
        // deadlocks, stalls and violations, in the sequential order (few batches have any)
        for (Batch b : found) {
            if (b.stuckN == 0 && b.violN == 0) {
                continue;
            }
            int k = 0;
            int v = 0;
            for (int e = 0; e <= b.n; e++) {
                while (k < b.stuckN && b.stuckAt[k] == e) {
                    violationAt.putIfAbsent(b.stuckName[k], b.stuckId[k]);
                    k++;
                }
                if (v < b.violN && b.violAt[v] == e) {
                    int bits = b.violBits[v++];
                    if (b.id[e] >= 0) {
                        recordViolations(bits, b.id[e], violationAt);
                    }
                }
            }
        }
    }

    private boolean recordViolations(int v, int id, Map<String, Integer> at) {
        if (v == 0) {
            return false;
        }
        for (int bit = 0; bit < 31; bit++) {
            if ((v & (1 << bit)) != 0) {
                if (names[bit] == null) {
                    names[bit] = ts.violationName(bit);
                }
                at.putIfAbsent(names[bit], id);
            }
        }
        return true;
    }
}
