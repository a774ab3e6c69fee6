package pinlab.model;

import java.util.Arrays;

/**
 * A mutable working copy of one state, with named accessors for every field. Operations run on a World; the
 * engine stores only the canonical {@code int[]} that {@link #freeze()} returns.
 *
 * <p>Folios are numbered in allocation order while a World is worked on. {@link #freeze()} renumbers them in
 * the order they are first reached (processes, then shared objects, then holders), drops folios nothing
 * reaches, and records broken invariants as events, so that states that differ only in allocation order are
 * one state. A World made {@link #forTrace} never renumbers nor drops, so folio names stay stable along a
 * trace.
 */
public final class World {
    private final Layout lay;
    private int[] a;
    private int nf;
    private final boolean stableIds;
    /** Whether {@link #freezeScratch()} also checks the PageAnonExclusive rule (see {@link #checkingAnonExclusive}). */
    private boolean anonExclusive;
    /** Scratch for {@link #freezeScratch()}: reused, so that a step allocates nothing once warmed up. */
    private int[] frozen = new int[0];
    private int[] order = new int[0];
    private int[] refs = new int[0];
    private int[] maps = new int[0];
    private boolean[] cached = new boolean[0];

    private World(Layout lay, int[] a, boolean stableIds) {
        this.lay = lay;
        this.a = a;
        this.nf = a[lay.folioBase];
        this.stableIds = stableIds;
    }

    /** Returns an empty world: no process created, nothing mapped, no folio. */
    public static World empty(Layout lay) {
        return new World(lay, new int[lay.fixedWords() + 8 * Layout.FOLIO_WORDS], false);
    }

    /** Returns a working copy of a frozen state. */
    public static World of(Layout lay, int[] state) {
        int[] copy = Arrays.copyOf(state, state.length + 2 * Layout.FOLIO_WORDS);
        return new World(lay, copy, false);
    }

    /** Returns a read-only view of a frozen state, without copying: callers must not change it. */
    public static World view(Layout lay, int[] state) {
        return new World(lay, state, false);
    }

    /**
     * Returns a reusable working world: {@link #load} a frozen state into it, run operations, then
     * {@link #freezeScratch()}. One per engine worker thread; it allocates only while its buffers grow.
     */
    public static World scratch(Layout lay) {
        return new World(lay, new int[lay.fixedWords() + 8 * Layout.FOLIO_WORDS], false);
    }

    /** Returns the length of frozen state {@code state} (its words beyond are ignored). */
    public static int length(Layout lay, int[] state) {
        return lay.folioBase + 1 + state[lay.folioBase] * Layout.FOLIO_WORDS;
    }

    /** Makes this world a working copy of frozen state {@code state}; returns this world. */
    public World load(int[] state) {
        int len = length(lay, state);
        if (a.length < len + 2 * Layout.FOLIO_WORDS) {
            a = new int[len + 8 * Layout.FOLIO_WORDS];
        }
        System.arraycopy(state, 0, a, 0, len);
        nf = a[lay.folioBase];
        return this;
    }

    /** Makes this world a read-only view of frozen state {@code state}, without copying; returns this world. */
    public World rebind(int[] state) {
        a = state;
        nf = state[lay.folioBase];
        return this;
    }

    /** Returns a working copy for trace replay: folio numbers stay as allocated. */
    public static World forTrace(Layout lay, int[] state) {
        return new World(lay, Arrays.copyOf(state, state.length + 2 * Layout.FOLIO_WORDS), true);
    }

    /** Returns an independent copy of this world. */
    public World copy() {
        World w = new World(lay, Arrays.copyOf(a, a.length), stableIds);
        w.anonExclusive = anonExclusive;
        return w;
    }

    /**
     * Makes every freeze of this world also check the PageAnonExclusive rule, for kernels that track the flag
     * (mm/gup.c: "GUP is only allowed to take a pin on anonymous pages that are exclusive"; mm/memory.c maps only
     * exclusive anonymous pages writable): a FOLL_PIN held on, or a writable PTE of, an anonymous folio that is
     * neither exclusive nor freed raises {@link Event#INV_ANON_EXCLUSIVE}. Returns this world.
     */
    public World checkingAnonExclusive() {
        anonExclusive = true;
        return this;
    }

