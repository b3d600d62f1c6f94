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

    /** A table's empty-state text: wraps in a narrow table instead of ending in "...". */
    public static javafx.scene.control.Label placeholder(String text) {
        javafx.scene.control.Label l = new javafx.scene.control.Label(text);
        l.setWrapText(true);
        l.setTextAlignment(javafx.scene.text.TextAlignment.CENTER);
        l.setPadding(new javafx.geometry.Insets(8));
        return l;
    }

    /** Keeps a column at least as wide as its header text (plus room for the sort arrow): "Keep F..." tells nothing. */
    public static void fitHeader(TableColumn<?, ?> column) {
        javafx.scene.text.Text t = new javafx.scene.text.Text(column.getText());
        double w = Math.ceil(t.getLayoutBounds().getWidth()) + 28;
        column.setMinWidth(Math.max(column.getMinWidth(), w));
        if (column.getPrefWidth() < w) {
            column.setPrefWidth(w);
        }
    }

    /** A text column: {@code f} of the row, cut-off text as a tooltip and "Copy", at least as wide as its header. */
    public static <R> TableColumn<R, String> column(String title, java.util.function.Function<R, String> f, double width) {
        TableColumn<R, String> c = new TableColumn<>(title);
        c.setCellValueFactory(cell -> new javafx.beans.property.ReadOnlyStringWrapper(f.apply(cell.getValue())));
        c.setCellFactory(withTooltip());
        c.setPrefWidth(width);
        fitHeader(c);
        return c;
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
