package org.polaris.workbench.ui.models;

import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.collections.transformation.SortedList;
import javafx.geometry.Insets;
import javafx.geometry.Orientation;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import org.polaris.workbench.engine.model.WeightStats;
import org.polaris.workbench.engine.util.Sizes;
import org.polaris.workbench.ui.common.HistogramChart;

import java.util.Arrays;
import java.util.function.ToDoubleFunction;

/** The per-weight table (sortable, filterable) above a histogram of the selected weight's values. */
final class WeightsView extends SplitPane {

    private final HistogramChart chart;

    WeightsView(ModelsViewModel vm) {
        setOrientation(Orientation.VERTICAL);
        TextField filter = new TextField();
        filter.setId("weightFilter");
        filter.setPromptText("Filter weights by name or dtype (Ctrl+F)");
        filter.textProperty().bindBidirectional(vm.weightFilterProperty());
        sceneProperty().addListener((o, oldScene, scene) -> {
            if (scene != null) {
                scene.getAccelerators().put(new KeyCodeCombination(KeyCode.F, KeyCombination.SHORTCUT_DOWN),
                        filter::requestFocus);
            }
        });

        SortedList<WeightStats> sorted = new SortedList<>(vm.weights());
        TableView<WeightStats> table = new TableView<>(sorted);
        table.setId("weightsTable");
        sorted.comparatorProperty().bind(table.comparatorProperty());
        TableColumn<WeightStats, String> name = ModelDetailView.column("Name", WeightStats::name);
        name.setPrefWidth(280);
        name.setMinWidth(120);
        TableColumn<WeightStats, String> shape = ModelDetailView.column("Shape", w -> Arrays.toString(w.shape()));
        shape.setPrefWidth(130);
        table.getColumns().add(name);
        table.getColumns().add(ModelDetailView.column("DType", w -> w.dtype().displayName()));
        table.getColumns().add(shape);
        table.getColumns().add(numeric("Count", w -> w.count(), false));
        table.getColumns().add(numeric("Min", WeightStats::min, true));
        table.getColumns().add(numeric("Max", WeightStats::max, true));
        table.getColumns().add(numeric("Mean", WeightStats::mean, true));
        table.getColumns().add(numeric("Std", WeightStats::std, true));
        table.getColumns().add(numeric("Zeros %", w -> 100 * w.zeroFraction(), true));
        table.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        table.setPlaceholder(org.polaris.workbench.ui.common.TextCells.placeholder("No weights match"));
        table.getSelectionModel().selectedItemProperty().addListener((o, a, w) -> vm.selectedWeightProperty().set(w));
        vm.selectedWeightProperty().addListener((o, a, w) -> {
            if (w != null && table.getSelectionModel().getSelectedItem() != w) {
                table.getSelectionModel().select(w);
            }
            showHistogram(w);
        });

        javafx.scene.control.Button inGraph = new javafx.scene.control.Button("Show in graph");
        inGraph.setId("weightInGraph");
        inGraph.disableProperty().bind(vm.selectedWeightProperty().isNull());
        inGraph.setOnAction(e -> vm.graph().revealWeight(vm.selectedWeightProperty().get().name()));
        table.setOnKeyPressed(e -> {
            if (e.getCode() == KeyCode.G && e.isShortcutDown() && vm.selectedWeightProperty().get() != null) {
                vm.graph().revealWeight(vm.selectedWeightProperty().get().name());
            }
        });
        javafx.scene.layout.HBox row = new javafx.scene.layout.HBox(6, filter, inGraph);
        javafx.scene.layout.HBox.setHgrow(filter, Priority.ALWAYS);
        VBox top = new VBox(6, row, table);
        VBox.setVgrow(table, Priority.ALWAYS);
        top.setPadding(new Insets(8));

        chart = new HistogramChart("value", "Select a weight to see its value histogram");
        chart.setId("weightHistogram");
        getItems().addAll(top, chart);
        setDividerPositions(0.6);
    }

    private void showHistogram(WeightStats w) {
        if (w == null) {
            chart.show("Select a weight to see its value histogram", 0, 0, new long[0]);
        } else if (w.histogram().length == 0) {
            chart.show(w.name() + ": no numeric values", 0, 0, new long[0]);
        } else {
            chart.show(w.name() + "  (" + Sizes.count(w.count()) + " values, " + w.histogram().length + " bins)",
                    w.min(), w.max(), w.histogram());
        }
    }

    private static TableColumn<WeightStats, Number> numeric(String title, ToDoubleFunction<WeightStats> f, boolean real) {
        TableColumn<WeightStats, Number> c = new TableColumn<>(title);
        c.setCellValueFactory(cell -> new ReadOnlyObjectWrapper<>(f.applyAsDouble(cell.getValue())));
        c.setCellFactory(col -> new javafx.scene.control.TableCell<>() {
            @Override
            protected void updateItem(Number v, boolean empty) {
                super.updateItem(v, empty);
                setText(empty || v == null ? null : real ? Sizes.number(v.doubleValue()) : Sizes.count(v.longValue()));
                setTooltip(empty || v == null ? null : new javafx.scene.control.Tooltip(String.valueOf(v)));
            }
        });
        c.getStyleClass().add("numeric");
        c.setPrefWidth(90);
        // never narrower than a number: "-0.0…" tells nothing
        c.setMinWidth(78);
        org.polaris.workbench.ui.common.TextCells.fitHeader(c);
        return c;
    }
}