    private boolean nonExclusiveAnon(int f) {
        int flags = a[fb(f) + Layout.F_FLAGS];
        return (flags & Folio.ANON) == Folio.ANON && (flags & Folio.ANON_EXCLUSIVE) != Folio.ANON_EXCLUSIVE
                && (flags & Folio.FREED) != Folio.FREED;
    }

    /** Returns the layout. */
    public Layout layout() {
        return lay;
    }

    // ---- events and signals -------------------------------------------------------------------------

    /** Returns the events bitset. */
    public int events() {
        return a[0];
    }

    /** Records that {@code e} happened. */
    public void raise(Event e) {
        a[0] |= e.bit();
    }

    /** Returns whether {@code e} happened. */
    public boolean happened(Event e) {
        return (a[0] & e.bit()) != 0;
    }

    /** Returns whether user signal {@code s} was raised. */
    public boolean signalled(int s) {
        return (a[1] & (1 << s)) != 0;
    }

    /** Raises user signal {@code s}. */
    public void signal(int s) {
        a[1] |= 1 << s;
    }

    // ---- threads ------------------------------------------------------------------------------------

    private static final int PC_MASK = 0xFFFF;
    private static final int SUB_SHIFT = 16;

    /** Returns the program counter of thread {@code t}: the index of its next operation. */
    public int pc(int t) {
        return a[lay.threadBase[t]] & PC_MASK;
    }

    /** Sets the program counter of thread {@code t}; the step within the operation starts again at 0. */
    public void setPc(int t, int pc) {
        a[lay.threadBase[t]] = pc;
    }

    /** Returns how far thread {@code t} is into a multi-step operation (0 before its first step). */
    public int sub(int t) {
        return a[lay.threadBase[t]] >>> SUB_SHIFT;
    }

    /** Sets how far thread {@code t} is into its current multi-step operation. */
    public void setSub(int t, int sub) {
        int at = lay.threadBase[t];
        a[at] = (a[at] & PC_MASK) | (sub << SUB_SHIFT);
    }

    // ---- kernel daemons -----------------------------------------------------------------------------

    /** Returns the word of daemon {@code d}. */
    public int daemon(int d) {
        return a[lay.daemonAt[d]];
    }

    /** Sets the word of daemon {@code d}. */
    public void setDaemon(int d, int word) {
        a[lay.daemonAt[d]] = word;
    }

    /** Returns register {@code r} of thread {@code t}. */
    public int reg(int t, int r) {
        return a[lay.threadBase[t] + 1 + r];
    }

    /** Sets register {@code r} of thread {@code t}. */
    public void setReg(int t, int r, int value) {
        a[lay.threadBase[t] + 1 + r] = value;
    }

    // ---- processes and VMAs -------------------------------------------------------------------------

    /** Process word bit: the process exists (was created and has not exited). */
    public static final int PROC_ALIVE = 1;
    /** Process word bit: the process was created at some point. */
    public static final int PROC_CREATED = 2;
    /** Process word bit: MMF_HAS_PINNED, set on the first FOLL_PIN of this mm. */
    public static final int PROC_HAS_PINNED = 4;
    /**
     * Process word bit: a stepwise fork of this mm is in progress. It holds the mmap_lock for write (faults, the
     * GUP slow path and mmap calls of this mm wait) and, from 5.11, keeps the mm's write_protect_seq odd.
     */
    public static final int PROC_FORKING = 8;
    /**
     * Process word bit: ksmd holds the PT lock of a page of this mm between its count check and the
     * write-protection (the ksm-check-before-clear order): faults and the GUP slow path of this mm wait.
     */
    public static final int PROC_PTL_HELD = 16;

    /** Returns the process word of {@code p}. */
    public int proc(int p) {
        return a[lay.procBase[p]];
    }

    /** Sets the process word of {@code p}. */
    public void setProc(int p, int word) {
        a[lay.procBase[p]] = word;
    }

    /** Returns whether process {@code p} is alive. */
    public boolean alive(int p) {
        return (proc(p) & PROC_ALIVE) != 0;
    }

    /** Returns the VMA word of VMA name {@code v} in process {@code p}. */
    public int vma(int p, int v) {
        return a[lay.procBase[p] + lay.vmaOffset[v]];
    }

    /** Sets the VMA word of VMA name {@code v} in process {@code p}. */
    public void setVma(int p, int v, int word) {
        a[lay.procBase[p] + lay.vmaOffset[v]] = word;
    }

