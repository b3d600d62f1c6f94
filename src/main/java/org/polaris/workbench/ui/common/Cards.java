package org.polaris.workbench.ui.common;

import javafx.beans.value.ObservableStringValue;
import javafx.collections.ListChangeListener;
import javafx.collections.ObservableList;
import javafx.scene.control.Label;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.Region;

/** Small building blocks the result panes share: a message line that hides when empty, a label/value card. */
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
        return l;
    }

    /** A two-column card that follows {@code rows} ({label, value} pairs). */
    public static GridPane summary(String id, ObservableList<String[]> rows) {
        GridPane card = new GridPane();
        card.setId(id);
        card.getStyleClass().add("summary-card");
        card.setHgap(12);
        card.setVgap(3);
        rows.addListener((ListChangeListener<String[]>) c -> {
            card.getChildren().clear();
            int r = 0;
            for (String[] kv : rows) {
                Label k = new Label(kv[0]);
                k.getStyleClass().add("card-label");
                k.setMinWidth(Region.USE_PREF_SIZE);
                card.addRow(r++, k, new Label(kv[1]));
            }
        });
        return card;
    }
}
