package org.polaris.workbench.ui.common;

import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.CancelledException;

import java.util.function.Consumer;

/** Runs jobs at once on the calling thread: for ViewModel tests and the CLI-free headless paths. */
public final class InlineTaskRunner extends TaskRunnerState {

    private CancellationToken current = CancellationToken.none();

    @Override
    public <T> void submit(String title, Job<T> job, Consumer<T> onSuccess, Consumer<Throwable> onFailure) {
        current = new CancellationToken();
        running.set(true);
        message.set(title);
        T result;
        try {
            result = job.run((f, m) -> { progress.set(f); message.set(m); }, current);
        } catch (CancelledException e) {
            message.set(title + " cancelled");
            return;
        } catch (Exception e) {
            onFailure.accept(e);
            return;
        } finally {
            running.set(false);
        }
        message.set("");
        onSuccess.accept(result);
    }

    @Override
    public void cancelAll() {
        current.cancel();
    }
}