    /** Returns the PTE of page {@code i} of VMA {@code v} in process {@code p}. */
    public int pte(int p, int v, int i) {
        return a[lay.procBase[p] + lay.vmaOffset[v] + 1 + i];
    }

    /** Sets the PTE of page {@code i} of VMA {@code v} in process {@code p}. */
    public void setPte(int p, int v, int i, int pte) {
        a[lay.procBase[p] + lay.vmaOffset[v] + 1 + i] = pte;
    }

    // ---- files: page caches and disk blocks -----------------------------------------------------------

    /** Returns the word of file {@code f}: nonzero while it exists (see {@link FileWord}). */
    public int file(int f) {
        return a[lay.spaceBase[f]];
    }

    /** Sets the word of file {@code f}. */
    public void setFile(int f, int word) {
        a[lay.spaceBase[f]] = word;
    }

    /** Returns the page-cache slot (a page reference) of page {@code i} of file {@code f}. */
    public int cacheSlot(int f, int i) {
        return a[lay.spaceBase[f] + 1 + i];
    }

    /** Sets the page-cache slot of page {@code i} of file {@code f}. */
    public void setCacheSlot(int f, int i, int ref) {
        a[lay.spaceBase[f] + 1 + i] = ref;
    }

    /** Returns the folio (a page reference) the in-flight write of block {@code i} reads, if not the cached one. */
    public int forked(int f, int i) {
        return lay.forkBase[f] < 0 ? Pte.NONE : a[lay.forkBase[f] + 1 + i];
    }

    /** Sets the folio the in-flight write of block {@code i} of a forking file reads. */
    public void setForked(int f, int i, int ref) {
        a[lay.forkBase[f] + 1 + i] = ref;
    }

    /** Returns the data word of block {@code i} of file {@code f}: its cells and checksum (see {@link Block}). */
    public int blockData(int f, int i) {
        return a[lay.blockBase[f] + 2 * i];
    }

    /** Sets the data word of block {@code i} of file {@code f}. */
    public void setBlockData(int f, int i, int word) {
        assert lay.blockBase[f] >= 0 : "file " + f + " has no disk";
        a[lay.blockBase[f] + 2 * i] = word;
    }

    /** Returns the state word of block {@code i} of file {@code f} (see {@link Block}). */
    public int blockState(int f, int i) {
        return a[lay.blockBase[f] + 2 * i + 1];
    }

    /** Sets the state word of block {@code i} of file {@code f}. */
    public void setBlockState(int f, int i, int word) {
        assert lay.blockBase[f] >= 0 : "file " + f + " has no disk";
        a[lay.blockBase[f] + 2 * i + 1] = word;
    }

    // ---- holders -----------------------------------------------------------------------------------

    /** Returns the holder word of holder {@code h}. */
    public int holder(int h) {
        return a[lay.holderBase[h]];
    }

    /** Sets the holder word of holder {@code h}. */
    public void setHolder(int h, int word) {
        a[lay.holderBase[h]] = word;
    }

    /** Returns the page reference in slot {@code i} of holder {@code h}. */
    public int slot(int h, int i) {
        return a[lay.holderBase[h] + 1 + i];
    }

    /** Sets the page reference in slot {@code i} of holder {@code h}. */
    public void setSlot(int h, int i, int ref) {
        a[lay.holderBase[h] + 1 + i] = ref;
    }

    // ---- folios ------------------------------------------------------------------------------------

    /** Returns the number of folios in the table (freed ones included until they are dropped). */
    public int folios() {
        return nf;
    }

    private int fb(int f) {
        return lay.folioBase + 1 + f * Layout.FOLIO_WORDS;
    }

    /** Allocates a folio with refcount 1 and returns its number. */
    public int alloc(int flags, int content) {
        int need = fb(nf + 1);
        if (need > a.length) {
            a = Arrays.copyOf(a, Math.max(need, a.length * 2));
        }
        int f = nf++;
        a[lay.folioBase] = nf;
        int b = fb(f);
        a[b + Layout.F_REF] = 1;
        a[b + Layout.F_MAP] = 0;
        a[b + Layout.F_PIN] = 0;
        a[b + Layout.F_FLAGS] = flags;
        a[b + Layout.F_CONTENT] = content;
        a[b + Layout.F_MAPPING] = 0;
        return f;
    }

    /** Returns the refcount of folio {@code f}. */
    public int refcount(int f) {
        return a[fb(f) + Layout.F_REF];
    }

