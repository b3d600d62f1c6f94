package org.polaris.workbench.ui.train;

import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.axes.spi.DefaultNumericAxis;
import io.fair_acc.chartfx.renderer.spi.ErrorDataSetRenderer;
import io.fair_acc.dataset.spi.DoubleDataSet;
import javafx.beans.binding.Bindings;
import javafx.geometry.Insets;
import javafx.geometry.Orientation;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Pane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.util.Duration;
import org.polaris.workbench.ui.common.Cards;
import org.polaris.workbench.ui.common.Pulse;
import org.polaris.workbench.ui.common.Charts;
import org.polaris.workbench.ui.common.TextCells;

import java.util.Locale;
import java.util.function.Function;

/**
 * The Train pane: settings on the left; on the right the run's status and result card, the loss and accuracy
 * curves, each layer's sparsity, and the selected layer's mask churn. While the pane is shown a timer reads the
 * run's log twice a second; it stops when the pane hides.
 */
public final class TrainView extends SplitPane {

    private final TrainViewModel vm;
    private final DoubleDataSet loss = new DoubleDataSet("loss (moving mean)");
    private final DoubleDataSet trainAcc = new DoubleDataSet("batch accuracy (moving mean)");
    private final DoubleDataSet evalAcc = new DoubleDataSet("evaluation accuracy");
    private final ChurnMap churn = new ChurnMap();
    private final Pulse pulse;

    public TrainView(TrainViewModel vm) {
        this.vm = vm;
        setId("trainView");
        javafx.scene.layout.Region form = new TrainForm(vm).scrollingWithActions(380);
        Label status = Cards.message("trainStatus", vm.statusProperty(), "status-text");
        Label error = Cards.message("trainError", vm.errorProperty(), "error-text");
        Label made = Cards.provenance("trainProvenance", vm.provenanceProperty());
        var card = Cards.summary("trainResultCard", vm.resultCard());
        card.visibleProperty().bind(vm.resultProperty().isNotNull());
        card.managedProperty().bind(card.visibleProperty());
        Button open = new Button("Open result in Models pane");
        open.setId("openTrainResult");
        open.disableProperty().bind(vm.resultProperty().isNull());
        open.setOnAction(e -> vm.openResult());
        Button compare = new Button("Compare with original");
        compare.setId("compareTrainResult");
        compare.disableProperty().bind(vm.resultProperty().isNull());
        compare.setOnAction(e -> vm.compareResult());
        VBox summary = new VBox(8, status, error, new HBox(8, open, compare), made, card);
        summary.setPadding(new Insets(10));
        ScrollPane summaryScroll = new ScrollPane(summary);
        summaryScroll.setFitToWidth(true);
        summaryScroll.setMinHeight(80);

        SplitPane curves = new SplitPane(chart("trainLossChart", "Training loss", "loss", loss),
                chart("trainAccuracyChart", "Accuracy", "accuracy", trainAcc, evalAcc));
        SplitPane sparsity = new SplitPane(layerTable(), churnPanel());
        sparsity.setDividerPositions(0.45);
        SplitPane right = new SplitPane(summaryScroll, curves, sparsity);
        right.setOrientation(Orientation.VERTICAL);
        right.setDividerPositions(0.3, 0.64);
        getItems().addAll(form, right);
        setDividerPositions(0.3);

        vm.curvesProperty().addListener((o, a, c) -> redraw(c));
        vm.churnProperty().addListener((o, a, c) -> churn.show(c));
        pulse = Pulse.whileShown(this, Duration.millis(500), vm::refresh);
    }

    private static XYChart chart(String id, String title, String unit, DoubleDataSet... sets) {
        XYChart c = Charts.titled(new XYChart(new DefaultNumericAxis("step", null), new DefaultNumericAxis(unit, null)));
        c.setId(id);
        c.setTitle(title);
        c.setAnimated(false);
        ErrorDataSetRenderer r = new ErrorDataSetRenderer();
        r.setDrawMarker(sets.length > 1);
        r.getDatasets().addAll(sets);
        c.getRenderers().setAll(r);
        c.setMinHeight(120);
        return c;
    }

    private void redraw(TrainCurves c) {
        loss.set(c.steps(), c.loss());
        trainAcc.set(c.steps(), c.accuracy());
        evalAcc.set(c.epochSteps(), c.evalAccuracy());
    }

    private TableView<TrainCurves.LayerRow> layerTable() {
        TableView<TrainCurves.LayerRow> t = new TableView<>(vm.layers());
        t.setId("trainLayers");
        t.setPlaceholder(TextCells.placeholder("Each layer's sparsity shows here while a run trains"));
        t.getColumns().add(col("Layer", TrainCurves.LayerRow::layer, 160));
        t.getColumns().add(col("Sparsity", r -> pct(r.sparsity()), 70));
        t.getColumns().add(col("Target", r -> Double.isNaN(r.target()) ? "" : pct(r.target()), 70));
        t.getColumns().add(col("Updates", r -> String.valueOf(r.updates()), 60));
        t.getColumns().add(col("Churn", r -> String.valueOf(r.churned()), 70));
        t.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> {
            if (b != null) vm.selectedLayerProperty().set(b.layer());
        });
        t.setMinWidth(200);
        return t;
    }

    private VBox churnPanel() {
        Label title = new Label();
        title.setId("trainChurnTitle");
        title.textProperty().bind(Bindings.createStringBinding(() -> vm.selectedLayerProperty().get() == null
                ? "Mask churn" : "Mask churn of " + vm.selectedLayerProperty().get(), vm.selectedLayerProperty()));
        Pane holder = new Pane(churn);
        churn.widthProperty().bind(holder.widthProperty());
        churn.heightProperty().bind(holder.heightProperty());
        Label legend = new Label("one column per update; rows: groups of output units; red: dropped or pruned, "
                + "blue: regrown");
        legend.setWrapText(true);
        VBox box = new VBox(6, title, holder, legend);
        VBox.setVgrow(holder, Priority.ALWAYS);
        box.setPadding(new Insets(8));
        box.setMinWidth(200);
        return box;
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    private static TableColumn<TrainCurves.LayerRow, String> col(String title, Function<TrainCurves.LayerRow, String> f,
                                                                 double width) {
        return org.polaris.workbench.ui.common.TextCells.column(title, f, width);
    }

    /** Whether the twice-a-second refresh runs (only while the pane is shown). */
    public boolean refreshing() {
        return pulse.running();
    }

    /** Points drawn on the loss curve, and the churn map's current data (for tests). */
    public int lossPoints() {
        return loss.getDataCount();
    }

    public TrainCurves.Churn churnShown() {
        return churn.shown();
    }
}
