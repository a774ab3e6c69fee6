package pinlab.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where frontier bytes go when they outgrow their share of the heap: one temporary file per level generation,
 * appended to by any worker and read back by position. Like TLC's disk queue, it keeps the heap bounded by the
 * visited set rather than by the widest level. The files are deleted when their level is done and at the end.
 */
final class Spill implements AutoCloseable {
    private final long budget;
    private final AtomicLong resident = new AtomicLong();
    private Path dir;
    private final FileChannel[] files = new FileChannel[2];
    private final AtomicLong[] ends = {new AtomicLong(), new AtomicLong()};
    private long spilled;

    /** Spills once more than {@code budget} bytes of batch data are on the heap (0: never). */
    Spill(long budget) {
        this.budget = budget;
    }

    /** Returns whether a batch of {@code bytes} more should go to disk, counting it as resident if not. */
    boolean shouldSpill(long bytes) {
        if (budget <= 0) {
            return false;
        }
        if (resident.get() + bytes > budget) {
            return true;
        }
        resident.addAndGet(bytes);
        return false;
    }

    /** Counts {@code bytes} of resident batch data as freed. */
    void released(long bytes) {
        resident.addAndGet(-bytes);
    }

    /** Appends {@code data[0..len)} to generation {@code gen}'s file; returns its position. */
    long write(int gen, byte[] data, int len) {
        try {
            FileChannel f = file(gen);
            long at = ends[gen].getAndAdd(len);
            ByteBuffer b = ByteBuffer.wrap(data, 0, len);
            long p = at;
            while (b.hasRemaining()) {
                p += f.write(b, p);
            }
            synchronized (this) {
                spilled += len;
            }
            return at;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the frontier to disk", e);
        }
    }

    /** Reads {@code len} bytes at {@code at} of generation {@code gen}'s file. */
    byte[] read(int gen, long at, int len) {
        byte[] out = new byte[len];
        try {
            ByteBuffer b = ByteBuffer.wrap(out);
            long p = at;
            while (b.hasRemaining()) {
                int n = files[gen].read(b, p);
                if (n < 0) {
                    throw new IOException("short read of the frontier file");
                }
                p += n;
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the frontier back from disk", e);
        }
    }

    /** Empties generation {@code gen}'s file: everything in it has been read for the last time. */
    synchronized void clear(int gen) {
        try {
            if (files[gen] != null) {
                files[gen].truncate(0);
                ends[gen].set(0);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Returns the bytes written to disk in all. */
    synchronized long spilled() {
        return spilled;
    }

    private synchronized FileChannel file(int gen) throws IOException {
        if (files[gen] == null) {
            if (dir == null) {
                dir = Files.createTempDirectory("pinlab-frontier");
            }
            Path p = dir.resolve("level-" + gen);
            files[gen] = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE);
        }
        return files[gen];
    }

    @Override
    public synchronized void close() {
        for (FileChannel f : files) {
            try {
                if (f != null) {
                    f.close();
                }
            } catch (IOException e) {
                // a temporary file: nothing to keep
            }
        }
        try {
            if (dir != null) {
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            // left for the system's temporary-file cleaner
        }
    }
}
