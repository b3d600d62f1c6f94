package org.polaris.workbench.ui.common;

import javafx.beans.value.ObservableStringValue;
import javafx.collections.ListChangeListener;
import javafx.collections.ObservableList;
import javafx.scene.control.Label;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;

/**
 * Small building blocks the result panes share: a message line that hides when empty, a label/value card, the line
 * saying which model and settings produced a result. Every text can be copied and shows in full as a tooltip.
 */
public final class Cards {

    private Cards() {
    }

    /** A wrapping label showing {@code text} in {@code style}, taking no space while the text is empty. */
    public static Label message(String id, ObservableStringValue text, String style) {
        Label l = new Label();
        l.setId(id);
        l.setWrapText(true);
        l.textProperty().bind(text);
        l.getStyleClass().add(style);
        l.setMinHeight(Region.USE_PREF_SIZE);
        l.setMaxWidth(Double.MAX_VALUE);
        l.visibleProperty().bind(l.textProperty().isNotEmpty());
        l.managedProperty().bind(l.visibleProperty());
        Texts.copyable(l);
        return l;
    }

    /** "model.onnx · settings · time" above a result; hidden while there is no result. */
    public static Label provenance(String id, ObservableStringValue text) {
        Label l = message(id, text, "provenance");
        l.textProperty().unbind();
        l.textProperty().bind(javafx.beans.binding.Bindings.createStringBinding(() ->
                text.get() == null || text.get().isEmpty() ? "" : "Result of " + text.get(), text));
        return l;
    }

    /** A two-column card that follows {@code rows} ({label, value} pairs); values wrap and can be copied. */
    public static GridPane summary(String id, ObservableList<String[]> rows) {
        GridPane card = new GridPane();
        card.setId(id);
        card.getStyleClass().add("summary-card");
        card.setHgap(12);
        card.setVgap(3);
        ColumnConstraints labels = new ColumnConstraints();
        labels.setMinWidth(Region.USE_PREF_SIZE);
        ColumnConstraints values = new ColumnConstraints();
        values.setHgrow(Priority.ALWAYS);
        values.setMinWidth(0);
        card.getColumnConstraints().setAll(labels, values);
        Runnable fill = () -> {
            card.getChildren().clear();
            int r = 0;
            for (String[] kv : rows) {
                Label k = new Label(kv[0]);
                k.getStyleClass().add("card-label");
                k.setMinWidth(Region.USE_PREF_SIZE);
                Label v = new Label(kv[1]);
                v.setWrapText(true);
                v.setMinHeight(Region.USE_PREF_SIZE);
                v.setMaxWidth(Double.MAX_VALUE);
                Texts.copyable(v);
                card.addRow(r++, k, v);
            }
        };
        rows.addListener((ListChangeListener<String[]>) c -> fill.run());
        fill.run();
        return card;
    }
}
