package pinlab.model;

import java.util.Locale;

/**
 * The filesystems a file can live on, with the static facts about them that are not kernel-version dependent.
 * What each does at page_mkwrite, writeback and release is decided by the kernel model's rules
 * ({@code op/Filesystems.java}); this enum only says what the filesystem is.
 */
public enum FileSystem {
    /** ext4 on a block device: buffer heads on page-cache folios, page_mkwrite, writeback to blocks. */
    EXT4(true, true, true, false),
    /** xfs on a block device: iomap, no buffer heads on 4 KiB-block files, page_mkwrite, writeback to blocks. */
    XFS(true, false, true, false),
    /** btrfs on a block device: data checksums, page_mkwrite, writeback to blocks. */
    BTRFS(true, true, true, true),
    /** tmpfs (shmem and memfd): the page cache is the only copy; no writeback, no dirty tracking. */
    TMPFS(false, false, false, false),
    /** A DAX filesystem on persistent memory (ext4 or xfs with -o dax): the storage pages are mapped directly. */
    FSDAX(false, false, true, false),
    /**
     * Tux3 as posted in May 2015 (never merged): page_mkwrite and writeback to blocks, and instead of waiting for
     * writeback a write to a page under writeback forks the page (seeds 000 and 001).
     */
    TUX3(true, false, true, false);

    private final boolean disk;
    private final boolean buffers;
    private final boolean dirtyTracking;
    private final boolean checksums;

    FileSystem(boolean disk, boolean buffers, boolean dirtyTracking, boolean checksums) {
        this.disk = disk;
        this.buffers = buffers;
        this.dirtyTracking = dirtyTracking;
        this.checksums = checksums;
    }

    /** Returns whether the file's data lives in blocks on a disk, written back from the page cache. */
    public boolean onDisk() {
        return disk;
    }

    /** Returns whether the filesystem attaches private state (buffer heads, btrfs subpage state) to folios. */
    public boolean usesBuffers() {
        return buffers;
    }

    /**
     * Returns whether shared writable mappings need dirty tracking (vma_needs_dirty_tracking(): the filesystem
     * has page_mkwrite or writes back); tmpfs does not.
     */
    public boolean needsDirtyTracking() {
        return dirtyTracking;
    }

    /** Returns whether data blocks carry checksums verified on read. */
    public boolean checksums() {
        return checksums;
    }

    /** Returns the name used in scenarios. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Returns the filesystem named {@code id}, or null. */
    public static FileSystem byId(String id) {
        for (FileSystem f : values()) {
            if (f.id().equals(id)) {
                return f;
            }
        }
        return null;
    }
}
