package org.polaris.workbench.ui.sparsity;

import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.axes.spi.DefaultNumericAxis;
import io.fair_acc.chartfx.renderer.spi.ErrorDataSetRenderer;
import io.fair_acc.dataset.spi.DoubleDataSet;
import javafx.beans.binding.Bindings;
import javafx.geometry.Insets;
import javafx.geometry.Orientation;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.Slider;
import javafx.scene.control.SplitPane;
import javafx.scene.control.Tab;
import javafx.scene.control.TabPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.layout.GridPane;
import org.polaris.workbench.ui.common.Cards;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Pane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.scene.paint.Color;
import org.polaris.workbench.engine.sparsity.Allocation;
import org.polaris.workbench.engine.sparsity.MaskMap;
import org.polaris.workbench.engine.sparsity.SensitivityScan;
import org.polaris.workbench.engine.sparsity.SparseBench;
import org.polaris.workbench.engine.util.Sizes;
import org.polaris.workbench.ui.common.FormGrid;

import java.util.Locale;
import java.util.function.Function;

/**
 * The Sparsity pane: settings on the left; result card and per-layer table on the right, above the selected layer's
 * zero pattern, the per-layer sensitivity curves and the measured dense/CSR/BSR crossover.
 */
public final class SparsityView extends SplitPane {

    public SparsityView(SparsityViewModel vm) {
        javafx.scene.layout.Region form = new Form(vm).scrollingWithActions(380);

        Label error = Cards.message("sparsityError", vm.errorProperty(), "error-text");
        Label warning = Cards.message("sparsityWarning", vm.warningProperty(), "warning-text");
        Label made = Cards.provenance("sparsityProvenance", vm.provenanceProperty());
        GridPane card = Cards.summary("sparsityResultCard", vm.resultCard());
        card.visibleProperty().bind(vm.resultProperty().isNotNull());
        card.managedProperty().bind(card.visibleProperty());
        Button openResult = new Button("Open result in Models pane");
        openResult.setId("openSparsityResult");
        openResult.disableProperty().bind(vm.resultProperty().isNull());
        openResult.setOnAction(e -> vm.openResult());

        TableView<SparsityRow> table = table(vm);
        Button compareResult = new Button("Compare with original");
        compareResult.setId("compareSparsityResult");
        compareResult.disableProperty().bind(vm.resultProperty().isNull());
        compareResult.setOnAction(e -> vm.compareResult());
        VBox summary = new VBox(8, error, made, warning, card, new javafx.scene.layout.HBox(8, openResult, compareResult));
        summary.setPadding(new Insets(10));
        ScrollPane summaryScroll = new ScrollPane(summary);
        summaryScroll.setFitToWidth(true);
        summaryScroll.setMinHeight(90);
        VBox layers = new VBox(6, new Label("Prunable layers (select one for its mask)"), table);
        VBox.setVgrow(table, Priority.ALWAYS);
        layers.setPadding(new Insets(6, 10, 6, 10));
        layers.setMinHeight(150);

        TabPane charts = new TabPane(new Tab("Mask", maskPanel(vm)), new Tab("Sensitivity", sensitivityChart(vm)),
                new Tab("Crossover", crossoverPanel(vm)));
        charts.setId("sparsityCharts");
        charts.setTabClosingPolicy(TabPane.TabClosingPolicy.UNAVAILABLE);
        charts.setMinHeight(150);
        SplitPane right = new SplitPane(summaryScroll, layers, charts);
        right.setOrientation(Orientation.VERTICAL);
        right.setDividerPositions(0.3, 0.62);
        getItems().addAll(form, right);
        setDividerPositions(0.33);
    }

    private static TableView<SparsityRow> table(SparsityViewModel vm) {
        TableView<SparsityRow> t = new TableView<>(vm.layers());
        t.setId("sparsityLayers");
        t.setPlaceholder(org.polaris.workbench.ui.common.TextCells.placeholder("Open a model with Conv, Gemm or MatMul layers"));
        t.getColumns().add(col("Layer", SparsityRow::node, 200));
        t.getColumns().add(col("Shape", SparsityRow::shape, 120));
        t.getColumns().add(col("Now", r -> pct(r.current()), 60));
        t.getColumns().add(col("After", r -> Double.isNaN(r.after()) ? "" : pct(r.after()), 60));
        t.getColumns().add(col("Format", SparsityRow::format, 150));
        t.getColumns().add(col("Dense", r -> Sizes.bytes(r.denseBytes()), 80));
        t.getColumns().add(col("Stored", r -> r.storedBytes() == 0 ? "" : Sizes.bytes(r.storedBytes()), 80));
        t.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> vm.selectedLayerProperty().set(b));
        return t;
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    private static TableColumn<SparsityRow, String> col(String title, Function<SparsityRow, String> f, double width) {
        return org.polaris.workbench.ui.common.TextCells.column(title, f, width);
    }

