package pinlab.scenario;

/** Something a final condition can look at. */
public sealed interface Term {
    /** Returns the term as written. */
    String text();

    /** A register of a thread. */
    record Reg(String text, int thread, int reg) implements Term {}

    /** One cell as a process sees it through its page table. */
    record Cell(String text, int process, int vma, int cell) implements Term {}

    /** One cell as a holder sees it through its reference (a device's view, a pipe's content). */
    record HolderCell(String text, int holder, int cell) implements Term {}

    /** What the disk holds in one cell of a file: what survives a crash, or a read after dropping caches. */
    record Disk(String text, int file, int cell) implements Term {}

    /** What the page cache holds in one cell of a file; none if the page is not cached. */
    record Cache(String text, int file, int cell) implements Term {}

    /** What a buffered read() of one cell of a file would return now (-EIO on a checksum failure). */
    record FileRead(String text, int file, int cell) implements Term {}

    /** A constant. */
    record Const(String text, int value) implements Term {}
}
