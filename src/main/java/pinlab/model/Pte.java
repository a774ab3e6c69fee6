package pinlab.model;

/**
 * Encoding of page references and page-table entries.
 *
 * <p>A page reference is 0 for none, 1 for the shared zero page, and {@code folio + 2} for a folio. A PTE is a
 * page reference shifted left by {@link #SHIFT} with the present, write and dirty bits below it; 0 is a PTE
 * that maps nothing.
 */
public final class Pte {
    /** The page reference of no page. */
    public static final int NONE = 0;
    /** The page reference of the shared zero page. */
    public static final int ZERO = 1;
    /** PTE bit: the entry maps a page. */
    public static final int PRESENT = 1;
    /** PTE bit: the entry is writable. */
    public static final int WRITE = 2;
    /** PTE bit: the entry is dirty. */
    public static final int DIRTY = 4;
    static final int SHIFT = 4;

    private Pte() {}

    /** Returns the page reference of folio {@code f}. */
    public static int ofFolio(int f) {
        return f + 2;
    }

    /** Returns whether {@code ref} names a folio (not none, not the zero page). */
    public static boolean isFolio(int ref) {
        return ref >= 2;
    }

    /** Returns the folio named by {@code ref}. */
    public static int folio(int ref) {
        return ref - 2;
    }

    /** Returns a present PTE for page reference {@code ref} with extra {@code bits}. */
    public static int make(int ref, int bits) {
        return (ref << SHIFT) | PRESENT | bits;
    }

    /** Returns the page reference a PTE maps. */
    public static int ref(int pte) {
        return pte >>> SHIFT;
    }

    /** Returns whether the PTE is present. */
    public static boolean present(int pte) {
        return (pte & PRESENT) != 0;
    }

    /** Returns whether the PTE is writable. */
    public static boolean writable(int pte) {
        return (pte & WRITE) != 0;
    }

    /** Returns whether the PTE is dirty. */
    public static boolean dirty(int pte) {
        return (pte & DIRTY) != 0;
    }

    static int withRef(int pte, int ref) {
        return (ref << SHIFT) | (pte & ((1 << SHIFT) - 1));
    }
}
