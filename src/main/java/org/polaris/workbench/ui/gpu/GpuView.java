package org.polaris.workbench.ui.gpu;

import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.plugins.XValueIndicator;
import io.fair_acc.chartfx.renderer.spi.ErrorDataSetRenderer;
import io.fair_acc.dataset.spi.DoubleDataSet;
import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.geometry.Insets;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.SplitPane;
import javafx.scene.control.ToggleButton;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.util.Duration;
import javafx.util.StringConverter;
import org.polaris.workbench.engine.opencl.ClDevice;
import org.polaris.workbench.engine.telemetry.Metric;
import org.polaris.workbench.engine.telemetry.Sample;
import org.polaris.workbench.engine.telemetry.TelemetrySampler;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The GPU pane: OpenCL devices and their roofline on the left; live telemetry charts on the right, redrawn from the
 * sampler's rings by a timer that runs only while the pane is in the window.
 */
public final class GpuView extends SplitPane {

    private static final Metric[][] CHARTS = {
            {Metric.BUSY_PCT, Metric.MEM_BUSY_PCT, Metric.CPU_PCT},
            {Metric.VRAM_USED_MB, Metric.GTT_USED_MB, Metric.PROCESS_RSS_MB},
            {Metric.TEMP_C, Metric.POWER_W},
            {Metric.SCLK_MHZ, Metric.MCLK_MHZ}};
    private static final String[] TITLES = {"Utilization", "Memory", "Temperature, power", "Clocks"};
    /** Short axis names: a long one is cut off on a small chart. */
    private static final String[] UNITS = {"%", "MB", "C, W", "MHz"};

    private final GpuViewModel vm;
    private final List<XYChart> charts = new ArrayList<>();
    private final List<Map<Metric, DoubleDataSet>> series = new ArrayList<>();
    private final List<XValueIndicator> markers = new ArrayList<>();
    private final Label markerText = new Label();
    private final Label missing = new Label();
    private Timeline timer;

    public GpuView(GpuViewModel vm) {
        this.vm = vm;
        javafx.scene.control.ScrollPane left = new javafx.scene.control.ScrollPane(devicePanel());
        left.setFitToWidth(true);
        left.setFitToHeight(true);
        left.setMinWidth(300);
        getItems().addAll(left, telemetryPanel());
        setDividerPositions(0.34);
        sceneProperty().addListener((o, a, scene) -> {
            boolean shown = scene != null;
            vm.setVisible(shown);
            if (shown) {
                if (vm.devices().isEmpty() && vm.deviceProblemProperty().get().isEmpty()) {
                    vm.refreshDevices();
                }
                startTimer();
            } else if (timer != null) {
                timer.stop();
            }
        });
        vm.rateHzProperty().addListener((o, a, b) -> {
            if (timer != null && getScene() != null) startTimer();
        });
    }

