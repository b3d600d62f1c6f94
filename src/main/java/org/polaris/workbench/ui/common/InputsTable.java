package org.polaris.workbench.ui.common;

import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.value.ObservableValue;
import javafx.scene.control.TableCell;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.Tooltip;
import javafx.scene.control.cell.TextFieldTableCell;
import javafx.util.Callback;

import java.util.function.Function;

/**
 * The Inputs table the Inference, Quantize and Sparsity panes share: each model input with its type and declared
 * shape, and editable Shape and Source cells (double-click or F2; Enter commits). Blank cells mean the declared
 * shape with batch 1 and the pane's data (or random values).
 */
public final class InputsTable extends TableView<InputRow> {

    public InputsTable(ReadOnlyObjectProperty<ModelInputs> inputs, String id) {
        setId(id);
        setEditable(true);
        setColumnResizePolicy(CONSTRAINED_RESIZE_POLICY);
        setPlaceholder(TextCells.placeholder("Open a model to see its inputs"));
        getColumns().add(fixed("Input", InputRow::name, 90));
        getColumns().add(fixed("Type", InputRow::dtype, 60));
        getColumns().add(fixed("Declared", InputRow::declared, 90));
        getColumns().add(editable("Shape", InputRow::shapeProperty, "e.g. 1x3x640x640", 100));
        getColumns().add(editable("Source", InputRow::sourceProperty, "file, zeros, random, value:V", 110));
        setItems(inputs.get().rows());
        inputs.addListener((o, a, m) -> setItems(m.rows()));
        setFixedCellSize(26);
        prefHeightProperty().bind(javafx.beans.binding.Bindings.createDoubleBinding(
                () -> 32.0 + 26 * Math.max(1, Math.min(6, getItems().size())), itemsProperty(), inputs));
        itemsProperty().addListener((o, a, b) -> requestLayout());
        setMinHeight(60);
        setTooltip(new Tooltip("Shape fixes dynamic dimensions (1x3x640x640). Source: a .npy, .pb, image or .wav "
                + "file, or zeros, random, value:V. Blank: the declared shape with batch 1, and the data set or "
                + "random values."));
    }

    private static TableColumn<InputRow, String> fixed(String title, Function<InputRow, String> value, double min) {
        TableColumn<InputRow, String> c = new TableColumn<>(title);
        c.setCellValueFactory(d -> new ReadOnlyStringWrapper(value.apply(d.getValue())));
        c.setCellFactory(TextCells.withTooltip());
        c.setMinWidth(min * 0.6);
        c.setPrefWidth(min);
        c.setEditable(false);
        return c;
    }

    private static TableColumn<InputRow, String> editable(String title,
                                                          Function<InputRow, javafx.beans.property.StringProperty> p,
                                                          String prompt, double min) {
        TableColumn<InputRow, String> c = new TableColumn<>(title);
        c.setCellValueFactory(d -> (ObservableValue<String>) p.apply(d.getValue()));
        Callback<TableColumn<InputRow, String>, TableCell<InputRow, String>> base = TextFieldTableCell.forTableColumn();
        c.setCellFactory(col -> {
            TableCell<InputRow, String> cell = base.call(col);
            cell.itemProperty().addListener((o, a, v) -> {
                InputRow row = cell.getTableRow() == null ? null : cell.getTableRow().getItem();
                boolean needed = row != null && title.equals("Shape") && row.needsShape() && (v == null || v.isBlank());
                cell.setTooltip(new Tooltip(v == null || v.isBlank() ? (needed ? "required: " : "") + prompt : v));
                cell.setStyle(needed ? "-fx-border-color: -fx-accent; -fx-border-width: 0 0 1 0;" : "");
            });
            return cell;
        });
        c.setOnEditCommit(e -> p.apply(e.getRowValue()).set(e.getNewValue() == null ? "" : e.getNewValue().trim()));
        c.setMinWidth(min * 0.6);
        c.setPrefWidth(min);
        return c;
    }
}
