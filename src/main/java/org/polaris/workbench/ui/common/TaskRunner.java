package org.polaris.workbench.ui.common;

import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;

import java.util.function.Consumer;

/**
 * Runs engine work off the FX thread and reports it to the status bar. Callbacks arrive on the thread that
 * ViewModels may touch (the FX thread in the app, the caller's thread in tests).
 */
public interface TaskRunner {

    /** A piece of engine work. */
    @FunctionalInterface
    interface Job<T> {
        T run(ProgressSink progress, CancellationToken cancel) throws Exception;
    }

    /**
     * Starts {@code job}. Exactly one of {@code onSuccess} and {@code onFailure} is called, unless the job is
     * cancelled, in which case neither is.
     */
    <T> void submit(String title, Job<T> job, Consumer<T> onSuccess, Consumer<Throwable> onFailure);

    /** Asks every running job to stop at its next step. */
    void cancelAll();

    ReadOnlyBooleanProperty runningProperty();

    /** Progress of the most recently started job in [0, 1], or -1 when indeterminate. */
    ReadOnlyDoubleProperty progressProperty();

    ReadOnlyStringProperty messageProperty();
}