    private VBox devicePanel() {
        Label problem = new Label();
        problem.setId("gpuProblem");
        problem.setWrapText(true);
        problem.textProperty().bind(vm.deviceProblemProperty());
        problem.getStyleClass().add("warning-text");
        problem.visibleProperty().bind(problem.textProperty().isNotEmpty());
        problem.managedProperty().bind(problem.visibleProperty());
        ListView<ClDevice> list = new ListView<>(vm.devices());
        list.setId("gpuDevices");
        list.setPrefHeight(140);
        list.setPlaceholder(org.polaris.workbench.ui.common.TextCells.placeholder("Looking for OpenCL devices…"));
        list.setCellFactory(l -> new ListCell<>() {
            @Override
            protected void updateItem(ClDevice d, boolean empty) {
                super.updateItem(d, empty);
                setText(empty || d == null ? null : "[" + d.index() + "] " + d.name() + " (" + d.type() + ")");
            }
        });
        list.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> {
            if (b != null) vm.selectedProperty().set(b);
        });
        vm.selectedProperty().addListener((o, a, b) -> list.getSelectionModel().select(b));
        Label details = new Label();
        details.setId("gpuDetails");
        details.setWrapText(true);
        details.textProperty().bind(vm.detailsProperty());
        Button bench = new Button("Run GEMM roofline benchmark");
        bench.setId("gpuBench");
        bench.disableProperty().bind(vm.selectedProperty().isNull());
        bench.setOnAction(e -> vm.benchSelected());
        Label result = new Label();
        result.setId("gpuBenchResult");
        result.setWrapText(true);
        result.textProperty().bind(vm.benchResultProperty());
        org.polaris.workbench.ui.common.Texts.copyable(details);
        org.polaris.workbench.ui.common.Texts.copyable(result);
        details.setMinHeight(javafx.scene.layout.Region.USE_PREF_SIZE);
        result.setMinHeight(javafx.scene.layout.Region.USE_PREF_SIZE);
        Label error = org.polaris.workbench.ui.common.Cards.message("gpuError", vm.errorProperty(), "error-text");
        javafx.scene.control.ComboBox<java.nio.file.Path> model = org.polaris.workbench.ui.common.ModelChooser.create(
                vm.models(), vm.modelProperty(), vm::selectModel, "gpuModel");
        Button place = new Button("Place on CPU / OpenCL");
        place.setId("gpuPlace");
        place.disableProperty().bind(vm.modelProperty().isNull());
        place.setOnAction(e -> vm.computePlacement());
        place.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
        HBox placeRow = new HBox(8, model, place);
        HBox.setHgrow(model, Priority.ALWAYS);
        Label placeError = org.polaris.workbench.ui.common.Cards.message("gpuPlacementError",
                vm.placementErrorProperty(), "error-text");
        Label placeMade = org.polaris.workbench.ui.common.Cards.provenance("gpuPlacementProvenance",
                vm.placementProvenanceProperty());
        Label placeSummary = org.polaris.workbench.ui.common.Cards.message("gpuPlacementSummary",
                vm.placementSummaryProperty(), "summary-text");
        javafx.scene.control.TableView<org.polaris.workbench.engine.exec.EngineSession.Placement> table =
                new javafx.scene.control.TableView<>(vm.placement());
        table.setId("gpuPlacement");
        table.setPlaceholder(org.polaris.workbench.ui.common.TextCells.placeholder("Where the engine runs each node (auto placement, measured costs)"));
        table.getColumns().add(column("Node", org.polaris.workbench.engine.exec.EngineSession.Placement::node, 120));
        table.getColumns().add(column("Op", org.polaris.workbench.engine.exec.EngineSession.Placement::op, 60));
        table.getColumns().add(column("Device", (org.polaris.workbench.engine.exec.EngineSession.Placement p) -> p.device().label(), 60));
        table.getColumns().add(column("Why", org.polaris.workbench.engine.exec.EngineSession.Placement::reason, 360));
        table.setMinHeight(140);
        Label placeTitle = new Label("Placement of a model");
        placeTitle.getStyleClass().add("section-heading");
        VBox box = new VBox(8, new Label("OpenCL devices"), problem, list, details, bench, result, error, placeTitle,
                placeRow, placeError, placeMade, placeSummary, table);
        VBox.setVgrow(table, Priority.ALWAYS);
        box.setPadding(new Insets(10));
        return box;
    }

    private static <T> javafx.scene.control.TableColumn<T, String> column(String title, java.util.function.Function<T, String> f,
                                                                          double width) {
        javafx.scene.control.TableColumn<T, String> c = new javafx.scene.control.TableColumn<>(title);
        c.setCellValueFactory(cell -> new javafx.beans.property.ReadOnlyStringWrapper(f.apply(cell.getValue())));
        c.setCellFactory(org.polaris.workbench.ui.common.TextCells.withTooltip());
        c.setPrefWidth(width);
        org.polaris.workbench.ui.common.TextCells.fitHeader(c);
        return c;
    }

    private VBox telemetryPanel() {
        ChoiceBox<String> device = new ChoiceBox<>(vm.telemetryDevices());
        device.setId("telemetryDevice");
        device.valueProperty().bindBidirectional(vm.telemetryDeviceProperty());
        device.setConverter(new StringConverter<>() {
            @Override
            public String toString(String id) {
                return id == null ? "" : id + " - " + vm.deviceName(id);
            }

            @Override
            public String fromString(String s) {
                throw new UnsupportedOperationException();
            }
        });
        ChoiceBox<Integer> rate = new ChoiceBox<>();
        rate.getItems().addAll(1, 2, 5, 10);
        rate.setValue(vm.rateHzProperty().get());
        rate.valueProperty().addListener((o, a, b) -> vm.rateHzProperty().set(b));
        ToggleButton pause = new ToggleButton("Pause");
        pause.setId("telemetryPause");
        pause.selectedProperty().bindBidirectional(vm.pausedProperty());
        CheckBox record = new CheckBox("record while hidden");
        record.setId("telemetryRecord");
        record.selectedProperty().bindBidirectional(vm.recordingProperty());
        Button export = new Button("Export CSV…");
        export.setId("telemetryExport");
        export.setOnAction(e -> vm.exportCsv());
        HBox top = new HBox(8, new Label("Device"), device);
        // wraps onto a second line in a narrow window instead of cutting the controls' names
        javafx.scene.layout.FlowPane bottom = new javafx.scene.layout.FlowPane(8, 6, new Label("Samples per second"), rate,
                pause, record, export);
        top.setAlignment(javafx.geometry.Pos.CENTER_LEFT);
        bottom.setAlignment(javafx.geometry.Pos.CENTER_LEFT);
        VBox controls = new VBox(6, top, bottom);
        GridPane grid = new GridPane();
        grid.setHgap(6);
        grid.setVgap(6);
        for (int i = 0; i < CHARTS.length; i++) {
            // a NaN point breaks the line where sampling paused (pane hidden), instead of a straight line across
            XYChart c = org.polaris.workbench.ui.common.Charts.timeLines("telemetryChart" + i, TITLES[i], UNITS[i]);
            Map<Metric, DoubleDataSet> m = new EnumMap<>(Metric.class);
            for (Metric metric : CHARTS[i]) m.put(metric, new DoubleDataSet(metric.label()));
            charts.add(c);
            series.add(m);
            GridPane.setHgrow(c, Priority.ALWAYS);
            GridPane.setVgrow(c, Priority.ALWAYS);
            grid.add(c, i % 2, i / 2);
        }
        markerText.setId("telemetryMarkers");
        missing.setId("telemetryMissing");
        missing.setWrapText(true);
        VBox box = new VBox(8, controls, grid, missing, markerText);
        VBox.setVgrow(grid, Priority.ALWAYS);
        box.setPadding(new Insets(10));
        return box;
    }

    private void startTimer() {
        if (timer != null) timer.stop();
        timer = new Timeline(new KeyFrame(Duration.millis(1000.0 / vm.rateHzProperty().get()), e -> redraw()));
        timer.setCycleCount(Timeline.INDEFINITE);
        timer.play();
        redraw();
    }

    /** Copies the selected device's ring into the charts (x = seconds before the newest sample). */
    void redraw() {
        vm.refreshTelemetryDevices();
        List<Sample> s = vm.samples();
        long last = s.isEmpty() ? 0 : s.get(s.size() - 1).epochMillis();
        long gap = Math.max(1500, 3000L / vm.rateHzProperty().get());
        List<String> notReported = new ArrayList<>();
        for (int i = 0; i < charts.size(); i++) {
            ErrorDataSetRenderer r = (ErrorDataSetRenderer) charts.get(i).getRenderers().get(0);
            List<DoubleDataSet> shown = new ArrayList<>();
            for (Map.Entry<Metric, DoubleDataSet> e : series.get(i).entrySet()) {
                double[] xs = new double[2 * s.size()];
                double[] ys = new double[2 * s.size()];
                int n = 0;
                int real = 0;
                long prev = Long.MIN_VALUE;
                for (Sample x : s) {
                    double v = x.get(e.getKey());
                    if (!Double.isNaN(v)) {
                        if (prev != Long.MIN_VALUE && x.epochMillis() - prev > gap) {
                            xs[n] = (prev + x.epochMillis()) / 2.0 / 1000.0 - last / 1000.0;
                            ys[n++] = Double.NaN;
                        }
                        xs[n] = (x.epochMillis() - last) / 1000.0;
                        ys[n++] = v;
                        real++;
                        prev = x.epochMillis();
                    }
                }
                if (real > 0) {
                    e.getValue().set(java.util.Arrays.copyOf(xs, n), java.util.Arrays.copyOf(ys, n));
                    shown.add(e.getValue());
                }
            }
            if (!r.getDatasets().equals(shown)) {
                r.getDatasets().setAll(shown);
            }
            if (shown.isEmpty()) {
                notReported.add(TITLES[i].toLowerCase(java.util.Locale.ROOT));
            }
        }
        missing.setText(notReported.isEmpty() ? "" : "Not reported for this device: " + String.join("; ", notReported));
        XYChart first = charts.get(0);
        first.getPlugins().removeAll(markers);
        markers.clear();
        List<TelemetrySampler.Marker> ms = vm.markers();
        long oldest = s.isEmpty() ? last : s.get(0).epochMillis();
        for (TelemetrySampler.Marker m : ms) {
            if (m.epochMillis() >= oldest && m.epochMillis() <= last && markers.size() < 20) {
                markers.add(new XValueIndicator(first.getXAxis(), (m.epochMillis() - last) / 1000.0, m.label()));
            }
        }
        first.getPlugins().addAll(markers);
        markerText.setText(ms.isEmpty() ? "" : "Last marker: " + ms.get(ms.size() - 1).label());
    }

    int samplesShown() {
        return series.get(0).values().stream().mapToInt(DoubleDataSet::getDataCount).max().orElse(0);
    }
}
