package org.polaris.workbench.ui.common;

import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.collections.ListChangeListener;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The last value of one kind (a result, an error) for each open model, and the one of the current model: changing
 * the selection shows that model's value or nothing, never another model's. Values of a closed model are dropped.
 */
public final class PerModel<T> {

    private final Workspace workspace;
    private final Map<Path, T> values = new HashMap<>();
    private final ReadOnlyObjectWrapper<T> shown = new ReadOnlyObjectWrapper<>();

    public PerModel(Workspace workspace) {
        this.workspace = workspace;
        workspace.currentProperty().addListener((o, a, m) -> shown.set(m == null ? null : values.get(m)));
        workspace.openModels().addListener((ListChangeListener<Path>) c -> values.keySet().retainAll(workspace.openModels()));
    }

    /** Remembers {@code value} for {@code model} (ignored when it is no longer open) and shows it if it is current. */
    public void put(Path model, T value) {
        if (!workspace.isOpen(model)) {
            return;
        }
        if (value == null) {
            values.remove(model);
        } else {
            values.put(model, value);
        }
        if (model.equals(workspace.current())) {
            shown.set(value);
        }
    }

    /** Sets or clears the value of the current model. */
    public void putCurrent(T value) {
        if (workspace.current() != null) {
            put(workspace.current(), value);
        }
    }

    public T get() {
        return shown.get();
    }

    public ReadOnlyObjectProperty<T> shownProperty() {
        return shown.getReadOnlyProperty();
    }
}
