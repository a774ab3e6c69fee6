package pinlab.op;

import java.util.EnumSet;
import java.util.Set;
import pinlab.model.FileWord;
import pinlab.model.Folio;
import pinlab.model.Pte;
import pinlab.model.Vma;
import pinlab.model.World;
import pinlab.policy.Rule;

/**
 * uprobes, as kernel/events/uprobes.c installs them: a probe on a file offset puts the breakpoint instruction
 * into every private, read-only mapping of that page (register_for_each_vma(), and uprobe_mmap() for mappings
 * made later), each in an anonymous copy; the file and its page cache never change. How the instruction gets into
 * the page is the policy's choice: a new anonymous page replacing the mapped one (__replace_page(), up to 6.15),
 * or the mapped page after a forced COW, in place (6.16).
 *
 * <p>A cell stands for the instruction bytes; the breakpoint is {@link #BREAKPOINT}, x86's int3 (0xcc).
 */
final class Uprobes extends Subsystem {
    private static final Set<Rule> RULES = EnumSet.of(Rule.UPROBES, Rule.UPROBE_REPLACE_PAGE, Rule.UPROBE_IN_PLACE,
            Rule.ANON_EXCLUSIVE_FLAG, Rule.UPROBE_ORIG_PAGE);

    /** The value a breakpoint writes: int3. */
    static final int BREAKPOINT = 0xcc;

    private final Faults faults;
    private final PageCache cache;

    Uprobes(Kernel owner, Faults faults, PageCache cache) {
        super(owner);
        this.faults = faults;
        this.cache = cache;
    }

    @Override
    Set<Rule> rules() {
        return RULES;
    }

    /** Registers (or, with {@code install} false, removes) the probe at cell {@code cell} of file {@code f}. */
    void probe(World w, int f, int cell, boolean install) {
        use(Rule.UPROBES);
        if (!on(Rule.UPROBES)) {
            note("no uprobes in this kernel (3.5)");
            return;
        }
        int word = w.file(f);
        if (FileWord.probed(word, cell) == install) {
            note(install ? "the probe is already registered" : "no probe there");
            return;
        }
        w.setFile(f, FileWord.withProbe(word, cell, install));
        for (int p = 0; p < w.layout().processes(); p++) {
            for (int v = 0; w.alive(p) && v < w.layout().vmas(); v++) {
                int i = pageOf(w, p, v, f, cell);
                if (i >= 0) {
                    write(w, p, v, i, cell % Folio.CELLS, install ? BREAKPOINT : original(w, f, cell), !install,
                            f, cell - cell % Folio.CELLS);
                }
            }
        }
    }

    /** uprobe_mmap(): a new private mapping of a probed file gets the breakpoints of its range. */
    void mmapped(World w, int p, int v) {
        int word = w.vma(p, v);
        if (!on(Rule.UPROBES) || !Vma.has(word, Vma.FILE)) {
            return;
        }
        int f = Vma.space(word);
        int fw = w.file(f);
        for (int cell = 0; cell < w.layout().filePages(f) * Folio.CELLS; cell++) {
            int i = FileWord.probed(fw, cell) ? pageOf(w, p, v, f, cell) : -1;
            if (i >= 0) {
                use(Rule.UPROBES);
                note("uprobe_mmap(): the new mapping gets the breakpoint");
                write(w, p, v, i, cell % Folio.CELLS, BREAKPOINT, false, f, cell - cell % Folio.CELLS);
            }
        }
    }

    /**
     * The page of VMA {@code v} of process {@code p} that maps cell {@code cell} of file {@code f}, if the VMA is
     * one uprobes patch (valid_vma(): a private file mapping without VM_WRITE), else -1.
     */
    private static int pageOf(World w, int p, int v, int f, int cell) {
        int word = w.vma(p, v);
        if (!Vma.has(word, Vma.MAPPED | Vma.FILE) || Vma.space(word) != f || Vma.has(word, Vma.SHARED)
                || Vma.has(word, Vma.NOMAYWRITE) || Vma.has(word, Vma.WRITE)) {
            return -1;
        }
        int i = cell / Folio.CELLS - Vma.pgoff(word);
        return i >= 0 && i < w.layout().vmaPages(v) ? i : -1;
    }

    private int original(World w, int f, int cell) {
        int value = cache.peek(w, f, cell);
        return Math.max(value, 0);
    }

    /** uprobe_write_opcode() of {@code value} into cell {@code c} of page {@code i} of the mapping. */
    private void write(World w, int p, int v, int i, int c, int value, boolean removing, int f, int firstCell) {
        if (!Pte.present(w.pte(p, v, i)) && !faults.readFault(w, p, v, i)) {
            return;
        }
        int pte = w.pte(p, v, i);
        int old = Pte.folio(Pte.ref(pte));
        int content = Folio.withCell(w.content(old), c, value);
        int fileContent = Folio.withCell(Folio.withCell(0, 0, original(w, f, firstCell)), 1,
                original(w, f, firstCell + 1));
        if (on(Rule.UPROBE_IN_PLACE)) {
            use(Rule.UPROBE_IN_PLACE);
            if (!(w.test(old, Folio.ANON) && w.test(old, Folio.ANON_EXCLUSIVE))) {
                faults.doWpPage(w, p, v, i, Faults.Fault.FORCE);
            }
            int a = Pte.folio(Pte.ref(w.pte(p, v, i)));
            w.setContent(a, Folio.withCell(w.content(a), c, value));
            note("the instruction is written in place into " + folioName(a));
            if (removing && w.content(a) == fileContent && w.refcount(a) == w.mapcount(a)) {
                w.setPte(p, v, i, Pte.NONE);
                w.addMap(a, -1);
                note("the page equals the file's again and nothing else holds it: zapped, the next access maps the"
                        + " page-cache page");
                put(w, a, 1);
            }
            return;
        }
        use(Rule.UPROBE_REPLACE_PAGE);
        if (removing && content == fileContent && on(Rule.UPROBE_ORIG_PAGE)) {
            use(Rule.UPROBE_ORIG_PAGE);
            w.setPte(p, v, i, Pte.NONE);
            w.addMap(old, -1);
            note("the original text is back: __replace_page() clears the PTE, the next access maps the page-cache"
                    + " page");
            put(w, old, 1);
            return;
        }
        int g = faults.newAnon(w, content);
        replace(w, p, v, i, old, g, true);
        note("__replace_page(): " + folioName(old) + " is replaced by " + folioName(g) + ", a copy with the new"
                + " instruction");
    }

    private void replace(World w, int p, int v, int i, int old, int g, boolean fresh) {
        w.setPte(p, v, i, Pte.make(Pte.ofFolio(g), fresh ? Pte.DIRTY : 0));
        w.addMap(g, 1);
        if (!fresh) {
            w.addRef(g, 1);
        }
        w.addMap(old, -1);
        put(w, old, 1);
    }
}
