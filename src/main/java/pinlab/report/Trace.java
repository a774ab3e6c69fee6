package pinlab.report;

import java.util.List;

/**
 * A run of a scenario, step by step, as a kernel developer would explain it.
 *
 * @param threads actor names: the scenario's threads with their process, e.g. {@code T0 (P)}, then the kernel's
 *     daemons and disks; one column each in tables
 * @param scenarioThreads how many of {@code threads} are the scenario's own (the rest get a column only if they
 *     step)
 * @param initial the state after setup, one line per page table, folio and holder
 * @param steps the steps
 * @param last the state at the end, same form as {@code initial}
 * @param start the state after setup, typed
 * @param outcome the outcome the run ends in (the observed values), or null when it ends before a final state
 */
public record Trace(List<String> threads, int scenarioThreads, List<String> initial, List<Step> steps,
        List<String> last, Snapshot start, String outcome) {

    /** Returns the indices of the columns to show: every scenario thread, and each kernel actor that steps. */
    public List<Integer> columns() {
        List<Integer> out = new java.util.ArrayList<>();
        for (int a = 0; a < threads.size(); a++) {
            int actor = a;
            if (a < scenarioThreads || steps.stream().anyMatch(s -> s.thread() == actor)) {
                out.add(a);
            }
        }
        return out;
    }

    /**
     * The whole state at one point, typed, for pictures (the HTML timeline).
     *
     * @param processes each created process: name and status ({@code alive}, {@code alive MMF_HAS_PINNED},
     *     {@code exited})
     * @param entries every present PTE, holder slot and page-cache slot that names a page
     * @param folios every folio, with its counters, flags and cells
     * @param notes events raised and registers, as {@code name: value}
     */
    public record Snapshot(List<Named> processes, List<Entry> entries, List<FolioState> folios,
            List<String> notes) {}

    /** A name and a status. */
    public record Named(String name, String status) {}

    /**
     * Something that names a page.
     *
     * @param kind {@code pte}, {@code holder} or {@code pagecache}
     * @param owner the process, holder or shmem object
     * @param name e.g. {@code P:buf page 0}, {@code nic[0]}
     * @param target the folio name, {@code zero-page}, or empty
     * @param bits e.g. {@code rw dirty} for a PTE, {@code FOLL_PIN|FOLL_WRITE} for a holder
     */
    public record Entry(String kind, String owner, String name, String target, String bits) {}

    /**
     * One folio.
     *
     * @param name A, B, ...
     * @param refcount its refcount
     * @param mapcount its mapcount
     * @param flags its flags
     * @param cells its cell values
     * @param freed whether it was freed
     */
    public record FolioState(String name, int refcount, int mapcount, List<String> flags, List<Integer> cells,
            boolean freed) {}


    /**
     * One step.
     *
     * @param thread the index of the thread that stepped
     * @param op the operation as written
     * @param line its scenario line
     * @param rules the ids of the rules that decided it
     * @param notes what the kernel did, in words
     * @param changes the state lines that changed ({@code before -> after})
     */
    public record Step(int thread, String op, int line, List<String> rules, List<String> notes,
            List<String> changes, Snapshot after) {}
}
