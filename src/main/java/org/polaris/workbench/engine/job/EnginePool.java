package org.polaris.workbench.engine.job;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The engine's own worker threads, sized to the cores: kernels parallelize their outermost loop through
 * {@link #parallelFor}, and skip it for small work. The only place in the engine that creates threads.
 */
public final class EnginePool implements AutoCloseable {

    private static final EnginePool SHARED = new EnginePool(Runtime.getRuntime().availableProcessors());

    private final int threads;
    private final ExecutorService executor;

    public EnginePool(int threads) {
        this.threads = Math.max(1, threads);
        AtomicInteger n = new AtomicInteger();
        this.executor = this.threads == 1 ? null : Executors.newFixedThreadPool(this.threads - 1, r -> {
            Thread t = new Thread(r, "polaris-engine-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public static EnginePool shared() {
        return SHARED;
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body(i)} for i in [0, n), split into contiguous chunks over the pool and the calling thread.
     * {@code minPerThread} keeps tiny loops on one thread, where handing off costs more than it saves.
     */
    public void parallelFor(int n, int minPerThread, IntConsumer body) {
        int parts = Math.min(threads, Math.max(1, n / Math.max(1, minPerThread)));
        if (parts <= 1 || executor == null) {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
            return;
        }
        Future<?>[] futures = new Future<?>[parts - 1];
        int chunk = (n + parts - 1) / parts;
        for (int p = 1; p < parts; p++) {
            int from = p * chunk;
            int to = Math.min(n, from + chunk);
            futures[p - 1] = executor.submit(() -> {
                for (int i = from; i < to; i++) {
                    body.accept(i);
                }
            });
        }
        for (int i = 0; i < Math.min(n, chunk); i++) {
            body.accept(i);
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause();
                throw c instanceof RuntimeException re ? re : new IllegalStateException(c);
            }
        }
    }

    @Override
    public void close() {
        if (executor != null && this != SHARED) {
            executor.shutdownNow();
        }
    }
}
