package org.polaris.workbench.engine.job;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The engine's own worker threads, sized to the cores: kernels parallelize their outermost loop through
 * {@link #parallelFor}, and skip it for small work. The only place in the engine that creates threads.
 * <p>
 * Built for batch-1 latency, where a model is a chain of short parallel loops: a worker that finished its part spins
 * for {@link #SPIN_NANOS} before parking, so the next node's loop reaches it without a thread wake-up; each thread
 * owns the same share of a loop on every call (its cache keeps that share's rows of the arrays), and a thread that is
 * done takes chunks from the back of the others' shares, so a worker that wakes late (a parked thread on an idle
 * virtual CPU took up to a millisecond) only finds that the caller did its share. One loop runs on the pool at a
 * time; a loop started while another runs (another session on the shared pool, or a loop nested in a loop's body)
 * runs on its caller's thread.
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
            workers[i] = new Worker(this, i + 1);
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
            // shares as in the class comment: the caller's is part 0, worker i's part i
            Region region = new Region(body, n, parts, CHUNKS_PER_PART);
            for (int p = 1; p < parts; p++) {
                workers[p - 1].give(region);
            }
            region.work(0);
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

    /**
     * Chunks each thread's share of a loop is cut into: its own share, taken in order from the front, keeps the same
     * rows of the same arrays on the same core from one call to the next (chunks handed to whichever thread came
     * first moved each run's output between the cores' caches: a 3 -> 16 channel convolution on 40x56 took 20 us on
     * one thread and 34 on two); the rest are there for the other threads to take from the back.
     */
    static final int CHUNKS_PER_PART = 4;

    /** One loop: part p (the caller's is 0) owns chunks [p * chunks / parts, (p + 1) * chunks / parts). */
    private static final class Region {
        private final IntConsumer body;
        private final int n;
        private final int per;
        /** Per part: the next chunk from the front in the high half, the end of what is left in the low half. */
        private final AtomicLongArray left;
        final AtomicInteger inside = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Region(IntConsumer body, int n, int parts, int chunksPerPart) {
            this.body = body;
            this.n = n;
            int chunks = Math.min(n, parts * chunksPerPart);
            this.per = (n + chunks - 1) / chunks;
            int used = (n + per - 1) / per;
            this.left = new AtomicLongArray(parts);
            for (int p = 0; p < parts; p++) {
                left.set(p, pack(p * used / parts, (p + 1) * used / parts));
            }
        }

        private static long pack(int front, int end) {
            return (long) front << 32 | end;
        }

        /** Takes the front chunk of part p (its owner) or its last one (another thread), or -1 when none is left. */
        private int take(int p, boolean front) {
            while (true) {
                long v = left.get(p);
                int f = (int) (v >>> 32), e = (int) v;
                if (f >= e) {
                    return -1;
                }
                if (left.compareAndSet(p, v, front ? pack(f + 1, e) : pack(f, e - 1))) {
                    return front ? f : e - 1;
                }
            }
        }

        /** Runs part {@code self}'s chunks, then whatever is left of the others' (after a failure, skips them). */
        void work(int self) {
            int parts = left.length();
            for (int q = 0; q < parts; q++) {
                int p = (self + q) % parts;
                for (int c = take(p, q == 0); c >= 0; c = take(p, q == 0)) {
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
        }

        /** A worker's part: counted as inside while it may hold a chunk. */
        void join(int part) {
            inside.incrementAndGet();
            try {
                work(part);
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
        /** The share of each loop this worker owns. */
        private final int part;
        private final AtomicReference<Region> next = new AtomicReference<>();
        Thread thread;

        Worker(EnginePool pool, int part) {
            this.pool = pool;
            this.part = part;
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
                    r.join(part);
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
