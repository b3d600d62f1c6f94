package org.polaris.workbench.ui.models;

import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.axes.spi.DefaultNumericAxis;
import io.fair_acc.chartfx.renderer.LineStyle;
import io.fair_acc.chartfx.renderer.spi.ErrorDataSetRenderer;
import io.fair_acc.dataset.spi.DoubleDataSet;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.collections.transformation.SortedList;
import javafx.geometry.Insets;
import javafx.geometry.Orientation;
import javafx.scene.control.Label;
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

import java.util.Arrays;
import java.util.function.ToDoubleFunction;

/** The per-weight table (sortable, filterable) above a histogram of the selected weight's values. */
final class WeightsView extends SplitPane {

    private final DoubleDataSet histogram = new DoubleDataSet("values");
    private final XYChart chart;

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
        table.setPlaceholder(new Label("No weights match"));
        table.getSelectionModel().selectedItemProperty().addListener((o, a, w) -> vm.selectedWeightProperty().set(w));
        vm.selectedWeightProperty().addListener((o, a, w) -> {
            if (w != null && table.getSelectionModel().getSelectedItem() != w) {
                table.getSelectionModel().select(w);
            }
            showHistogram(w);
        });

        VBox top = new VBox(6, filter, table);
        VBox.setVgrow(table, Priority.ALWAYS);
        top.setPadding(new Insets(8));

        DefaultNumericAxis x = new DefaultNumericAxis("value", null);
        DefaultNumericAxis y = new DefaultNumericAxis("count", null);
        y.setForceZeroInRange(true);
        chart = new XYChart(x, y);
        chart.setId("weightHistogram");
        chart.setLegendVisible(false);
        chart.setTitle("Select a weight to see its value histogram");
        ErrorDataSetRenderer renderer = new ErrorDataSetRenderer();
        renderer.setPolyLineStyle(LineStyle.HISTOGRAM_FILLED);
        renderer.setDrawMarker(false);
        chart.getRenderers().setAll(renderer);
        renderer.getDatasets().add(histogram);
        getItems().addAll(top, chart);
        setDividerPositions(0.6);
    }

    private void showHistogram(WeightStats w) {
        long[] counts = w == null ? new long[0] : w.histogram();
        if (counts.length == 0) {
            histogram.set(new double[0], new double[0]);
            chart.setTitle(w == null ? "Select a weight to see its value histogram" : w.name() + ": no numeric values");
            return;
        }
        double width = (w.max() - w.min()) / counts.length;
        double[] xs = new double[counts.length];
        double[] ys = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            xs[i] = w.min() + (i + 0.5) * (width > 0 ? width : 1);
            ys[i] = counts[i];
        }
        histogram.set(xs, ys);
        chart.setTitle(w.name() + "  (" + Sizes.count(w.count()) + " values, " + counts.length + " bins)");
    }

    private static TableColumn<WeightStats, Number> numeric(String title, ToDoubleFunction<WeightStats> f, boolean real) {
        TableColumn<WeightStats, Number> c = new TableColumn<>(title);
        c.setCellValueFactory(cell -> new ReadOnlyObjectWrapper<>(f.applyAsDouble(cell.getValue())));
        c.setCellFactory(col -> new javafx.scene.control.TableCell<>() {
            @Override
            protected void updateItem(Number v, boolean empty) {
                super.updateItem(v, empty);
                setText(empty || v == null ? null : real ? Sizes.number(v.doubleValue()) : Sizes.count(v.longValue()));
            }
        });
        c.getStyleClass().add("numeric");
        c.setPrefWidth(90);
        return c;
    }
}
