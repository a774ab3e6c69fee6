package pinlab.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The state's own bookkeeping: canonical renumbering and the invariants recomputed on every freeze. */
class WorldTest {
    /** One thread, two processes with one 2-page VMA, no shared object, one holder of 2 slots. */
    private static final Layout LAYOUT = new Layout(new int[] {0}, 2, new int[] {2}, new int[] {}, new int[] {2});

    private static World twoPages(boolean swapAllocationOrder) {
        World w = World.empty(LAYOUT);
        w.setProc(0, World.PROC_ALIVE | World.PROC_CREATED);
        w.setVma(0, 0, Vma.MAPPED | Vma.READ | Vma.WRITE | Vma.ANON);
        int first = w.alloc(Folio.ANON, swapAllocationOrder ? 22 : 11);
        int second = w.alloc(Folio.ANON, swapAllocationOrder ? 11 : 22);
        int page0 = swapAllocationOrder ? second : first;
        int page1 = swapAllocationOrder ? first : second;
        w.addMap(page0, 1);
        w.addMap(page1, 1);
        w.setPte(0, 0, 0, Pte.make(Pte.ofFolio(page0), Pte.WRITE));
        w.setPte(0, 0, 1, Pte.make(Pte.ofFolio(page1), Pte.WRITE));
        return w;
    }

    @Test
    void freeze_renumbersFolios_soAllocationOrderDoesNotMatter() {
        assertArrayEquals(twoPages(false).freeze(), twoPages(true).freeze());
    }

    @Test
    void freeze_consistentCounts_raiseNoInvariantEvent() {
        int[] s = twoPages(false).freeze();
        assertEquals(0, s[0]);
    }

    @Test
    void freeze_refcountNotMatchingPtesAndPins_raisesInvRefcount() {
        World w = twoPages(false);
        w.addRef(0, 1);
        World frozen = World.view(LAYOUT, w.freeze());
        assertTrue(frozen.happened(Event.INV_REFCOUNT));
        assertFalse(frozen.happened(Event.INV_MAPCOUNT));
    }

    @Test
    void freeze_pinCountsTheBias() {
        World w = twoPages(false);
        w.setHolder(0, Holder.make(Holder.HELD, Holder.PIN, 0));
        w.setSlot(0, 0, Pte.ofFolio(0));
        w.addRef(0, Folio.PIN_BIAS);
        assertEquals(0, w.freeze()[0]);
    }

    @Test
    void freeze_mapcountNotMatchingPtes_raisesInvMapcount() {
        World w = twoPages(false);
        w.addMap(1, 1);
        assertTrue(World.view(LAYOUT, w.freeze()).happened(Event.INV_MAPCOUNT));
    }

    @Test
    void freeze_pteToFreedFolio_raisesUseAfterFree() {
        World w = twoPages(false);
        w.addRef(0, -1);
        assertTrue(w.test(0, Folio.FREED));
        assertTrue(World.view(LAYOUT, w.freeze()).happened(Event.UAF));
    }

    @Test
    void freeze_unreachableFolioWithReferences_raisesLeak() {
        World w = twoPages(false);
        w.alloc(Folio.ANON, 0);
        assertTrue(World.view(LAYOUT, w.freeze()).happened(Event.LEAK));
    }

    @Test
    void freeze_dropsFreedUnreachableFolios() {
        World w = twoPages(false);
        int f = w.alloc(Folio.ANON, 0);
        w.addRef(f, -1);
        World frozen = World.view(LAYOUT, w.freeze());
        assertEquals(2, frozen.folios());
        assertEquals(0, frozen.events());
    }

    @Test
    void cells_packAndUnpack() {
        int c = Folio.withCell(Folio.withCell(0, 0, 255), 1, 7);
        assertEquals(255, Folio.cell(c, 0));
        assertEquals(7, Folio.cell(c, 1));
    }

    /** Applies the same random bookkeeping, consistent or not, to {@code w}. */
    private static void scramble(World w, java.util.SplittableRandom r) {
        w.setProc(0, World.PROC_ALIVE | World.PROC_CREATED);
        w.setVma(0, 0, Vma.MAPPED | Vma.READ | Vma.WRITE | Vma.ANON);
        int n = r.nextInt(0, 5);
        int[] flags = {Folio.ANON, Folio.PAGECACHE, Folio.PAGECACHE | Folio.PRIVATE, Folio.ANON | Folio.FREED, 0};
        for (int f = 0; f < n; f++) {
            w.alloc(flags[r.nextInt(flags.length)], r.nextInt(0, 50));
            w.addRef(f, r.nextInt(-1, 3));
            w.addMap(f, r.nextInt(0, 3));
            w.setMapping(f, r.nextBoolean() ? Folio.mappingOf(0, r.nextInt(0, 2)) : 0);
        }
        java.util.function.IntSupplier ref = () -> n == 0 || r.nextInt(3) == 0 ? Pte.NONE : Pte.ofFolio(r.nextInt(n));
        for (int p = 0; p < 2; p++) {
            for (int i = 0; i < 2; i++) {
                int x = ref.getAsInt();
                if (Pte.isFolio(x)) {
                    w.setPte(p, 0, i, Pte.make(x, r.nextBoolean() ? Pte.WRITE : 0));
                }
            }
        }
        for (int i = 0; i < 2; i++) {
            w.setCacheSlot(0, i, ref.getAsInt());
            w.setForked(0, i, ref.getAsInt());
        }
        w.setHolder(0, Holder.make(Holder.HELD, r.nextBoolean() ? Holder.PIN : 0, 0));
        for (int i = 0; i < 2; i++) {
            w.setSlot(0, i, ref.getAsInt());
        }
    }

    @Test
    void freeze_raisesTheSameEvents_withAndWithoutRenumbering() {
        // files, Tux3 fork slots and holders: every field the canonical walk counts
        Layout lay = new Layout(new int[] {0}, 0, 2, new int[] {2}, new int[] {2}, new boolean[] {true},
                new boolean[] {true}, new int[] {2});
        int raised = 0;
        for (long seed = 0; seed < 5_000; seed++) {
            World explore = World.empty(lay);
            World trace = World.forTrace(lay, World.empty(lay).freeze());
            scramble(explore, new java.util.SplittableRandom(seed));
            scramble(trace, new java.util.SplittableRandom(seed));
            int a = explore.freeze()[0];
            int b = trace.freeze()[0];
            assertEquals(b, a, "seed " + seed);
            raised |= a;
        }
        for (Event e : new Event[] {Event.INV_REFCOUNT, Event.INV_MAPCOUNT, Event.UAF, Event.LEAK,
                Event.INV_PAGECACHE}) {
            assertTrue((raised & e.bit()) != 0, e + " was raised at least once");
        }
    }
}