    /** The selected layer's zero pattern on a Canvas: dark where weights remain, light where they were removed. */
    private static VBox maskPanel(SparsityViewModel vm) {
        Label title = new Label();
        title.setId("maskTitle");
        Canvas canvas = new Canvas(480, 240);
        canvas.setId("maskCanvas");
        Pane holder = new Pane(canvas);
        canvas.widthProperty().bind(holder.widthProperty());
        canvas.heightProperty().bind(holder.heightProperty());
        Runnable draw = () -> drawMask(canvas, vm.maskProperty().get());
        vm.maskProperty().addListener((o, a, m) -> {
            title.setText(m.title());
            draw.run();
        });
        canvas.widthProperty().addListener((o, a, b) -> draw.run());
        canvas.heightProperty().addListener((o, a, b) -> draw.run());
        title.setText(vm.maskProperty().get().title());
        Label legend = new Label("dark: weights kept, light: removed (each cell averages its tile of rows = output "
                + "channels, columns = inputs)");
        legend.setWrapText(true);
        VBox box = new VBox(6, title, holder, legend);
        VBox.setVgrow(holder, Priority.ALWAYS);
        box.setPadding(new Insets(8));
        return box;
    }

    static void drawMask(Canvas canvas, MaskMap m) {
        GraphicsContext g = canvas.getGraphicsContext2D();
        g.clearRect(0, 0, canvas.getWidth(), canvas.getHeight());
        if (m.cells().length == 0) {
            return;
        }
        int rows = m.cells().length;
        int cols = m.cells()[0].length;
        double cw = canvas.getWidth() / cols;
        double ch = canvas.getHeight() / rows;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double d = m.cells()[i][j];
                g.setFill(Color.gray(0.95 - 0.8 * d));
                g.fillRect(j * cw, i * ch, Math.ceil(cw), Math.ceil(ch));
            }
        }
    }

    private static VBox sensitivityChart(SparsityViewModel vm) {
        XYChart chart = org.polaris.workbench.ui.common.Charts.titled(new XYChart(new DefaultNumericAxis("sparsity of that layer alone", null),
                new DefaultNumericAxis("accuracy", null)));
        chart.setId("sensitivityChart");
        chart.setTitle("Scan layers to see how much each can lose");
        ErrorDataSetRenderer renderer = new ErrorDataSetRenderer();
        chart.getRenderers().setAll(renderer);
        vm.sensitivityProperty().addListener((o, a, r) -> {
            renderer.getDatasets().clear();
            if (r == null) {
                chart.setTitle("Scan layers to see how much each can lose");
                return;
            }
            chart.setTitle(String.format(Locale.ROOT, "%s vs. sparsity, %d samples (unpruned %.2f%%)",
                    r.score().label(), r.samples(), 100 * r.baseline()));
            for (SensitivityScan.Curve c : r.curves()) {
                DoubleDataSet d = new DoubleDataSet(c.node());
                for (SensitivityScan.Point p : c.points()) d.add(p.sparsity(), p.accuracy());
                renderer.getDatasets().add(d);
            }
        });
        Button scan = new Button("Scan layer sensitivity");
        scan.setId("scanSensitivity");
        scan.setOnAction(e -> vm.scanSensitivity());
        scan.disableProperty().bind(vm.modelProperty().isNull());
        VBox box = new VBox(6, scan, chart);
        VBox.setVgrow(chart, Priority.ALWAYS);
        box.setPadding(new Insets(8));
        return box;
    }

    private static VBox crossoverPanel(SparsityViewModel vm) {
        // dense and sparse times differ by decades at high sparsity: a log time axis
        DefaultNumericAxis time = new DefaultNumericAxis("time per product", "ms");
        time.setLogAxis(true);
        XYChart chart = org.polaris.workbench.ui.common.Charts.titled(new XYChart(new DefaultNumericAxis("sparsity", null), time));
        chart.setId("crossoverChart");
        chart.setTitle("Measure to compare dense, CSR and BSR for the selected layer's shape");
        ErrorDataSetRenderer renderer = new ErrorDataSetRenderer();
        chart.getRenderers().setAll(renderer);
        Label summary = new Label();
        summary.setId("crossoverSummary");
        summary.setWrapText(true);
        org.polaris.workbench.ui.common.Texts.copyable(summary);
        vm.crossoverProperty().addListener((o, a, r) -> {
            renderer.getDatasets().clear();
            if (r == null) {
                summary.setText("");
                return;
            }
            DoubleDataSet dense = new DoubleDataSet("dense (ours)");
            DoubleDataSet ort = new DoubleDataSet("ONNX Runtime dense");
            DoubleDataSet csr = new DoubleDataSet("CSR");
            DoubleDataSet bsr = new DoubleDataSet("BSR 4x4");
            for (SparseBench.Row row : r.results()) {
                dense.add(row.sparsity(), row.denseMs());
                ort.add(row.sparsity(), row.ortMs());
                csr.add(row.sparsity(), row.csrMs());
                bsr.add(row.sparsity(), row.bsrMs());
            }
            renderer.getDatasets().addAll(dense, ort, csr, bsr);
            chart.setTitle(String.format(Locale.ROOT, "%d x %d weights, batch 1", r.rows(), r.cols()));
            summary.setText(String.format(Locale.ROOT, "CSR beats our dense product from %s sparsity, BSR from %s "
                    + "(measured now, on this machine)", crossover(r.csrCrossover(1)), crossover(r.bsrCrossover(1))));
        });
        Button measure = new Button("Measure crossover");
        measure.setId("measureCrossover");
        measure.setOnAction(e -> vm.measureCrossover());
        measure.disableProperty().bind(Bindings.isEmpty(vm.layers()));
        VBox box = new VBox(6, new HBox(8, measure, summary), chart);
        VBox.setVgrow(chart, Priority.ALWAYS);
        box.setPadding(new Insets(8));
        return box;
    }

    private static String crossover(double s) {
        return Double.isNaN(s) ? "none of the measured levels" : String.format(Locale.ROOT, "%.0f%%", 100 * s);
    }

    /** The settings column. */
    private static final class Form extends FormGrid {
        Form(SparsityViewModel vm) {
            add("Model", modelChooser(vm.models(), vm.modelProperty(), vm::selectModel, "sparsityModel"));
            heading("Inputs");
            wide(new org.polaris.workbench.ui.common.InputsTable(vm.inputsProperty(), "sparsityInputs"));
            heading("Pruning");
            ChoiceBox<String> method = new ChoiceBox<>();
            method.setId("sparsityMethod");
            method.getItems().addAll(SparsityViewModel.METHODS);
            method.valueProperty().bindBidirectional(vm.methodProperty());
            // the CLI's spellings ("nm:2:4") are not the GUI's words
            method.setConverter(org.polaris.workbench.ui.common.DisplayNames.converter(m -> switch (m) {
                case "magnitude" -> "single weights (magnitude)";
                case "nm:2:4" -> "2 of every 4 (N:M)";
                case "nm:4:8" -> "4 of every 8 (N:M)";
                case "block:4x4" -> "4x4 blocks";
                case "block:8x8" -> "8x8 blocks";
                case "channel" -> "whole channels (L2 norm)";
                case "channel:l1" -> "whole channels (L1 norm)";
                default -> m;
            }));
            add("Method", method);
            Slider target = new Slider(0, 0.95, vm.sparsityProperty().get());
            target.setId("sparsityTarget");
            target.setMajorTickUnit(0.1);
            target.setBlockIncrement(0.05);
            target.valueProperty().bindBidirectional(vm.sparsityProperty());
            Label value = new Label();
            value.textProperty().bind(Bindings.createStringBinding(() -> pct(vm.sparsityProperty().get()), vm.sparsityProperty()));
            target.disableProperty().bind(Bindings.createBooleanBinding(() -> vm.methodProperty().get().startsWith("nm:"),
                    vm.methodProperty()));
            add("Target", new HBox(8, target, value));
            ChoiceBox<String> scope = new ChoiceBox<>();
            scope.getItems().addAll("auto", "layer", "global");
            scope.valueProperty().bindBidirectional(vm.scopeProperty());
            add("Scope", scope);
            ChoiceBox<Allocation.Strategy> alloc = new ChoiceBox<>();
            alloc.setId("sparsityAllocation");
            alloc.getItems().addAll(Allocation.Strategy.values());
            alloc.valueProperty().bindBidirectional(vm.allocationProperty());
            alloc.setConverter(org.polaris.workbench.ui.common.DisplayNames.converter(
                    org.polaris.workbench.ui.common.DisplayNames::allocation));
            add("Allocation", alloc);
            CheckBox storage = new CheckBox("store as sparse_initializers (smaller file)");
            storage.setMnemonicParsing(false);
            storage.selectedProperty().bindBidirectional(vm.sparseStorageProperty());
            add("Storage", storage);
            CheckBox int8 = new CheckBox("then quantize to int8 (static, zeros kept)");
            int8.setId("sparsityInt8");
            int8.selectedProperty().bindBidirectional(vm.quantizeInt8Property());
            add("Quantize", int8);
            CheckBox refit = new CheckBox("re-fit kept weights (least squares)");
            refit.setId("sparsityRefit");
            refit.setTooltip(new javafx.scene.control.Tooltip("Layer by layer, the weights each mask keeps and the "
                    + "biases are re-solved so Gemm/MatMul/Conv outputs match the original's on the calibration data"));
            refit.selectedProperty().bindBidirectional(vm.refitProperty());
            refit.disableProperty().bind(vm.methodProperty().isEqualTo("channel").or(vm.methodProperty().isEqualTo("channel:l1")));
            Label refitLabel = new Label();
            refitLabel.setId("sparsityRefitData");
            refitLabel.textProperty().bind(Bindings.createStringBinding(() -> vm.refitDataProperty().get() == null
                    ? "calibration: the evaluation data" : "calibration: " + vm.refitDataProperty().get().getFileName(),
                    vm.refitDataProperty()));
            Button refitIdx = new Button("Data file…");
            refitIdx.setOnAction(e -> vm.chooseRefitData(false));
            Button refitFolder = new Button("Data folder…");
            refitFolder.setTooltip(new javafx.scene.control.Tooltip(org.polaris.workbench.ui.common.Texts.DATA_FOLDER_TIP));
            refitFolder.setOnAction(e -> vm.chooseRefitData(true));
            HBox refitButtons = new HBox(6, refitIdx, refitFolder);
            refitButtons.disableProperty().bind(refit.selectedProperty().not());
            add("Re-fit", new VBox(4, refit, refitLabel, refitButtons));

            heading("Evaluation");
            Label data = new Label();
            data.setId("sparsityDataLabel");
            data.textProperty().bind(Bindings.createStringBinding(() -> vm.evalDataProperty().get() == null
                    ? "random inputs (agreement only)" : vm.evalDataProperty().get().getFileName().toString(), vm.evalDataProperty()));
            Button idx = new Button("Data file…");
            idx.setId("sparsityIdx");
            idx.setOnAction(e -> vm.chooseEvaluationData(false));
            Button folder = new Button("Data folder…");
            folder.setTooltip(new javafx.scene.control.Tooltip(org.polaris.workbench.ui.common.Texts.DATA_FOLDER_TIP));
            folder.setOnAction(e -> vm.chooseEvaluationData(true));
            add("Data", new VBox(4, data, new HBox(6, idx, folder)));
            add("Samples", spinner(vm.evalSamplesProperty(), 1, 100_000));
            add("pixel x", text(vm.scaleProperty(), "sparsityScale"));
            TextField tol = new TextField();
            tol.setPrefColumnCount(5);
            tol.textProperty().bindBidirectional(vm.toleranceProperty(), new javafx.util.converter.NumberStringConverter("0.##"));
            add("Tolerance", new HBox(6, tol, new Label("accuracy points")));

            heading("Output");
            Label out = new Label();
            out.setId("sparsityOutput");
            out.setWrapText(true);
            out.textProperty().bind(Bindings.createStringBinding(() ->
                    vm.outputProperty().get() == null ? "(pick a model)" : vm.outputProperty().get().toString(), vm.outputProperty()));
            Button saveAs = new Button("Save as…");
            saveAs.setOnAction(e -> vm.chooseOutput());
            add("File", new VBox(4, out, saveAs));

            Button run = new Button("Prune");
            run.setId("pruneButton");
            run.setDefaultButton(true);
            run.disableProperty().bind(vm.canRunProperty().not());
            run.setOnAction(e -> vm.prune());
            Button cancel = new Button("Cancel");
            cancel.setOnAction(e -> vm.cancel());
            cancel.disableProperty().bind(vm.canRunProperty().or(vm.modelProperty().isNull()));
            action(run, cancel);
        }
    }
}
