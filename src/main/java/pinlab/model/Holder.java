package pinlab.model;

/**
 * A holder word: the holder's status, the GUP flags its references were taken with, and the error of a
 * failed GUP.
 */
public final class Holder {
    /** No reference taken yet. */
    public static final int EMPTY = 0;
    /** References are held. */
    public static final int HELD = 1;
    /** References were released (put or unpinned). */
    public static final int RELEASED = 2;
    /** The GUP that would have taken them failed. */
    public static final int FAILED = 3;

    /** Reference flag: taken with FOLL_PIN (otherwise FOLL_GET). */
    public static final int PIN = 1;
    /** Reference flag: FOLL_WRITE. */
    public static final int WRITE = 2;
    /** Reference flag: FOLL_LONGTERM. */
    public static final int LONGTERM = 4;
    /** Reference flag: FOLL_FORCE. */
    public static final int FORCE = 8;
    /**
     * The holder's references are revocable (the revocable proposal, ODP-style): an MMU-notifier invalidation of
     * the range makes the device drop them, and its next access faults the page in again.
     */
    public static final int REVOCABLE = 16;
    /** The request was served without references (an O_DIRECT write that fell back to buffered I/O). */
    public static final int SERVED = 32;

    private Holder() {}

    /** Returns the status of a holder word. */
    public static int status(int word) {
        return word & 3;
    }

    /** Returns the reference flags of a holder word. */
    public static int flags(int word) {
        return (word >>> 2) & 63;
    }

    /**
     * Holder word bit, while a GUP-fast call is taking the references (status {@link #EMPTY}): a fork of the mm
     * began or ended since the call read write_protect_seq, so the call must drop what it took and fall back.
     */
    public static final int SEQ_CHANGED = 1 << 24;

    /** Returns the errno of a failed holder word. */
    public static int errno(int word) {
        return (word >>> 8) & 0xFFFF;
    }

    /** Returns a holder word. */
    public static int make(int status, int flags, int errno) {
        return status | (flags << 2) | (errno << 8);
    }

    /** Returns the names of reference flags, as the kernel spells them. */
    public static String flagNames(int flags) {
        StringBuilder sb = new StringBuilder((flags & PIN) != 0 ? "FOLL_PIN" : "FOLL_GET");
        if ((flags & WRITE) != 0) {
            sb.append("|FOLL_WRITE");
        }
        if ((flags & LONGTERM) != 0) {
            sb.append("|FOLL_LONGTERM");
        }
        if ((flags & FORCE) != 0) {
            sb.append("|FOLL_FORCE");
        }
        if ((flags & REVOCABLE) != 0) {
            sb.append(" (revocable)");
        }
        return sb.toString();
    }
}
