package org.polaris.workbench.engine.job;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs independent pieces of a job (search candidates, data shards) and returns their results in input order. The
 * in-process runner ({@link #local}) uses a few threads of this process; a cluster runner ({@link ClusterRunners})
 * runs the same tasks on its executors. A task, its input and its output are serializable values, so any runner can
 * ship them; a task opens what it needs (model, data) by path.
 */
public interface JobRunner extends AutoCloseable {

    /** One piece of work; it checks the token at coarse steps. */
    @FunctionalInterface
    interface Task<I, O> extends Serializable {
        O run(I item, CancellationToken cancel) throws Exception;
    }

    <I, O> List<O> map(List<I> items, Task<I, O> task, ProgressSink progress, CancellationToken cancel) throws Exception;

    /** What the runner is, for reports ("in-process, 1 thread"). */
    String describe();

    /** Releases what the runner holds (a cluster connection); the in-process runner holds nothing. */
    @Override
    default void close() {
    }

    /** Threads of this process; the first failure cancels the rest and is thrown. */
    static JobRunner local(int threads) {
        if (threads < 1 || threads > 256) throw new IllegalArgumentException("threads must be 1 to 256");
        return new JobRunner() {
            @Override
            public <I, O> List<O> map(List<I> items, Task<I, O> task, ProgressSink progress, CancellationToken cancel)
                    throws Exception {
                CancellationToken stop = CancellationToken.either(cancel, new CancellationToken());
                AtomicInteger done = new AtomicInteger();
                if (threads == 1) {
                    List<O> out = new ArrayList<>();
                    for (I item : items) {
                        stop.throwIfCancelled();
                        out.add(task.run(item, stop));
                        progress.progress((double) done.incrementAndGet() / items.size(), done.get() + " of " + items.size());
                    }
                    return out;
                }
                ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, Math.max(1, items.size())), r -> {
                    Thread t = new Thread(r, "polaris-job");
                    t.setDaemon(true);
                    return t;
                });
                try {
                    List<Future<O>> futures = new ArrayList<>();
                    for (I item : items) {
                        futures.add(pool.submit(() -> {
                            stop.throwIfCancelled();
                            O o = task.run(item, stop);
                            progress.progress((double) done.incrementAndGet() / items.size(), done.get() + " of " + items.size());
                            return o;
                        }));
                    }
                    List<O> out = new ArrayList<>();
                    for (Future<O> f : futures) {
                        try {
                            out.add(f.get());
                        } catch (ExecutionException e) {
                            futures.forEach(x -> x.cancel(true));
                            if (e.getCause() instanceof Exception ex) throw ex;
                            throw e;
                        }
                    }
                    return out;
                } finally {
                    pool.shutdownNow();
                }
            }

            @Override
            public String describe() {
                return "in-process, " + threads + (threads == 1 ? " thread" : " threads");
            }
        };
    }
}
