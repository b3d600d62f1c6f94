package org.polaris.workbench.ui.common;

import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.ObservableList;
import javafx.geometry.Insets;
import javafx.scene.Node;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.Spinner;
import javafx.scene.control.TextField;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;

import java.nio.file.Path;

/** A two-column settings form (labels, fields) with the controls the panes' forms share. */
public class FormGrid extends GridPane {

    private int row;

    protected FormGrid() {
        setHgap(8);
        setVgap(6);
        setPadding(new Insets(10));
        ColumnConstraints labels = new ColumnConstraints();
        labels.setMinWidth(Region.USE_PREF_SIZE);
        ColumnConstraints fields = new ColumnConstraints();
        fields.setHgrow(Priority.ALWAYS);
        getColumnConstraints().addAll(labels, fields);
    }

    /** A chooser over the models open in the Models pane, showing file names. */
    protected static ComboBox<Path> modelChooser(ObservableList<Path> models, ObjectProperty<Path> selected, String id) {
        ComboBox<Path> box = new ComboBox<>(models);
        box.setId(id);
        box.valueProperty().bindBidirectional(selected);
        box.setPromptText("open a model in the Models pane");
        box.setCellFactory(lv -> pathCell());
        box.setButtonCell(pathCell());
        box.setMaxWidth(Double.MAX_VALUE);
        return box;
    }

    private static ListCell<Path> pathCell() {
        return new ListCell<>() {
            @Override
            protected void updateItem(Path p, boolean empty) {
                super.updateItem(p, empty);
                setText(empty || p == null ? null : p.getFileName().toString());
            }
        };
    }

    protected static Spinner<Integer> spinner(IntegerProperty p, int min, int max) {
        Spinner<Integer> s = new Spinner<>(min, max, p.get());
        s.setEditable(true);
        s.setPrefWidth(110);
        s.valueProperty().addListener((o, a, b) -> p.set(b));
        return s;
    }

    protected static TextField text(StringProperty p, String id) {
        TextField t = new TextField();
        t.setId(id);
        t.textProperty().bindBidirectional(p);
        return t;
    }

    protected void heading(String text) {
        Label l = new Label(text);
        l.getStyleClass().add("section-heading");
        add(l, 0, row++, 2, 1);
    }

    protected void add(String label, Node node) {
        add(new Label(label), 0, row);
        add(node, 1, row++);
    }
}
