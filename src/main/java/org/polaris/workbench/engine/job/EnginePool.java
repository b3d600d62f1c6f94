package org.polaris.workbench.engine.job;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The engine's own worker threads, sized to the cores: kernels parallelize their outermost loop through
 * {@link #parallelFor}, and skip it for small work. The only place in the engine that creates threads.
 * <p>
 * Built for batch-1 latency, where a model is a chain of short parallel loops: a worker that finished its part spins
 * for {@link #SPIN_NANOS} before parking, so the next node's loop reaches it without a thread wake-up, and a loop's
 * chunks are claimed rather than assigned, so a worker that wakes late (a parked thread on an idle virtual CPU took up
 * to a millisecond) only finds that the caller did its share. One loop runs on the pool at a time; a loop started
 * while another runs (another session on the shared pool, or a loop nested in a loop's body) runs on its caller's
 * thread.
 */
public final class EnginePool implements AutoCloseable {

    private static final EnginePool SHARED = new EnginePool(Runtime.getRuntime().availableProcessors());

    /** How long an idle worker keeps polling for the next chunk before it parks. */
    static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile boolean closed;

    public EnginePool(int threads) {
        this.threads = Math.max(1, threads);
        this.workers = new Worker[this.threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(this);
            Thread t = new WorkerThread(workers[i], "polaris-engine-" + (i + 1));
            t.setDaemon(true);
            workers[i].thread = t;
            t.start();
        }
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
        if (parts <= 1 || closed || Thread.currentThread() instanceof WorkerThread || !busy.compareAndSet(false, true)) {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
            return;
        }
        try {
            // chunks are claimed, not assigned: a worker that wakes late (an idle virtual CPU can take a millisecond)
            // finds the caller has taken its share, instead of the caller waiting for it
            int chunks = Math.min(n, parts * 4);
            Region region = new Region(body, n, chunks);
            for (int p = 1; p < parts; p++) {
                workers[p - 1].give(region);
            }
            region.work();
            // a worker inside the region holds a claimed chunk of the caller's arrays: wait for it
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (region.inside.get() > 0) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(20_000);
                }
            }
            Throwable t = region.failure.get();
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error err) {
                throw err;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        } finally {
            busy.set(false);
        }
    }

    @Override
    public void close() {
        if (this != SHARED && !closed) {
            closed = true;
            for (Worker w : workers) {
                LockSupport.unpark(w.thread);
            }
        }
    }

    /** One loop: its chunks go to whichever thread claims them first. */
    private static final class Region {
        private final IntConsumer body;
        private final int n;
        private final int chunks;
        private final AtomicInteger next = new AtomicInteger();
        final AtomicInteger inside = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Region(IntConsumer body, int n, int chunks) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
        }

        /** Claims and runs chunks until none is left (after a failure, the rest are skipped). */
        void work() {
            int per = (n + chunks - 1) / chunks;
            for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                if (failure.get() != null) {
                    continue;
                }
                try {
                    for (int i = c * per, end = Math.min(n, i + per); i < end; i++) {
                        body.accept(i);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }
        }

        /** A worker's part: counted as inside while it may hold a chunk. */
        void join() {
            inside.incrementAndGet();
            try {
                work();
            } finally {
                inside.decrementAndGet();
            }
        }
    }

    /** Marks the pool's own threads, so a loop inside a chunk runs inline instead of waiting on itself. */
    private static final class WorkerThread extends Thread {
        WorkerThread(Runnable r, String name) {
            super(r, name);
        }
    }

    private static final class Worker implements Runnable {
        private final EnginePool pool;
        private final AtomicReference<Region> next = new AtomicReference<>();
        Thread thread;

        Worker(EnginePool pool) {
            this.pool = pool;
        }

        void give(Region r) {
            next.set(r);
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            while (!pool.closed) {
                Region r = next.getAndSet(null);
                if (r != null) {
                    r.join();
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
        }
    }
}
