package org.polaris.workbench.ui.common;

import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

/** The observable state every {@link TaskRunner} exposes to the status bar; subclasses decide how jobs run. */
abstract class TaskRunnerState implements TaskRunner {

    protected final ReadOnlyBooleanWrapper running = new ReadOnlyBooleanWrapper(false);
    protected final ReadOnlyDoubleWrapper progress = new ReadOnlyDoubleWrapper(0);
    protected final ReadOnlyStringWrapper message = new ReadOnlyStringWrapper("");

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