    /** Adds {@code delta} to the refcount of folio {@code f}; at zero the folio is freed. */
    public void addRef(int f, int delta) {
        int b = fb(f);
        a[b + Layout.F_REF] += delta;
        if (a[b + Layout.F_REF] <= 0) {
            a[b + Layout.F_FLAGS] |= Folio.FREED;
        }
    }

    /** Returns the mapcount of folio {@code f}. */
    public int mapcount(int f) {
        return a[fb(f) + Layout.F_MAP];
    }

    /** Adds {@code delta} to the mapcount of folio {@code f}. */
    public void addMap(int f, int delta) {
        a[fb(f) + Layout.F_MAP] += delta;
    }

    /** Returns the exact pin count of folio {@code f} (large folios only; zero for small ones). */
    public int pincount(int f) {
        return a[fb(f) + Layout.F_PIN];
    }

    /** Returns the flags of folio {@code f}. */
    public int flags(int f) {
        return a[fb(f) + Layout.F_FLAGS];
    }

    /** Returns whether folio {@code f} has all of {@code bits}. */
    public boolean test(int f, int bits) {
        return (flags(f) & bits) == bits;
    }

    /** Sets {@code bits} on folio {@code f}. */
    public void setFlags(int f, int bits) {
        a[fb(f) + Layout.F_FLAGS] |= bits;
    }

    /** Clears {@code bits} on folio {@code f}. */
    public void clearFlags(int f, int bits) {
        a[fb(f) + Layout.F_FLAGS] &= ~bits;
    }

    /** Returns the content word of folio {@code f}. */
    public int content(int f) {
        return a[fb(f) + Layout.F_CONTENT];
    }

    /** Sets the content word of folio {@code f}. */
    public void setContent(int f, int content) {
        a[fb(f) + Layout.F_CONTENT] = content;
    }

    /** Returns the mapping word of folio {@code f}: 0, or (object + 1) and page index for page-cache folios. */
    public int mapping(int f) {
        return a[fb(f) + Layout.F_MAPPING];
    }

    /** Sets the mapping word of folio {@code f}. */
    public void setMapping(int f, int word) {
        a[fb(f) + Layout.F_MAPPING] = word;
    }

    // ---- freezing ----------------------------------------------------------------------------------

    /**
     * Checks the invariants, then returns the canonical encoding of this world: folios renumbered in the
     * order they are first reached, unreached folios dropped.
     */
    public int[] freeze() {
        int len = freezeScratch(); // first: it may replace the buffer
        return Arrays.copyOf(frozen, len);
    }

    /**
     * Like {@link #freeze()}, but writes the canonical encoding into a buffer this world reuses,
     * {@link #frozenBuffer()}, and returns its length. The buffer is overwritten by the next call.
     */
    public int freezeScratch() {
        int len = fb(nf);
        if (frozen.length < len) {
            frozen = new int[Math.max(len, frozen.length * 2)];
        }
        return canonical(frozen, !stableIds);
    }

