package pinlab.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A result's headline, the word a matrix cell shows ({@link #text}: SAFE, DATA LOSS*, WARN + DATA LOSS (disk),
 * REFUSED, STALL, INCOMPLETE, N/A, ...), as a value.
 *
 * @param kind what sort of headline it is
 * @param kernelEvents what the kernel reported in some final state (CRASH, WARN, CSUM, EIO), in a fixed order
 * @param result the failure the scenario defines when its failing side is reachable (kind FAILURE), the
 *     observation word for a scenario without a failure meaning (kind OBSERVED), else null
 * @param violations the violation kinds (kind VIOLATION), else empty
 * @param everyRun whether the failure happens in every run (the {@code *})
 */
public record Cell(Kind kind, List<String> kernelEvents, String result, List<String> violations, boolean everyRun) {

    /** The sorts of headline, from the most to the least decisive. */
    public enum Kind {
        /** A proposal column the scenario does not ask about ({@code -}). */
        NOT_ASKED,
        /** The scenario needs a newer kernel ({@code N/A}). */
        NOT_APPLICABLE,
        /** A limit stopped the search. */
        INCOMPLETE,
        /** Something the model forbids happened: a stall, a deadlock, a use after free, a broken invariant. */
        VIOLATION,
        /** The kernel refused the pin in every final state. */
        REFUSED,
        /** The scenario's failure is reachable, possibly with kernel reports. */
        FAILURE,
        /** The scenario defines no failure: the cell shows the observation, possibly with kernel reports. */
        OBSERVED,
        /** No failure, but the kernel reported something (a warning, a crash, a checksum error, an I/O error). */
        REPORTED,
        /** Nothing bad in any run. */
        SAFE
    }

    /** Returns the cell's text, as the matrix prints it. */
    public String text() {
        return switch (kind) {
            case NOT_ASKED -> "-";
            case NOT_APPLICABLE -> "N/A";
            case INCOMPLETE -> "INCOMPLETE";
            case VIOLATION -> String.join(",", violations.stream().map(v -> v.toUpperCase(Locale.ROOT)).toList());
            case REFUSED -> "REFUSED";
            case SAFE -> "SAFE";
            case FAILURE, OBSERVED, REPORTED -> {
                List<String> parts = new ArrayList<>(kernelEvents);
                if (result != null) {
                    parts.add(result);
                }
                yield String.join(" + ", parts) + (everyRun ? "*" : "");
            }
        };
    }

    @Override
    public String toString() {
        return text();
    }
}
