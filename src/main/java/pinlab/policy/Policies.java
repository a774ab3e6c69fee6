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
 * as Jimfs builds one OS preset from another.
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
        Policy l26 = new Policy("linux-2.6",
                null, "2.6.28 (Nov 2008, seed 003's era): COW reuse by mapcount, fork shares pinned pages,"
                        + " every GUP user takes FOLL_GET, anonymous read faults allocate (no zero page)",
                base);
        Policy l58 = l26.extend("linux-5.8",
                "5.8: FOLL_PIN exists, io_uring exists, GUP in COW mappings breaks COW first",
                List.of(FOLL_PIN, IO_URING, ANON_READ_ZERO_PAGE, GUP_READ_BREAKS_COW), List.of(GUP_ANON_ZERO_PAGE));
        Policy l59 = l58.extend("linux-5.9",
                "5.9: COW reuse only at refcount 1; fork copies maybe-pinned pages of pinning mms early",
                List.of(WP_REUSE_REFCOUNT, FORK_COPY_MAYBE_PINNED, MMF_HAS_PINNED), List.of(GUP_READ_BREAKS_COW));
        Policy l519 = l59.extend("linux-5.19",
                "5.19: PageAnonExclusive; R/O pins unshare shared anonymous pages; fork refuses to share"
                        + " exclusive maybe-pinned pages",
                List.of(ANON_EXCLUSIVE_FLAG, WP_REUSE_EXCLUSIVE, FORK_COPY_EXCLUSIVE_PINNED, GUP_UNSHARE_ANON),
                List.of());
        Policy l62 = l519.extend("linux-6.2",
                "6.2: R/O long-term pins in COW mappings unshare non-anonymous pages too",
                List.of(GUP_UNSHARE_COW_LONGTERM), List.of());
        Policy l65 = l62.extend("linux-6.5", "6.5: direct I/O pins its pages with FOLL_PIN",
                List.of(DIO_FOLL_PIN), List.of());
        Policy l618 = l65.extend("linux-6.18",
                "6.18, the kernel this machine runs: the same anonymous-memory rules as 6.5", List.of(), List.of());
        for (Policy p : List.of(l26, l58, l59, l519, l62, l65, l618)) {
            BY_NAME.put(p.name(), p);
        }
    }

    private Policies() {}

    /** Returns every policy, in kernel order. */
    public static List<Policy> all() {
        return Collections.unmodifiableList(new ArrayList<>(BY_NAME.values()));
    }

    /** Returns the policy named {@code name}, or null. */
    public static Policy byName(String name) {
        return BY_NAME.get(name);
    }

    /** Returns the policy of the kernel this machine runs. */
    public static Policy host() {
        return BY_NAME.get("linux-6.18");
    }
}
