package pinlab.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Kernel releases resolve to the rules in force then; host follows uname -r. */
class PoliciesTest {
    @Test
    void aPresetsReleaseIsThePresetItself() {
        assertSame(Policies.byName("linux-5.10"), Policies.resolve("5.10"));
        assertSame(Policies.byName("linux-5.10"), Policies.resolve("linux-5.10"));
        assertSame(Policies.byName("linux-6.18"), Policies.forRelease("6.18.44-fc-v1045"));
    }

    @Test
    void aReleaseBetweenPresets_getsTheOlderPresetAndTheChangesThatHadLanded() {
        Policy p = Policies.resolve("linux-6.1");
        assertEquals("linux-6.1", p.name());
        assertEquals("6.1", Policies.versionOf(p));
        assertEquals(Policies.byName("linux-5.19"), p.parent());
        // 6.2's preset carries the forced-write change of 6.0 (FOLL_FORCE follows only exclusive pages)
        Set<Rule> expected = EnumSet.copyOf(Policies.byName("linux-5.19").rules());
        expected.add(Rule.FORCE_EXCLUSIVE);
        expected.remove(Rule.FOLL_COW);
        assertEquals(expected, p.rules());
        assertTrue(p.description().startsWith("linux-6.1 → linux-5.19 rules +force-exclusive (6.0)"), p.description());
        assertEquals(p, Policies.resolve("6.1"));
        assertTrue(Policies.isRelease(p));
    }

    @Test
    void distroKernels_mapToTheirReleaseLine() {
        // Ubuntu 22.04's 5.15: 5.10's rules with GUP-fast's fork sequence count (5.11) and the ZONE_MOVABLE
        // migration of long-term pins (5.13)
        Policy p = Policies.forRelease("5.15.0-91-generic");
        assertEquals("linux-5.15", p.name());
        Set<Rule> expected = EnumSet.copyOf(Policies.byName("linux-5.10").rules());
        expected.add(Rule.GUP_FAST_SEQ);
        expected.add(Rule.LONGTERM_MIGRATE_MOVABLE);
        assertEquals(expected, p.rules());
        // RHEL 9's 5.14 has both; 5.12 has only the first
        assertEquals(expected, Policies.forRelease("5.14.0-427.el9.x86_64").rules());
        assertTrue(Policies.forRelease("5.12.19").has(Rule.GUP_FAST_SEQ));
        assertTrue(!Policies.forRelease("5.12.19").has(Rule.LONGTERM_MIGRATE_MOVABLE));
    }

    @Test
    void releasesTakeOverlaysAndCompareAsVersions() {
        Policy p = Policies.resolve("linux-6.1+kara-block");
        assertTrue(p.has(Rule.KARA_BLOCK));
        assertEquals("6.1", Policies.versionOf(p));
        assertEquals("2.6.28", Policies.versionOf(Policies.byName("linux-2.6")));
        assertEquals("2.6.28", Policies.versionOf(Policies.resolve("linux-2.6+kara-block")));
        // 3.10 has KSM and the zero page (2.6.32) and uprobes (3.5), but no FOLL_COW (4.9)
        Policy old = Policies.resolve("3.10");
        assertTrue(old.has(Rule.KSM) && old.has(Rule.ANON_READ_ZERO_PAGE) && old.has(Rule.UPROBES));
        assertTrue(!old.has(Rule.FOLL_COW) && !old.has(Rule.GUP_ANON_ZERO_PAGE));
    }

    @Test
    void aNewerKernel_getsTheNewestPresetAndSaysSo() {
        Policy p = Policies.resolve("7.0");
        assertEquals(Policies.newest().rules(), p.rules());
        assertTrue(p.description().contains("newer than the newest preset, linux-6.18"), p.description());
    }

    @Test
    void unknownNames_getTheClosestNamesAndTheList() {
        String msg = assertThrows(Policies.UnknownPolicy.class, () -> Policies.resolve("linx-5.9")).getMessage();
        assertTrue(msg.contains("did you mean linux-5.9?"), msg);
        assertTrue(msg.contains("linux-2.6, linux-4.8"), msg);
        assertTrue(assertThrows(Policies.UnknownPolicy.class, () -> Policies.resolve("2.4")).getMessage()
                .contains("older than the oldest preset, linux-2.6 (2.6.28)"));
    }
}
