package org.polaris.workbench.ui.inference;

import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.axes.spi.DefaultNumericAxis;
import io.fair_acc.chartfx.renderer.spi.ErrorDataSetRenderer;
import io.fair_acc.dataset.spi.DoubleDataSet;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.geometry.Orientation;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.SplitPane;
import javafx.scene.control.Tab;
import javafx.scene.control.TabPane;
import javafx.scene.control.TableCell;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import org.polaris.workbench.engine.inference.BenchResult;
import org.polaris.workbench.engine.inference.InferenceService;
import org.polaris.workbench.engine.runtime.NodeTiming;
import org.polaris.workbench.ui.common.Cards;
import org.polaris.workbench.ui.common.DisplayNames;
import org.polaris.workbench.ui.common.FileDrop;
import org.polaris.workbench.ui.common.TextCells;
import org.polaris.workbench.ui.common.HistogramChart;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/** The Inference pane: settings on the left; Run, Benchmark and Profile tabs on the right; drop an image to use it. */
public final class InferenceView extends SplitPane {

    public InferenceView(InferenceViewModel vm) {
        ScrollPane form = new ScrollPane(new InferenceForm(vm));
        form.setFitToWidth(true);
        form.setMinWidth(380);
        Label error = Cards.message("inferenceError", vm.errorProperty(), "error-text");
        TabPane tabs = new TabPane(new Tab("Run", runTab(vm)), new Tab("Benchmark", benchTab(vm)),
                new Tab("Profile", profileTab(vm)));
        tabs.setTabClosingPolicy(TabPane.TabClosingPolicy.UNAVAILABLE);
        VBox right = new VBox(6, error, tabs);
        VBox.setVgrow(tabs, Priority.ALWAYS);
        right.setPadding(new Insets(8));
        getItems().addAll(form, right);
        setDividerPositions(0.3);
        FileDrop.accept(this, files -> vm.useImage(files.get(0)));
    }

    private static VBox runTab(InferenceViewModel vm) {
        Button run = new Button("Run");
        run.setId("inferenceRun");
        run.setDefaultButton(true);
        run.disableProperty().bind(vm.canRunProperty().not());
        run.setOnAction(e -> vm.run());
        Label summary = Cards.message("runSummary", vm.runSummaryProperty(), "summary-text");
        TableView<InferenceService.Prediction> top = new TableView<>(vm.predictions());
        top.setId("predictions");
        top.getColumns().add(col("Class", p -> Integer.toString(p.index()), 70));
        top.getColumns().add(col("Label", p -> p.label() == null ? "" : p.label(), 260));
        top.getColumns().add(col("Score", p -> String.format(Locale.ROOT, "%.4f", p.score()), 100));
        top.setPlaceholder(org.polaris.workbench.ui.common.TextCells.placeholder("Run the model to see its top classes"));
        top.setPrefHeight(140);
        // a model with no class-score output (a segmenter, a detector, an encoder): only the outputs table speaks
        top.visibleProperty().bind(javafx.beans.binding.Bindings.isNotEmpty(vm.predictions())
                .or(javafx.beans.binding.Bindings.isEmpty(vm.outputs())));
        top.managedProperty().bind(top.visibleProperty());
        OutputsPanel outputs = new OutputsPanel(vm);
        Label made = Cards.provenance("runProvenance", vm.runProvenanceProperty());
        VBox box = new VBox(8, run, made, summary, top, outputs);
        VBox.setVgrow(outputs, Priority.ALWAYS);
        box.setPadding(new Insets(8));
        return box;
    }

