package pinlab.op;

import pinlab.model.World;

/**
 * One number per (process, VMA name, page) slot, in the order processes, VMAs, pages: the order in which ksmd and
 * compaction visit pages, and the cursor their daemon words keep.
 */
final class PageIndex {
    /** Pages per VMA in the numbering (a mapping has at most 8). */
    static final int MAXP = 8;

    private PageIndex() {}

    /** How many numbers the layout has. */
    static int count(World w) {
        return w.layout().processes() * w.layout().vmas() * MAXP;
    }

    static int proc(World w, int c) {
        return c / (w.layout().vmas() * MAXP);
    }

    static int vma(World w, int c) {
        return (c / MAXP) % w.layout().vmas();
    }

    static int page(int c) {
        return c % MAXP;
    }

    /** Whether number {@code c} names a page inside its VMA name's size. */
    static boolean inside(World w, int c) {
        return page(c) < w.layout().vmaPages(vma(w, c));
    }
}
