package pinlab.model;

/** Folio flags, and the per-folio constants the model uses. */
public final class Folio {
    /** PageAnon: the folio belongs to anonymous memory. */
    public static final int ANON = 1;
    /** PG_anon_exclusive: the anonymous page is mapped by exactly one process and may be pinned. */
    public static final int ANON_EXCLUSIVE = 2;
    /** PG_dirty. */
    public static final int DIRTY = 4;
    /** PG_locked. */
    public static final int LOCKED = 8;
    /** The folio was freed (refcount reached zero) but something still names it. */
    public static final int FREED = 16;
    /** PG_swapcache (reserved). */
    public static final int SWAPCACHE = 32;
    /** PageKsm (reserved). */
    public static final int KSM = 64;
    /** PG_writeback: a write of the folio to its block is in flight. */
    public static final int WRITEBACK = 128;
    /** The folio is in a page cache (shmem or file); the mapping word says where. */
    public static final int PAGECACHE = 256;
    /** PG_uptodate: the folio holds the file's data (set when read in or written whole). */
    public static final int UPTODATE = 512;
    /** PG_private: the filesystem attached buffers (buffer heads) to the folio; they hold a reference. */
    public static final int PRIVATE = 1024;
    /**
     * A bounce page a long-term GUP user got instead of a page-cache folio (the kara-bounce proposal); its mapping
     * word names the file page it stands for.
     */
    public static final int BOUNCE = 2048;
    /** The folio is in ZONE_MOVABLE: not long-term pinnable (folio_is_longterm_pinnable() is false). */
    public static final int MOVABLE = 4096;

    /** GUP_PIN_COUNTING_BIAS: what one FOLL_PIN adds to the refcount of a small folio. */
    public static final int PIN_BIAS = 1024;
    /** Cells per page: enough to say "the DMA filled one half while a thread wrote the other". */
    public static final int CELLS = 2;
    /** Bits per cell value in the content word. */
    static final int CELL_BITS = 8;
    /** Largest value a cell can hold. */
    public static final int MAX_VALUE = (1 << CELL_BITS) - 1;

    private Folio() {}

    /** Returns the mapping word of page {@code index} of file {@code file}. */
    public static int mappingOf(int file, int index) {
        return ((file + 1) << 16) | index;
    }

    /** Returns the file a mapping word names, or -1 for none. */
    public static int mappingFile(int mapping) {
        return (mapping >>> 16) - 1;
    }

    /** Returns the page index a mapping word names. */
    public static int mappingIndex(int mapping) {
        return mapping & 0xFFFF;
    }

    /** Returns cell {@code c} of a content word. */
    public static int cell(int content, int c) {
        return (content >>> (c * CELL_BITS)) & MAX_VALUE;
    }

    /** Returns a content word with cell {@code c} set to {@code value}. */
    public static int withCell(int content, int c, int value) {
        int shift = c * CELL_BITS;
        return (content & ~(MAX_VALUE << shift)) | (value << shift);
    }

    /** Returns the names of the set flags, for traces. */
    public static String flagNames(int flags) {
        StringBuilder sb = new StringBuilder();
        append(sb, flags, ANON, "anon");
        append(sb, flags, ANON_EXCLUSIVE, "excl");
        append(sb, flags, DIRTY, "dirty");
        append(sb, flags, LOCKED, "locked");
        append(sb, flags, SWAPCACHE, "swapcache");
        append(sb, flags, KSM, "ksm");
        append(sb, flags, WRITEBACK, "writeback");
        append(sb, flags, PAGECACHE, "pagecache");
        append(sb, flags, UPTODATE, "uptodate");
        append(sb, flags, PRIVATE, "buffers");
        append(sb, flags, BOUNCE, "bounce");
        append(sb, flags, MOVABLE, "movable");
        append(sb, flags, FREED, "FREED");
        return sb.toString();
    }

    private static void append(StringBuilder sb, int flags, int bit, String name) {
        if ((flags & bit) != 0) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(name);
        }
    }
}
