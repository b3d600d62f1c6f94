package org.polaris.workbench.ui.common;

import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.ObservableList;
import javafx.geometry.Insets;
import javafx.scene.Node;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.Spinner;
import javafx.scene.control.TextField;
import javafx.scene.control.ScrollPane;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.HBox;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;

import java.nio.file.Path;
import java.util.function.Consumer;

/** A two-column settings form (labels, fields) with the controls the panes' forms share. */
public class FormGrid extends GridPane {

    private int row;
    private final HBox actions = new HBox(8);

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

    /** The chooser over the open models every pane shows; it changes the workbench's current model. */
    protected static ComboBox<Path> modelChooser(ObservableList<Path> models, ReadOnlyObjectProperty<Path> current,
                                                 Consumer<Path> select, String id) {
        return ModelChooser.create(models, current, select, id);
    }

    /** A choice box may be narrower than its longest choice: it fills its column and names its value on hover. */
    private static <T> void fit(javafx.scene.control.ChoiceBox<T> choice) {
        choice.setMaxWidth(Double.MAX_VALUE);
        choice.setMinWidth(60);
        choice.tooltipProperty().bind(javafx.beans.binding.Bindings.createObjectBinding(() -> {
            T v = choice.getValue();
            if (v == null) {
                return null;
            }
            String text = choice.getConverter() == null ? v.toString() : choice.getConverter().toString(v);
            return new javafx.scene.control.Tooltip(text);
        }, choice.valueProperty(), choice.converterProperty()));
    }

    /** A spinner that follows {@code p} both ways (a value set by the ViewModel shows, a value typed is set). */
    protected static Spinner<Integer> spinner(IntegerProperty p, int min, int max) {
        Spinner<Integer> s = new Spinner<>(min, max, p.get());
        s.setEditable(true);
        s.setPrefWidth(110);
        javafx.beans.property.ObjectProperty<Integer> boxed = p.asObject();
        // bidirectional bindings hold their ends weakly: the spinner keeps the adapter alive
        s.getProperties().put("polaris.value", boxed);
        s.getValueFactory().valueProperty().bindBidirectional(boxed);
        return s;
    }

    /**
     * A data set's file name ({@code none} while unset) above "Data file…" and "Data folder…" buttons, which call
     * {@code choose} with false (a file) or true (a folder).
     */
    protected static javafx.scene.layout.VBox dataChooser(javafx.beans.value.ObservableValue<Path> p, String id, String none,
                                                          Consumer<Boolean> choose) {
        Label l = new Label();
        l.setId(id);
        l.setWrapText(true);
        l.textProperty().bind(javafx.beans.binding.Bindings.createStringBinding(() -> p.getValue() == null ? none
                : p.getValue().getFileName().toString(), p));
        javafx.scene.control.Button file = new javafx.scene.control.Button("Data file…");
        file.setOnAction(e -> choose.accept(false));
        javafx.scene.control.Button folder = new javafx.scene.control.Button("Data folder…");
        folder.setTooltip(new javafx.scene.control.Tooltip(Texts.DATA_FOLDER_TIP));
        folder.setOnAction(e -> choose.accept(true));
        return new javafx.scene.layout.VBox(4, l, new HBox(6, file, folder));
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

    /** A node across both columns (a table). */
    protected void wide(Node node) {
        add(node, 0, row++, 2, 1);
    }

    /** Buttons that stay below the scrolling form, always visible (Quantize, Cancel). */
    protected void action(Node... nodes) {
        actions.getChildren().addAll(nodes);
    }

    /** The form in a scroll pane with its action buttons fixed below it. */
    public Region scrollingWithActions(double minWidth) {
        ScrollPane scroll = new ScrollPane(this);
        scroll.setFitToWidth(true);
        actions.setPadding(new Insets(8, 10, 8, 10));
        actions.getStyleClass().add("form-actions");
        BorderPane pane = new BorderPane(scroll);
        pane.setBottom(actions);
        pane.setMinWidth(minWidth);
        return pane;
    }

    protected void add(String label, Node node) {
        // long check box and label texts wrap in a narrow form instead of ending in "..."
        if (node instanceof javafx.scene.control.Labeled l) {
            l.setWrapText(true);
            l.setMinHeight(Region.USE_PREF_SIZE);
        }
        if (node instanceof javafx.scene.control.ChoiceBox<?> choice) {
            fit(choice);
        }
        Label name = new Label(label);
        name.setMinWidth(Region.USE_PREF_SIZE);
        add(name, 0, row);
        add(node, 1, row++);
    }
}
