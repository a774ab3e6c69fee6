package pinlab.report;

import java.util.List;

/**
 * What the HTML report shows beside one matrix row's cells, worked out when the report is made (it is a static file):
 * the comparisons of the row's cells whose results differ, and what a search of the scenario covers.
 *
 * @param actors the scenario's actors: its threads, then the kernel's daemons and disks, each of which may step at
 *     any point
 * @param reduced whether the searches used the partial-order reduction (which skips orders of independent steps but
 *     keeps every final state, outcome and violation)
 * @param diffs one {@link Diff} for each pair of checked, complete cells whose results differ, the older column
 *     first
 */
public record Comparisons(List<String> actors, boolean reduced, List<Diff> diffs) {
    /** Nothing beside the cells (a report without comparisons). */
    public static final Comparisons NONE = new Comparisons(List.of(), false, List.of());
}
