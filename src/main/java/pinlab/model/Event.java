package pinlab.model;

import java.util.Locale;

/**
 * Named events a state remembers once they happened. Some are kernel-visible happenings a scenario's condition
 * may test; the invariant ones are violations of the model's own bookkeeping and end the path they occur on.
 */
public enum Event {
    /** A process touched an address it has no access to (SIGSEGV). */
    SEGV(0, false, "a process accessed an address it cannot access (SIGSEGV)"),
    /** A device or pipe accessed a folio after it was freed. */
    UAF(1, true, "use after free: a reference, PTE or DMA touched a freed folio"),
    /** A device did DMA through references its holder had already released. */
    DMA_AFTER_RELEASE(2, true, "DMA through references that were already released"),
    /** A device wrote through a reference taken without FOLL_WRITE. */
    RO_DMA_WRITE(3, false, "a device wrote through a read-only (no FOLL_WRITE) reference"),
    /** Recomputed refcount differs from the stored one. */
    INV_REFCOUNT(4, true, "invariant: refcount != PTE maps + references + pins + page-cache slots"),
    /** Stored mapcount differs from the number of PTEs that map the folio. */
    INV_MAPCOUNT(5, true, "invariant: mapcount != number of PTEs mapping the folio"),
    /** A folio with references left is reachable from nothing. */
    LEAK(6, true, "leak: a folio keeps references but nothing names it"),
    /** A pinned or writably mapped anonymous page is not PageAnonExclusive (policies that track the flag). */
    INV_ANON_EXCLUSIVE(7, true, "invariant: a FOLL_PIN or a writable PTE on an anonymous page that is not"
            + " PageAnonExclusive"),
    /** The kernel hit a BUG() (an oops): nothing runs after it. */
    KERNEL_BUG(8, false, "kernel BUG: the kernel crashed (oops); nothing runs after it", "CRASH"),
    /** A filesystem warned in the kernel log (ext4: a dirty page without buffers). */
    FS_WARNING(9, false, "a filesystem warning in the kernel log", "WARN"),
    /** dio_warn_stale_pagecache(): an O_DIRECT write could not invalidate the page cache. */
    STALE_PAGECACHE(10, false, "\"Page cache invalidation failure on direct I/O\" in the kernel log; the next fsync"
            + " reports -EIO", "WARN"),
    /** A read found data that does not match its checksum (btrfs). */
    CSUM_ERROR(11, false, "a checksum failure: the data read does not match the checksum written with it", "CSUM"),
    /** fsync() or fdatasync() returned -EIO. */
    FSYNC_EIO(12, false, "fsync or fdatasync returned -EIO", "EIO"),
    /** A process touched a file mapping beyond the end of the file (SIGBUS). */
    SIGBUS(13, false, "a process accessed a file mapping beyond the end of the file (SIGBUS)"),
    /** The page cache is inconsistent: a slot's folio is not marked as that page, or a folio is in two places. */
    INV_PAGECACHE(14, true, "invariant: a page-cache slot and its folio's mapping disagree");

    private final int index;
    private final boolean violation;
    private final String description;
    private final String label;

    Event(int index, boolean violation, String description) {
        this(index, violation, description, null);
    }

    Event(int index, boolean violation, String description, String label) {
        this.index = index;
        this.violation = violation;
        this.description = description;
        this.label = label;
    }

    /**
     * Returns the matrix label of a kernel event a user must hear about even when the scenario's condition holds
     * (CRASH, WARN, CSUM, EIO), or null for events that are only observations.
     */
    public String label() {
        return label;
    }

    /** Returns the bit of this event in the events word. */
    public int bit() {
        return 1 << index;
    }

    /** Returns whether this event is a violation rather than an observation. */
    public boolean isViolation() {
        return violation;
    }

    /** Returns a one-line description. */
    public String description() {
        return description;
    }

    /** Returns the name used in scenarios and reports, e.g. {@code dma-after-release}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Returns the event whose bit is {@code 1 << index}, or null. */
    public static Event byIndex(int index) {
        for (Event e : values()) {
            if (e.index == index) {
                return e;
            }
        }
        return null;
    }

    /** Returns the event with scenario name {@code id}, or null. */
    public static Event byId(String id) {
        for (Event e : values()) {
            if (e.id().equals(id)) {
                return e;
            }
        }
        return null;
    }
}
