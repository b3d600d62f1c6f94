package org.polaris.workbench.ui.common;

import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.collections.ObservableList;
import javafx.scene.control.ComboBox;
import javafx.scene.control.ListCell;
import javafx.scene.control.Tooltip;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The model chooser every pane shows: it follows the workbench's current model and changes it for all panes.
 * Not bound bidirectionally: a combo box clears its value when its items change, and that must never blank the
 * selection (the pane would then show one model and run another).
 */
public final class ModelChooser {

    private ModelChooser() {
    }

    public static ComboBox<Path> create(ObservableList<Path> models, ReadOnlyObjectProperty<Path> current,
                                        Consumer<Path> select, String id) {
        ComboBox<Path> box = new ComboBox<>(models);
        box.setId(id);
        box.setPromptText("no model open: open one with File > Open model");
        box.setCellFactory(lv -> pathCell());
        box.setButtonCell(pathCell());
        box.setMaxWidth(Double.MAX_VALUE);
        box.setValue(current.get());
        boolean[] following = {false};
        Consumer<Path> show = p -> {
            following[0] = true;
            try {
                box.setValue(p);
            } finally {
                following[0] = false;
            }
        };
        current.addListener((o, a, b) -> show.accept(b));
        box.valueProperty().addListener((o, a, b) -> {
            if (following[0]) {
                return;
            }
            if (b != null) {
                select.accept(b);
            }
            if (b == null || !b.equals(current.get())) {
                // the list changed under the box (or the pick was refused): show the current model again
                show.accept(current.get());
            }
        });
        box.tooltipProperty().bind(javafx.beans.binding.Bindings.createObjectBinding(() ->
                current.get() == null ? null : new Tooltip(current.get().toString()), current));
        return box;
    }

    private static ListCell<Path> pathCell() {
        return new ListCell<>() {
            @Override
            protected void updateItem(Path p, boolean empty) {
                super.updateItem(p, empty);
                setText(empty || p == null ? null : p.getFileName().toString());
                setTooltip(empty || p == null ? null : new Tooltip(p.toString()));
            }
        };
    }
}
