package pinlab.report;

import java.util.List;

/**
 * A run of a scenario, step by step, as a kernel developer would explain it.
 *
 * @param threads thread names with their process, e.g. {@code T0 (P)}; one column each in tables
 * @param initial the state after setup, one line per page table, folio and holder
 * @param steps the steps
 * @param last the state at the end, same form as {@code initial}
 */
public record Trace(List<String> threads, List<String> initial, List<Step> steps, List<String> last) {

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
            List<String> changes) {}
}
