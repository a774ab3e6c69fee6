package pinlab.policy;

import static pinlab.policy.Rule.*;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The registry of named policies, in kernel order. Each policy is its predecessor plus the rules that changed,
 * as Jimfs builds one OS preset from another. {@link #resolve} also reads policy expressions: a preset with
 * proposals and rules switched on or off, e.g. {@code linux-5.8+kara-block} or {@code linux-6.5-dio-foll-pin}.
 */
public final class Policies {
    private static final Map<String, Policy> BY_NAME = new LinkedHashMap<>();

    static {
        EnumSet<Rule> base = EnumSet.noneOf(Rule.class);
        for (Rule r : Rule.values()) {
            if (r.group() == Group.BASE) {
                base.add(r);
            }
        }
        base.add(WP_REUSE_MAPCOUNT);
        base.add(FORK_SHARE_PINNED);
        base.add(GUP_ANON_ZERO_PAGE);
        base.add(EXT4_BUG_NO_BUFFERS);
        base.add(DIO_INVALIDATE_BEFORE);
        base.add(DIO_INVALIDATE_AFTER);
        base.add(KSM_CLEAR_FIRST);
        base.add(FORCE_DROP_WRITE);
        base.add(GUP_FORCE_SHARED_COW);
        base.add(UPROBE_REPLACE_PAGE);
        base.add(TUX3_2015);
        Policy l26 = new Policy("linux-2.6",
                null, "2.6.28 (Nov 2008, seed 003's era): COW reuse by mapcount, fork shares pinned pages,"
                        + " every GUP user takes FOLL_GET, anonymous read faults allocate (no zero page); ext4 BUGs on"
                        + " a dirty page without buffers",
                base);
        Policy l48 = l26.extend("linux-4.8",
                "4.8 (Oct 2016), the last kernel with Dirty COW: the zero page is back for anonymous read faults"
                        + " (2.6.32), KSM exists (2.6.32), FOLL_ANON is gone (2.6.32), forced writes no longer COW in"
                        + " shared mappings (3.15), uprobes exist (3.5), /proc/PID/mem can be written (2.6.39),"
                        + " process_vm_readv/writev exist (3.2)",
                List.of(ANON_READ_ZERO_PAGE, KSM, UPROBES, PROC_MEM_WRITE, PROCESS_VM),
                List.of(GUP_ANON_ZERO_PAGE, GUP_FORCE_SHARED_COW));
        Policy l49 = l48.extend("linux-4.9",
                "4.9 (Dec 2016): a forced write follows a read-only PTE only if it is dirty after its COW (FOLL_COW)",
                List.of(FOLL_COW), List.of());
        Policy l415 = l49.extend("linux-4.15",
                "4.15 (Jan 2018, seed 004's era): get_user_pages_longterm() refuses filesystem-DAX, O_DIRECT"
                        + " invalidation failures are reported",
                List.of(GUP_LONGTERM_FSDAX, DIO_WARN_STALE), List.of());
        Policy l52 = l415.extend("linux-5.2",
                "5.2 (Jul 2019, after seed 002): FOLL_LONGTERM is a GUP flag; io_uring exists (5.1) and registers"
                        + " buffers with FOLL_GET; DAX truncate waits for pinned pages (4.18); a KSM page only one PTE"
                        + " references is reused on write (5.1)",
                List.of(FOLL_LONGTERM, IO_URING, DAX_BREAK_LAYOUTS, KSM_REUSE_SOLE), List.of());
        Policy l58 = l52.extend("linux-5.8",
                "5.8: FOLL_PIN exists, GUP in COW mappings breaks COW first, MADV_PAGEOUT exists (5.4), removing a"
                        + " uprobe brings the page-cache page back (5.4)",
                List.of(FOLL_PIN, GUP_READ_BREAKS_COW, MADV_PAGEOUT, UPROBE_ORIG_PAGE), List.of());
        Policy l59 = l58.extend("linux-5.9",
                "5.9: COW reuse only at refcount 1; fork copies maybe-pinned pages of pinning mms early",
                List.of(WP_REUSE_REFCOUNT, FORK_COPY_MAYBE_PINNED, MMF_HAS_PINNED),
                List.of(GUP_READ_BREAKS_COW, KSM_REUSE_SOLE));
        Policy l510 = l59.extend("linux-5.10",
                "5.10: stable writes are a queue and superblock flag (same behaviour for filesystem files)",
                List.of(STABLE_WRITES_QUEUE), List.of());
        Policy l518 = l510.extend("linux-5.18",
                "5.18: ext4 warns about a dirty page without buffers and drops it instead of crashing;"
                        + " fadvise/drop_caches check references before releasing buffers; GUP-fast pins retry"
                        + " around a fork (write_protect_seq, 5.11); long-term pins migrate pages out of ZONE_MOVABLE"
                        + " first (5.13)",
                List.of(EXT4_WARN_NO_BUFFERS, EVICT_REFCOUNT_FIRST, GUP_FAST_SEQ, LONGTERM_MIGRATE_MOVABLE), List.of());
        Policy l519 = l518.extend("linux-5.19",
                "5.19: PageAnonExclusive; R/O pins unshare shared anonymous pages; fork refuses to share"
                        + " exclusive maybe-pinned pages",
                List.of(ANON_EXCLUSIVE_FLAG, WP_REUSE_EXCLUSIVE, FORK_COPY_EXCLUSIVE_PINNED, GUP_UNSHARE_ANON),
                List.of());
        Policy l62 = l519.extend("linux-6.2",
                "6.2: R/O long-term pins in COW mappings unshare non-anonymous pages too; a forced write follows a"
                        + " read-only PTE only to an exclusive anonymous page (6.0); break_ksm() unshares",
                List.of(GUP_UNSHARE_COW_LONGTERM, FORCE_EXCLUSIVE, KSM_BREAK_UNSHARE), List.of());
        Policy l64 = l62.extend("linux-6.4",
                "6.4: reclaim keeps a maybe-pinned folio, with its buffers, once it is unmapped",
                List.of(RECLAIM_SKIP_PINNED), List.of());
        Policy l65 = l64.extend("linux-6.5",
                "6.5: direct I/O pins its pages with FOLL_PIN; long-term writable pins of dirty-tracked shared file"
                        + " mappings are refused",
                List.of(DIO_FOLL_PIN, GUP_LONGTERM_FILE_WRITE), List.of());
        Policy l618 = l65.extend("linux-6.18",
                "6.18, the kernel this machine runs: btrfs O_DIRECT writes with checksums fall back to buffered"
                        + " (6.15); uprobes write the breakpoint in place (6.16); tmpfs accepts O_DIRECT (6.6)",
                List.of(BTRFS_DIO_BUFFERED, UPROBE_IN_PLACE, TMPFS_DIO), List.of());
        for (Policy p : List.of(l26, l48, l49, l415, l52, l58, l59, l510, l518, l519, l62, l64, l65, l618)) {
            BY_NAME.put(p.name(), p);
        }
    }

    private static final Map<String, Map<Rule, String>> SINCE = new LinkedHashMap<>();

    static {
        // When each change a preset makes reached mainline, where it is older than the preset (the presets'
        // descriptions and the rules' sources give them); the others came with the preset's own release.
        since("linux-4.8", ANON_READ_ZERO_PAGE, "2.6.32", KSM, "2.6.32", UPROBES, "3.5", PROC_MEM_WRITE, "2.6.39",
                PROCESS_VM, "3.2", GUP_ANON_ZERO_PAGE, "2.6.32", GUP_FORCE_SHARED_COW, "3.15");
        since("linux-5.2", IO_URING, "5.1", DAX_BREAK_LAYOUTS, "4.18", KSM_REUSE_SOLE, "5.1");
        since("linux-5.8", FOLL_PIN, "5.7", MADV_PAGEOUT, "5.4", UPROBE_ORIG_PAGE, "5.4");
        since("linux-5.18", GUP_FAST_SEQ, "5.11", LONGTERM_MIGRATE_MOVABLE, "5.13");
        since("linux-6.2", FORCE_EXCLUSIVE, "6.0");
        since("linux-6.18", BTRFS_DIO_BUFFERED, "6.15", UPROBE_IN_PLACE, "6.16", TMPFS_DIO, "6.6");
    }

    private static void since(String preset, Object... ruleThenVersion) {
        Map<Rule, String> m = SINCE.computeIfAbsent(preset, k -> new LinkedHashMap<>());
        for (int i = 0; i < ruleThenVersion.length; i += 2) {
            m.put((Rule) ruleThenVersion[i], (String) ruleThenVersion[i + 1]);
        }
    }

    /** Returns the release in which {@code preset}'s change of {@code r} (relative to its parent) reached mainline. */
    private static String sinceOf(Policy preset, Rule r) {
        return SINCE.getOrDefault(preset.name(), Map.of()).getOrDefault(r, versionOf(preset));
    }

    /** A kernel release, optionally written as {@code linux-X.Y[.Z]}, with any overlays after it. */
    private static final java.util.regex.Pattern RELEASE =
            java.util.regex.Pattern.compile("(?:linux-)?(\\d+\\.\\d+(?:\\.\\d+)?)((?:[+-].*)?)");

    /** Returns the newest preset. */
    public static Policy newest() {
        Policy last = null;
        for (Policy p : BY_NAME.values()) {
            last = p;
        }
        return last;
    }

    /**
     * Returns the policy in force at kernel release {@code version} ({@code X.Y} or {@code X.Y.Z}): the preset of
     * that release, or else one named {@code linux-VERSION} with the rules of the newest preset before it plus
     * the changes of later presets that had reached mainline by then. Its description says which.
     *
     * @throws UnknownPolicy when the release is older than the oldest preset
     */
    public static Policy atRelease(String version) {
        Policy exact = BY_NAME.get("linux-" + version);
        if (exact != null) {
            return exact;
        }
        String[] parts = version.split("\\.", -1);
        int major = Integer.parseInt(parts[0]);
        int minor = Integer.parseInt(parts[1]);
        // the release series that ended: 2.6 (2.6.39), 3.x (3.19), 4.x (4.20), 5.x (5.19)
        int last = switch (major) {
            case 2 -> 6;
            case 3, 5 -> 19;
            case 4 -> 20;
            default -> Integer.MAX_VALUE;
        };
        if (major < 2 || minor > last) {
            throw new UnknownPolicy("there is no Linux " + version + (major >= 2 && major <= 5 ? " (the " + major
                    + ".x releases end at " + major + "." + last + ")" : ""));
        }
        if (major == 2 && minor == 6 && parts.length < 3) {
            throw new UnknownPolicy("linux-2.6 is the preset of 2.6.28; give a 2.6.x release for another one");
        }
        Policy base = null;
        for (Policy p : BY_NAME.values()) {
            if (compareVersions(versionOf(p), version) <= 0) {
                base = p;
            }
        }
        if (base == null) {
            Policy oldest = BY_NAME.values().iterator().next();
            throw new UnknownPolicy("linux-" + version + " is older than the oldest preset, " + oldest.name() + " ("
                    + versionOf(oldest) + ")");
        }
        String name = "linux-" + version;
        Policy p = base;
        List<String[]> more = new ArrayList<>();
        boolean later = false;
        for (Policy q : BY_NAME.values()) {
            if (!later) {
                later = q.equals(base);
                continue;
            }
            for (Rule r : q.added()) {
                String when = sinceOf(q, r);
                if (compareVersions(when, version) <= 0 && !p.has(r)) {
                    p = p.with(r, true, name);
                    more.add(new String[] {when, "+" + r.id() + " (" + when + ")"});
                }
            }
            for (Rule r : q.removed()) {
                String when = sinceOf(q, r);
                if (!r.group().choice() && compareVersions(when, version) <= 0 && p.has(r)) {
                    p = p.with(r, false, name);
                    more.add(new String[] {when, "-" + r.id() + " (" + when + ")"});
                }
            }
        }
        more.sort((x, y) -> compareVersions(x[0], y[0]));
        String desc = name + " → " + base.name() + " rules"
                + (more.isEmpty() ? "" : " " + String.join(" ", more.stream().map(x -> x[1]).toList()))
                + (compareVersions(version, versionOf(newest())) > 0 ? "; " + version + " is newer than the newest"
                        + " preset, " + newest().name() + ": what changed after it is not modelled"
                        : " (the newest preset at or before " + version + (more.isEmpty() ? "" : ", and what later"
                                + " presets changed by then") + ")");
        return new Policy(name, base, desc, p.rules());
    }

    /** Returns whether {@code p} stands for a kernel release between presets ({@link #atRelease}). */
    public static boolean isRelease(Policy p) {
        return !p.isPreset() && p.parent() != null && p.parent().isPreset()
                && p.name().matches("linux-\\d+\\.\\d+(\\.\\d+)?");
    }

    private Policies() {}

    /** Returns every linux preset, in kernel order. */
    public static List<Policy> all() {
        return Collections.unmodifiableList(new ArrayList<>(BY_NAME.values()));
    }

    /** Returns the preset named {@code name} (no expression), or null. */
    public static Policy byName(String name) {
        return BY_NAME.get(name);
    }

    /**
     * Returns the kernel release a policy stands for: its preset's (linux-2.6 is 2.6.28; linux-X.Y is X.Y), for an
     * expression the preset it starts from.
     */
    public static String versionOf(Policy p) {
        // linux-2.6 (and expressions on it) stands for 2.6.28: that one is found through its preset below
        java.util.regex.Matcher m = RELEASE.matcher(p.name());
        if (p.name().startsWith("linux-") && m.matches() && !m.group(1).equals("2.6")) {
            return m.group(1);
        }
        Policy q = p;
        while (q != null && !q.isPreset()) {
            q = q.parent();
        }
        if (q == null) {
            return "0";
        }
        String v = q.name().substring("linux-".length());
        return v.equals("2.6") ? "2.6.28" : v;
    }

    /** Compares two dotted release numbers ({@code 2.6.28} &lt; {@code 2.6.29} &lt; {@code 4.15}). */
    public static int compareVersions(String a, String b) {
        String[] x = a.split("\\.", -1);
        String[] y = b.split("\\.", -1);
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int u = i < x.length ? Integer.parseInt(x[i]) : 0;
            int v = i < y.length ? Integer.parseInt(y[i]) : 0;
            if (u != v) {
                return Integer.compare(u, v);
            }
        }
        return 0;
    }

    /** Returns the policy of the kernel this machine runs ({@code uname -r}, as the JVM's os.version gives it). */
    public static Policy host() {
        return forRelease(hostRelease());
    }

    /** Returns this machine's kernel release, e.g. {@code 6.18.44-fc-v1045}. */
    public static String hostRelease() {
        return System.getProperty("os.version", "");
    }

    /**
     * Returns the policy for a kernel release string such as {@code uname -r} prints ({@code 5.15.0-91-generic}):
     * its major and minor release, {@link #atRelease}; the newest preset if the string has none.
     */
    static Policy forRelease(String release) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)\\.(\\d+)").matcher(release);
        if (!m.lookingAt()) {
            return newest();
        }
        try {
            return atRelease(m.group(1) + "." + m.group(2));
        } catch (UnknownPolicy e) {
            return newest();
        }
    }

    /** Returns the proposals, which apply as overlays on any preset. */
    public static List<Rule> proposals() {
        List<Rule> out = new ArrayList<>();
        for (Rule r : Rule.values()) {
            if (r.group() == Group.PROPOSAL) {
                out.add(r);
            }
        }
        return out;
    }

    /** Returns ": did you mean X?" for the closest names to a mistyped policy, or an empty string. */
    private static String suggestion(String expr) {
        String head = expr.split("[+]", 2)[0];
        List<String> names = new ArrayList<>(BY_NAME.keySet());
        names.add("host");
        int best = Integer.MAX_VALUE;
        List<String> close = new ArrayList<>();
        for (String n : names) {
            int d = distance(head, n);
            if (d < best) {
                best = d;
                close.clear();
            }
            if (d == best) {
                close.add(n);
            }
        }
        return best <= Math.max(2, head.length() / 3) ? ": did you mean " + String.join(" or ", close) + "?" : "";
    }

    /**
     * Returns up to {@code max} of {@code names} nearest {@code want} by edit distance, nearest first (ties in the
     * given order). The CLI uses it for scenario and rule names too.
     */
    public static List<String> closest(String want, java.util.Collection<String> names, int max) {
        return names.stream().sorted(java.util.Comparator.comparingInt(n -> distance(want, n))).limit(max).toList();
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Thrown when a policy expression names nothing pinlab knows. */
    public static final class UnknownPolicy extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UnknownPolicy(String msg) {
            super(msg);
        }
    }

    /**
     * Resolves a policy expression: a preset name, then any number of {@code +RULE} (switch a rule or proposal
     * on) and {@code -RULE} (switch it off), e.g. {@code linux-5.8+kara-block} or {@code linux-6.5-dio-foll-pin}.
     * The result is named by the expression as written.
     *
     * @throws UnknownPolicy when the preset or a rule is unknown, or a rule cannot be switched that way
     */
    public static Policy resolve(String expr) {
        Policy p = BY_NAME.get(expr);
        if (p != null) {
            return p;
        }
        if (expr.equals("host")) {
            return host();
        }
        String base = null;
        for (String name : BY_NAME.keySet()) {
            if (expr.startsWith(name) && expr.length() > name.length()
                    && (expr.charAt(name.length()) == '+' || expr.charAt(name.length()) == '-')
                    && (base == null || name.length() > base.length())) {
                base = name;
            }
        }
        String rest;
        if (base != null) {
            p = BY_NAME.get(base);
            rest = expr.substring(base.length());
        } else {
            java.util.regex.Matcher m = RELEASE.matcher(expr);
            if (!m.matches()) {
                throw new UnknownPolicy("unknown policy '" + expr + "'" + suggestion(expr) + " (presets: "
                        + String.join(", ", BY_NAME.keySet()) + "; a kernel release such as 6.1 or linux-5.15 picks"
                        + " the rules in force then, host this machine's kernel; add proposals or rules with"
                        + " +RULE / -RULE, e.g. linux-5.8+kara-block)");
            }
            p = atRelease(m.group(1));
            rest = m.group(2);
        }
        while (!rest.isEmpty()) {
            boolean on = rest.charAt(0) == '+';
            String tail = rest.substring(1);
            Rule match = null;
            for (Rule r : Rule.values()) {
                String id = r.id();
                if (tail.startsWith(id) && (tail.length() == id.length() || tail.charAt(id.length()) == '+'
                        || tail.charAt(id.length()) == '-') && (match == null || id.length() > match.id().length())) {
                    match = r;
                }
            }
            if (match == null) {
                throw new UnknownPolicy("unknown rule or proposal in '" + expr + "' after '" + (on ? "+" : "-")
                        + "' (see: pinlab policies)");
            }
            if (on == p.has(match)) {
                throw new UnknownPolicy("'" + expr + "': " + p.name() + " already has " + match.id() + " "
                        + (on ? "on" : "off"));
            }
            try {
                p = p.with(match, on, p.name() + (on ? "+" : "-") + match.id());
            } catch (IllegalArgumentException e) {
                throw new UnknownPolicy("'" + expr + "': " + e.getMessage());
            }
            rest = tail.substring(match.id().length());
        }
        return p;
    }
}
