package org.polaris.workbench.ui.common;

import javafx.scene.control.ContextMenu;
import javafx.scene.control.MenuItem;
import javafx.scene.control.TableCell;
import javafx.scene.control.TableColumn;
import javafx.scene.control.Tooltip;
import javafx.util.Callback;

/** Table cells whose text may be cut off by the column: full text as a tooltip, "Copy" on right click. */
public final class TextCells {

    private TextCells() {
    }

    public static <R> Callback<TableColumn<R, String>, TableCell<R, String>> withTooltip() {
        return col -> new TableCell<>() {
            {
                MenuItem copy = new MenuItem("Copy");
                copy.setOnAction(e -> Texts.copy(getText()));
                setContextMenu(new ContextMenu(copy));
            }

            @Override
            protected void updateItem(String s, boolean empty) {
                super.updateItem(s, empty);
                boolean none = empty || s == null || s.isEmpty();
                setText(none ? null : s);
                setTooltip(none ? null : new Tooltip(s));
            }
        };
    }
}