    /**
     * Re-checks the invariants in one walk over the fields that name folios (PTEs, page-cache slots, fork slots,
     * holder slots, in layout order), recounting each folio's references and mappings, and writes the state to
     * {@code out}: with {@code renumber}, folios renumbered in the order the walk first reaches them and unreached
     * ones dropped (the canonical form); without, as they are (a trace's stable folio names).
     */
    private int canonical(int[] out, boolean renumber) {
        if (order.length < nf) {
            int n = Math.max(nf, order.length * 2);
            order = new int[n];
            refs = new int[n];
            maps = new int[n];
            cached = new boolean[n];
        }
        int[] order = this.order;
        int[] refs = this.refs;
        int[] maps = this.maps;
        Arrays.fill(order, 0, nf, -1);
        Arrays.fill(refs, 0, nf, 0);
        Arrays.fill(maps, 0, nf, 0);
        int next = 0;
        int fixed = lay.folioBase;
        boolean notExclusive = false;
        System.arraycopy(a, 0, out, 0, fixed);
        for (int p = 0; p < lay.procBase.length; p++) {
            for (int v = 0; v < lay.vmaPages.length; v++) {
                int at = lay.procBase[p] + lay.vmaOffset[v] + 1;
                for (int i = 0; i < lay.vmaPages[v]; i++) {
                    int pte = a[at + i];
                    int ref = Pte.ref(pte);
                    if (Pte.isFolio(ref)) {
                        int f = Pte.folio(ref);
                        refs[f]++;
                        maps[f]++;
                        notExclusive |= anonExclusive && Pte.writable(pte) && nonExclusiveAnon(f);
                        if (order[f] < 0) {
                            order[f] = next++;
                        }
                        if (renumber) {
                            out[at + i] = Pte.withRef(pte, Pte.ofFolio(order[f]));
                        }
                    }
                }
            }
        }
        if (lay.spaceBase.length > 0) {
            boolean broken = false;
            Arrays.fill(cached, 0, nf, false);
            for (int sp = 0; sp < lay.spaceBase.length; sp++) {
                int at = lay.spaceBase[sp] + 1;
                for (int i = 0; i < lay.spacePages[sp]; i++) {
                    int ref = a[at + i];
                    if (Pte.isFolio(ref)) {
                        int f = Pte.folio(ref);
                        refs[f]++;
                        broken |= cached[f] || !test(f, Folio.PAGECACHE) || mapping(f) != Folio.mappingOf(sp, i);
                        cached[f] = true;
                        if (order[f] < 0) {
                            order[f] = next++;
                        }
                        if (renumber) {
                            out[at + i] = Pte.ofFolio(order[f]);
                        }
                    }
                }
            }
            for (int f = 0; f < nf; f++) {
                broken |= test(f, Folio.PAGECACHE) && !cached[f] && !test(f, Folio.FREED);
            }
            if (broken) {
                raise(Event.INV_PAGECACHE);
            }
            for (int sp = 0; sp < lay.forkBase.length; sp++) {
                if (lay.forkBase[sp] < 0) {
                    continue;
                }
                int at = lay.forkBase[sp] + 1;
                for (int i = 0; i < lay.spacePages[sp]; i++) {
                    int ref = a[at + i];
                    if (Pte.isFolio(ref)) {
                        int f = Pte.folio(ref);
                        refs[f]++; // the forked page's own reference, kept until its write ends
                        if (order[f] < 0) {
                            order[f] = next++;
                        }
                        if (renumber) {
                            out[at + i] = Pte.ofFolio(order[f]);
                        }
                    }
                }
            }
        }
        for (int h = 0; h < lay.holderBase.length; h++) {
            int at = lay.holderBase[h];
            int per = (Holder.flags(a[at]) & Holder.PIN) != 0 ? Folio.PIN_BIAS : 1;
            boolean pinHeld = anonExclusive && per == Folio.PIN_BIAS && Holder.status(a[at]) == Holder.HELD;
            for (int i = 0; i < lay.holderSlots[h]; i++) {
                int ref = a[at + 1 + i];
                if (Pte.isFolio(ref)) {
                    int f = Pte.folio(ref);
                    refs[f] += per;
                    notExclusive |= pinHeld && nonExclusiveAnon(f);
                    if (order[f] < 0) {
                        order[f] = next++;
                    }
                    if (renumber) {
                        out[at + 1 + i] = Pte.ofFolio(order[f]);
                    }
                }
            }
        }
        if (notExclusive) {
            raise(Event.INV_ANON_EXCLUSIVE);
        }
        for (int f = 0; f < nf; f++) {
            int b = fb(f);
            int flags = a[b + Layout.F_FLAGS];
            boolean freed = (flags & Folio.FREED) == Folio.FREED;
            int r = refs[f] + ((flags & Folio.PRIVATE) == Folio.PRIVATE ? 1 : 0); // buffers hold a reference
            if (order[f] >= 0) {
                if (freed) {
                    raise(Event.UAF);
                }
                if (r != a[b + Layout.F_REF]) {
                    raise(Event.INV_REFCOUNT);
                }
                if (maps[f] != a[b + Layout.F_MAP]) {
                    raise(Event.INV_MAPCOUNT);
                }
                if (renumber) {
                    System.arraycopy(a, b, out, fixed + 1 + order[f] * Layout.FOLIO_WORDS, Layout.FOLIO_WORDS);
                }
            } else if (!freed) {
                raise(Event.LEAK);
            }
        }
        if (!renumber) {
            System.arraycopy(a, 0, out, 0, fb(nf));
            return fb(nf);
        }
        out[0] = a[0]; // the events the checks raised
        out[fixed] = next;
        return fixed + 1 + next * Layout.FOLIO_WORDS;
    }

    /** Returns the buffer {@link #freezeScratch()} writes into. */
    public int[] frozenBuffer() {
        return frozen;
    }
}