    private static SplitPane benchTab(InferenceViewModel vm) {
        Button bench = new Button("Benchmark");
        bench.setId("inferenceBench");
        bench.disableProperty().bind(vm.canRunProperty().not());
        bench.setOnAction(e -> vm.benchmark());
        Button json = new Button("Export JSON…");
        json.setOnAction(e -> vm.exportBenchmark(false));
        Button csv = new Button("Export CSV…");
        csv.setOnAction(e -> vm.exportBenchmark(true));
        TableView<BenchResult> table = new TableView<>(vm.benchResults());
        table.setId("benchTable");
        table.getColumns().add(col("Runtime", r -> DisplayNames.runtime(r.runtime()), 120));
        table.getColumns().add(col("Batch", r -> Integer.toString(r.batch()), 60));
        table.getColumns().add(col("Threads", r -> Integer.toString(r.threads()), 65));
        table.getColumns().add(col("p10 ms", r -> fmt(r.p10Ms()), 85));
        table.getColumns().add(col("p50 ms", r -> fmt(r.p50Ms()), 85));
        table.getColumns().add(col("p90 ms", r -> fmt(r.p90Ms()), 85));
        table.getColumns().add(col("p99 ms", r -> fmt(r.p99Ms()), 85));
        table.getColumns().add(col("samples/s", r -> String.format(Locale.ROOT, "%.1f", r.throughputPerSec()), 100));
        table.setPlaceholder(org.polaris.workbench.ui.common.TextCells.placeholder("Batch sizes, runs and threads are on the left; both runtimes run in the same benchmark"));
        table.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> vm.selectedBenchProperty().set(b));
        HistogramChart latency = new HistogramChart("latency (ms)", "Select a configuration");
        latency.setId("latencyHistogram");
        vm.selectedBenchProperty().addListener((o, a, r) -> {
            if (r == null) {
                latency.show("Select a configuration", 0, 0, new long[0]);
            } else {
                double lo = java.util.Arrays.stream(r.samplesMs()).min().orElse(0);
                double hi = java.util.Arrays.stream(r.samplesMs()).max().orElse(0);
                latency.show(DisplayNames.runtime(r.runtime()) + ", batch " + r.batch() + ": " + r.runs() + " runs", lo, hi,
                        vm.latencyHistogram(r, 30));
            }
        });
        // batch sizes and throughputs span decades (1 to 32, tens to thousands per second): log axes
        DefaultNumericAxis batchAxis = new DefaultNumericAxis("batch size", null);
        batchAxis.setLogAxis(true);
        DefaultNumericAxis rateAxis = new DefaultNumericAxis("samples/s", null);
        rateAxis.setLogAxis(true);
        XYChart throughput = org.polaris.workbench.ui.common.Charts.titled(new XYChart(batchAxis, rateAxis));
        throughput.setId("throughputChart");
        throughput.setTitle("Throughput by batch size");
        throughput.getRenderers().setAll(new ErrorDataSetRenderer());
        vm.benchResults().addListener((ListChangeListener<BenchResult>) c -> {
            Map<String, DoubleDataSet> byRuntime = new LinkedHashMap<>();
            for (BenchResult r : vm.benchResults()) {
                byRuntime.computeIfAbsent(DisplayNames.runtime(r.runtime()), DoubleDataSet::new).add(r.batch(), r.throughputPerSec());
            }
            throughput.getRenderers().get(0).getDatasets().setAll(byRuntime.values());
        });
        json.disableProperty().bind(javafx.beans.binding.Bindings.isEmpty(vm.benchResults()));
        csv.disableProperty().bind(json.disableProperty());
        Label made = Cards.provenance("benchProvenance", vm.benchProvenanceProperty());
        // the runtimes' paired ratios (blocks timed together), hidden until a comparison has been timed
        Label ratios = new Label();
        ratios.setId("benchRatios");
        ratios.textProperty().bind(vm.benchRatiosProperty());
        ratios.visibleProperty().bind(vm.benchRatiosProperty().isNotEmpty());
        ratios.managedProperty().bind(ratios.visibleProperty());
        VBox top = new VBox(8, new HBox(8, bench, json, csv), made, ratios, table);
        VBox.setVgrow(table, Priority.ALWAYS);
        top.setPadding(new Insets(8));
        SplitPane charts = new SplitPane(latency, throughput);
        SplitPane split = new SplitPane(top, charts);
        split.setOrientation(Orientation.VERTICAL);
        return split;
    }

    private static VBox profileTab(InferenceViewModel vm) {
        Button profile = new Button("Profile one run");
        profile.setId("inferenceProfile");
        profile.disableProperty().bind(vm.canRunProperty().not());
        profile.setOnAction(e -> vm.profile());
        TableView<OpShare> ops = new TableView<>(vm.opShares());
        ops.setId("opShares");
        ops.getColumns().add(col("Op type", OpShare::opType, 160));
        ops.getColumns().add(col("ms", s -> fmt(s.ms()), 80));
        ops.getColumns().add(col("Nodes", s -> Integer.toString(s.nodes()), 60));
        TableColumn<OpShare, Number> bar = new TableColumn<>("Share");
        bar.setCellValueFactory(c -> new ReadOnlyObjectWrapper<>(c.getValue().share()));
        bar.setCellFactory(c -> new TableCell<>() {
            private final ProgressBar pb = new ProgressBar();

            @Override
            protected void updateItem(Number v, boolean empty) {
                super.updateItem(v, empty);
                pb.setProgress(empty || v == null ? 0 : v.doubleValue());
                setGraphic(empty ? null : pb);
            }
        });
        bar.setPrefWidth(160);
        ops.getColumns().add(bar);
        TableView<NodeTiming> nodes = new TableView<>(vm.slowestNodes());
        nodes.setId("slowestNodes");
        nodes.getColumns().add(col("Slowest nodes", NodeTiming::node, 280));
        nodes.getColumns().add(col("Op", NodeTiming::opType, 120));
        nodes.getColumns().add(col("ms", t -> fmt(t.nanos() / 1e6), 80));
        nodes.getColumns().add(col("GFLOP/s", t -> t.flops() == 0 ? "" : String.format(Locale.ROOT, "%.2f",
                t.flops() / (double) Math.max(1, t.nanos())), 80));
        Label made = Cards.provenance("profileProvenance", vm.profileProvenanceProperty());
        VBox box = new VBox(8, profile, made, ops, nodes);
        VBox.setVgrow(nodes, Priority.ALWAYS);
        box.setPadding(new Insets(8));
        return box;
    }

    private static String fmt(double ms) {
        return String.format(Locale.ROOT, "%.3f", ms);
    }

    private static <R> TableColumn<R, String> col(String title, Function<R, String> f, double width) {
        return org.polaris.workbench.ui.common.TextCells.column(title, f, width);
    }
}
