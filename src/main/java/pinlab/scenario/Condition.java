package pinlab.scenario;

/**
 * The final condition: a quantifier over a boolean expression on final states.
 *
 * @param quantifier exists, ~exists or forall
 * @param label an optional description of what the condition means
 * @param expr the expression
 * @param line the line it starts on
 * @param text the condition as written, on one line
 */
public record Condition(Quantifier quantifier, String label, Expr expr, int line, String text) {

    /** The quantifiers of herd7's final conditions. */
    public enum Quantifier {
        /** Some final state satisfies it. */
        EXISTS("exists"),
        /** No final state satisfies it. */
        NOT_EXISTS("~exists"),
        /** Every final state satisfies it. */
        FORALL("forall");

        private final String word;

        Quantifier(String word) {
            this.word = word;
        }

        /** Returns the keyword. */
        public String word() {
            return word;
        }
    }

    /** A boolean expression over terms. */
    public sealed interface Expr {
        /** Conjunction. */
        record And(Expr left, Expr right) implements Expr {}

        /** Disjunction. */
        record Or(Expr left, Expr right) implements Expr {}

        /** Negation. */
        record Not(Expr inner) implements Expr {}

        /** Equality (or inequality when {@code negated}) of two terms. */
        record Eq(Term left, Term right, boolean negated) implements Expr {}

        /** Whether a named event happened. */
        record Happened(pinlab.model.Event event) implements Expr {}

        /** Whether two cells are backed by the same page (folio identity, as a PFN comparison would tell). */
        record Same(Term left, Term right) implements Expr {}

        /** A constant truth value. */
        record Bool(boolean value) implements Expr {}
    }
}
