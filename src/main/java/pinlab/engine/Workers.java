package pinlab.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The threads of one search: the calling thread (worker 0) and, made on first parallel use, a pool of the others.
 * Tasks are taken in turn by whichever worker is free; a task's result must not depend on which one runs it.
 */
final class Workers implements AutoCloseable {
    /** A task body: worker number and task number. */
    interface Task {
        void run(int worker, int task);
    }

    private final int count;
    private final String name;
    private ExecutorService pool;

    /** Creates {@code count} workers; the pool's threads are called {@code name}. */
    Workers(int count, String name) {
        this.count = Math.max(1, count);
        this.name = name;
    }

    /** Returns the number of workers. */
    int count() {
        return count;
    }

    /**
     * Runs {@code body} for tasks 0..n-1, on every worker if {@code parallel}, else on the calling thread alone.
     * The first failure is thrown once every worker has stopped.
     */
    void forEach(boolean parallel, int n, Task body) {
        if (!parallel || count == 1) {
            for (int i = 0; i < n; i++) {
                body.run(0, i);
            }
            return;
        }
        if (pool == null) {
            pool = Executors.newFixedThreadPool(count - 1, r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                return t;
            });
        }
        AtomicInteger next = new AtomicInteger();
        IntConsumer loop = w -> {
            for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                body.run(w, i);
            }
        };
        List<Future<?>> fs = new ArrayList<>();
        for (int w = 1; w < count; w++) {
            int worker = w;
            fs.add(pool.submit(() -> loop.accept(worker)));
        }
        Throwable failed = null;
        try {
            loop.accept(0);
        } catch (RuntimeException | Error e) {
            failed = e;
            next.set(n);
        }
        for (Future<?> f : fs) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (ExecutionException e) {
                if (failed == null) {
                    failed = e.getCause();
                }
            }
        }
        if (failed instanceof RuntimeException r) {
            throw r;
        }
        if (failed instanceof Error r) {
            throw r;
        }
        if (failed != null) {
            throw new IllegalStateException(failed);
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
