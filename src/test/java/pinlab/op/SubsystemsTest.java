package pinlab.op;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import pinlab.policy.Policies;
import pinlab.policy.Rule;

/** The kernel model is divided into subsystems, and every rule is decided by one that names it. */
class SubsystemsTest {

    @Test
    void everyRuleIsNamedByASubsystem() {
        Map<String, Set<Rule>> subs = new Kernel(Policies.host()).subsystems();
        EnumSet<Rule> named = EnumSet.noneOf(Rule.class);
        subs.values().forEach(named::addAll);
        EnumSet<Rule> missing = EnumSet.complementOf(named);
        assertTrue(missing.isEmpty(), () -> "rules no subsystem names: " + missing);
    }

    @Test
    void aSubsystemCannotReportARuleItDoesNotName() {
        Kernel k = new Kernel(Policies.host());
        Shmem shmem = new Shmem(k);
        try {
            shmem.use(Rule.WP_COPY);
        } catch (AssertionError expected) {
            return;
        }
        throw new AssertionError("Shmem reported wp-copy, which it does not name (are assertions on?)");
    }
}
