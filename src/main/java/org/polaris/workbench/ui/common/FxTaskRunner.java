package org.polaris.workbench.ui.common;

import javafx.concurrent.Task;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.CancelledException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Runs jobs as {@link Task}s on named daemon threads. Task already coalesces progress and message updates into one
 * FX pulse, so engine code may report as often as it likes.
 */
public final class FxTaskRunner extends TaskRunnerState implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FxTaskRunner.class);

    private final ExecutorService executor;
    private final Set<CancellationToken> active = ConcurrentHashMap.newKeySet();
    private int runningCount;

    public FxTaskRunner() {
        AtomicInteger n = new AtomicInteger();
        executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "polaris-task-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public <T> void submit(String title, Job<T> job, Consumer<T> onSuccess, Consumer<Throwable> onFailure) {
        CancellationToken token = new CancellationToken();
        Task<T> task = new Task<>() {
            @Override
            protected T call() throws Exception {
                return job.run((f, m) -> {
                    updateProgress(f < 0 ? -1 : f, 1.0);
                    updateMessage(m);
                }, token);
            }
        };
        progress.unbind();
        message.unbind();
        progress.bind(task.progressProperty());
        message.bind(task.messageProperty());
        runningCount++;
        running.set(true);
        active.add(token);
        task.setOnSucceeded(e -> { finish(token); onSuccess.accept(task.getValue()); });
        task.setOnFailed(e -> {
            finish(token);
            Throwable ex = task.getException();
            if (ex instanceof CancelledException) {
                if (!message.isBound()) { // else another job's progress is showing
                    message.set(title + " cancelled");
                }
            } else {
                LOG.debug("{} failed", title, ex);
                onFailure.accept(ex);
            }
        });
        task.setOnCancelled(e -> finish(token));
        executor.execute(task);
    }

    private void finish(CancellationToken token) {
        active.remove(token);
        runningCount--;
        if (runningCount == 0) {
            progress.unbind();
            message.unbind();
            progress.set(0);
            message.set("");
            running.set(false);
        }
    }

    @Override
    public void cancelAll() {
        active.forEach(CancellationToken::cancel);
    }

    @Override
    public void close() {
        cancelAll();
        executor.shutdownNow();
    }
}
