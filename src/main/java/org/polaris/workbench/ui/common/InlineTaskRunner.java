package org.polaris.workbench.ui.common;

import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.CancelledException;

import java.util.function.Consumer;

/** Runs jobs at once on the calling thread: for ViewModel tests and the CLI-free headless paths. */
public final class InlineTaskRunner implements TaskRunner {

    private final ReadOnlyBooleanWrapper running = new ReadOnlyBooleanWrapper(false);
    private final ReadOnlyDoubleWrapper progress = new ReadOnlyDoubleWrapper(0);
    private final ReadOnlyStringWrapper message = new ReadOnlyStringWrapper("");
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

    @Override
    public ReadOnlyBooleanProperty runningProperty() {
        return running.getReadOnlyProperty();
    }

    @Override
    public ReadOnlyDoubleProperty progressProperty() {
        return progress.getReadOnlyProperty();
    }

    @Override
    public ReadOnlyStringProperty messageProperty() {
        return message.getReadOnlyProperty();
    }
}
