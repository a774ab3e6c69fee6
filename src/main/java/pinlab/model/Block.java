package pinlab.model;

/**
 * The two words of a disk block: its data word (the cells as the disk holds them, and the checksum the
 * filesystem stored with them) and its state word (allocated or a hole, and a write in flight with the checksum
 * computed when it was submitted).
 */
public final class Block {
    /** State bit: the block is allocated (otherwise a hole, which reads as zeros). */
    public static final int ALLOCATED = 1;
    /** State bit: a write of this block is in flight (submitted, not yet done by the device). */
    public static final int INFLIGHT = 2;
    /** State bit: the in-flight write is an O_DIRECT write (the device reads its data from the holder's page). */
    public static final int DIRECT = 4;
    static final int CSUM_SHIFT = 16;

    private Block() {}

    /** Returns the content word (cells) of a data word. */
    public static int data(int dataWord) {
        return dataWord & 0xFFFF;
    }

    /** Returns the stored checksum of a data word: the content word it was computed over. */
    public static int csum(int dataWord) {
        return dataWord >>> CSUM_SHIFT;
    }

    /** Returns a data word. */
    public static int dataWord(int content, int csum) {
        return (content & 0xFFFF) | (csum << CSUM_SHIFT);
    }

    /** Returns the checksum computed at submission of the in-flight write, from a state word. */
    public static int pendingCsum(int stateWord) {
        return stateWord >>> CSUM_SHIFT;
    }

    /** Returns a state word. */
    public static int stateWord(int bits, int pendingCsum) {
        return bits | (pendingCsum << CSUM_SHIFT);
    }
}
