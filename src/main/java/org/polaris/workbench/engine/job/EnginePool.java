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
 * Built for batch-1 latency, where a model is a chain of short parallel loops: a worker that finished a chunk spins
 * for {@link #SPIN_NANOS} before parking, so the next node's loop reaches it without a thread wake-up (a parked
 * thread took tens of microseconds to start, which made a second thread slow small models down). One loop runs on
 * the pool at a time; a loop started while another runs (another session on the shared pool, or a loop nested in a
 * loop's body) runs on its caller's thread.
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
            int chunk = (n + parts - 1) / parts;
            AtomicInteger pending = new AtomicInteger(parts - 1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int p = 1; p < parts; p++) {
                int from = p * chunk;
                int to = Math.min(n, from + chunk);
                workers[p - 1].give(new Chunk(body, from, to, pending, failure));
            }
            try {
                for (int i = 0; i < Math.min(n, chunk); i++) {
                    body.accept(i);
                }
            } catch (RuntimeException | Error e) {
                failure.compareAndSet(null, e);
            }
            // the workers' chunks touch the caller's arrays: wait for all of them, whatever happened here
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (pending.get() > 0) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(20_000);
                }
            }
            Throwable t = failure.get();
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

    /** One chunk of a loop, handed to a worker. */
    private record Chunk(IntConsumer body, int from, int to, AtomicInteger pending, AtomicReference<Throwable> failure) {
        void run() {
            try {
                for (int i = from; i < to; i++) {
                    body.accept(i);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            } finally {
                pending.decrementAndGet();
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
        private volatile Chunk next;
        Thread thread;

        Worker(EnginePool pool) {
            this.pool = pool;
        }

        void give(Chunk c) {
            next = c;
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            while (!pool.closed) {
                Chunk c = next;
                if (c != null) {
                    next = null;
                    c.run();
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
