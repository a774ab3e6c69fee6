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
}
