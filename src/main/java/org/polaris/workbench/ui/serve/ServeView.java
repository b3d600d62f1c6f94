package org.polaris.workbench.ui.serve;

import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.renderer.spi.ErrorDataSetRenderer;
import io.fair_acc.dataset.spi.DoubleDataSet;
import javafx.beans.binding.Bindings;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.Spinner;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.TextArea;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.input.Clipboard;
import javafx.scene.input.ClipboardContent;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.util.Duration;
import javafx.util.StringConverter;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.serve.TrafficLog;
import org.polaris.workbench.ui.common.Charts;
import org.polaris.workbench.ui.common.TextCells;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * The Serve pane: settings and Start/Stop on the left with the models table and the curl request; on the right the
 * last five minutes of traffic (requests and errors per second, p50/p99 latency, queue time, batch size), redrawn
 * each second from the server's ring while the pane is shown.
 */
public final class ServeView extends SplitPane {

    /** Seconds of traffic the charts show. */
    public static final int WINDOW = 120;

    private final ServeViewModel vm;
    private final List<XYChart> charts = new ArrayList<>();
    private final List<List<DoubleDataSet>> series = new ArrayList<>();
    private final org.polaris.workbench.ui.common.Pulse pulse;

    private record Line(String label, ToDoubleFunction<TrafficLog.Second> value) {
    }

    private static final String[] TITLES = {"Requests per second", "Latency (ms)", "Queue time, mean (ms)", "Batch size, mean"};
    private static final List<List<Line>> LINES = List.of(
            List.of(new Line("requests/s", s -> s.requests()), new Line("errors/s", s -> s.errors())),
            List.of(new Line("p50", TrafficLog.Second::p50Ms), new Line("p99", TrafficLog.Second::p99Ms)),
            List.of(new Line("queue", TrafficLog.Second::queueMeanMs)),
            List.of(new Line("batch", TrafficLog.Second::batchMean)));

    public ServeView(ServeViewModel vm) {
        this.vm = vm;
        setId("serveView");
        VBox left = new VBox(10, settings(), models());
        left.setPadding(new Insets(10));
        VBox.setVgrow(left.getChildren().get(1), Priority.ALWAYS);
        getItems().addAll(left, charts());
        setDividerPositions(0.52);
        pulse = org.polaris.workbench.ui.common.Pulse.whileShown(this, Duration.seconds(1), () -> {
            vm.refresh();
            redraw();
        });
    }

    private VBox settings() {
        TextField host = new TextField();
        host.setId("serveHost");
        host.textProperty().bindBidirectional(vm.hostProperty());
        host.setTooltip(new Tooltip("127.0.0.1 keeps the server on this machine; any other address needs an API key"));
        Spinner<Integer> port = new Spinner<>(0, 65535, 8000);
        port.setId("servePort");
        port.setEditable(true);
        port.setPrefWidth(110);
        bind(port, vm.portProperty().asObject());
        Label key = new Label();
        key.textProperty().bind(Bindings.createStringBinding(() -> vm.apiKeyFileProperty().get() == null ? "none"
                : vm.apiKeyFileProperty().get().toString(), vm.apiKeyFileProperty()));
        key.setMaxWidth(260);
        Button chooseKey = new Button("Choose…");
        chooseKey.setTooltip(new Tooltip("A file holding one key; clients send Authorization: Bearer KEY"));
        chooseKey.setOnAction(e -> vm.chooseApiKeyFile());
        Button noKey = new Button("Clear");
        noKey.setOnAction(e -> vm.apiKeyFileProperty().set(null));
        Label repo = new Label();
        repo.textProperty().bind(Bindings.createStringBinding(() -> vm.repositoryProperty().get() == null
                ? "none (the open models are served)" : vm.repositoryProperty().get().toString(), vm.repositoryProperty()));
        repo.setMaxWidth(260);
        Button chooseRepo = new Button("Choose…");
        chooseRepo.setTooltip(new Tooltip("A folder laid out as NAME/VERSION/model.onnx, served beside the open models"));
        chooseRepo.setOnAction(e -> vm.chooseRepository());
        Button noRepo = new Button("Clear");
        noRepo.setOnAction(e -> vm.repositoryProperty().set(null));
        ChoiceBox<Runtimes.Kind> runtime = new ChoiceBox<>();
        runtime.getItems().setAll(Runtimes.Kind.ORT, Runtimes.Kind.ENGINE);
        runtime.setConverter(new StringConverter<>() {
            @Override
            public String toString(Runtimes.Kind k) {
                return k == Runtimes.Kind.ENGINE ? "Polaris engine" : "ONNX Runtime";
            }

            @Override
            public Runtimes.Kind fromString(String s) {
                return null;
            }
        });
        runtime.valueProperty().bindBidirectional(vm.runtimeProperty());
        Spinner<Integer> batch = new Spinner<>(1, 4096, 32);
        batch.setId("serveMaxBatch");
        batch.setEditable(true);
        batch.setPrefWidth(100);
        bind(batch, vm.maxBatchProperty().asObject());
        Spinner<Double> delay = new Spinner<>(0.0, 1000.0, 0.0, 0.5);
        delay.setEditable(true);
        delay.setPrefWidth(100);
        bind(delay, vm.queueDelayMsProperty().asObject());
        Spinner<Integer> budget = new Spinner<>(0, 16_777_216, 0, 100);
        budget.setEditable(true);
        budget.setPrefWidth(110);
        budget.setTooltip(new Tooltip("Memory the loaded models may take together; 0: no limit"));
        bind(budget, vm.memoryBudgetMbProperty().asObject());
        GridPane g = new GridPane();
        g.setHgap(8);
        g.setVgap(6);
        int row = 0;
        g.addRow(row++, new Label("Address"), host, new Label("Port"), port);
        g.addRow(row++, new Label("Runtime"), runtime, new Label("Max batch"), batch);
        g.addRow(row++, new Label("Queue delay (ms)"), delay, new Label("Memory (MB)"), budget);
        HBox keyRow = new HBox(6, chooseKey, noKey, key);
        keyRow.setAlignment(Pos.CENTER_LEFT);
        HBox repoRow = new HBox(6, chooseRepo, noRepo, repo);
        repoRow.setAlignment(Pos.CENTER_LEFT);
        g.add(new Label("API key"), 0, row);
        g.add(keyRow, 1, row++, 3, 1);
        g.add(new Label("Repository"), 0, row);
        g.add(repoRow, 1, row, 3, 1);
        for (javafx.scene.Node n : List.of(host, port, chooseKey, noKey, chooseRepo, noRepo, runtime, batch, delay, budget)) {
            n.disableProperty().bind(vm.runningProperty().or(vm.startingProperty()));
        }
        Button start = new Button("Start");
        start.setId("serveStart");
        start.setDefaultButton(true);
        start.disableProperty().bind(vm.runningProperty().or(vm.startingProperty()));
        start.setOnAction(e -> vm.start());
        Button stop = new Button("Stop");
        stop.setId("serveStop");
        stop.disableProperty().bind(vm.runningProperty().not());
        stop.setOnAction(e -> vm.stop());
        Label status = new Label();
        status.setId("serveStatus");
        status.textProperty().bind(vm.statusProperty());
        Label error = new Label();
        error.setId("serveError");
        error.getStyleClass().add("error-text");
        error.setWrapText(true);
        error.textProperty().bind(vm.errorProperty());
        error.visibleProperty().bind(vm.errorProperty().isNotEmpty());
        error.managedProperty().bind(error.visibleProperty());
        HBox buttons = new HBox(8, start, stop, status);
        buttons.setAlignment(Pos.CENTER_LEFT);
        return new VBox(8, g, buttons, error);
    }

    private static <T> void bind(Spinner<T> s, javafx.beans.property.ObjectProperty<T> p) {
        // bidirectional bindings hold their ends weakly: the spinner keeps the adapter alive
        s.getProperties().put("polaris.value", p);
        s.getValueFactory().valueProperty().bindBidirectional(p);
    }

    private VBox models() {
        TableView<ServeViewModel.ModelRow> table = new TableView<>(vm.rows());
        table.setId("serveModels");
        table.setPlaceholder(TextCells.placeholder("Start the server to serve the open models"));
        table.getColumns().add(col("Model", ServeViewModel.ModelRow::name));
        table.getColumns().get(0).setPrefWidth(130);
        table.getColumns().add(col("Version", ServeViewModel.ModelRow::version));
        table.getColumns().add(col("State", ServeViewModel.ModelRow::state));
        table.getColumns().add(col("Memory MB", r -> r.memoryMb() > 0 ? String.format(Locale.ROOT, "%.1f", r.memoryMb()) : ""));
        table.getColumns().add(col("Pinned", r -> r.pinned() ? "yes" : ""));
        table.getColumns().add(col("Batching", ServeViewModel.ModelRow::batching));
        table.getColumns().add(col("Queued", r -> Integer.toString(r.queued())));
        table.getColumns().add(col("Note", ServeViewModel.ModelRow::reason));
        table.getSelectionModel().selectedItemProperty().addListener((o, a, r) -> {
            if (r != null) vm.selectedProperty().set(r);
        });
        vm.selectedProperty().addListener((o, a, r) -> {
            if (r != null && table.getSelectionModel().getSelectedItem() != r) table.getSelectionModel().select(r);
        });
        Button load = new Button("Load");
        load.setOnAction(e -> vm.loadSelected());
        Button unload = new Button("Unload");
        unload.setOnAction(e -> vm.unloadSelected());
        CheckBox pin = new CheckBox("Pinned");
        pin.setTooltip(new Tooltip("A pinned model is never unloaded to stay within the memory budget"));
        vm.selectedProperty().addListener((o, a, r) -> pin.setSelected(r != null && r.pinned()));
        pin.setOnAction(e -> vm.setPinned(pin.isSelected()));
        for (javafx.scene.Node n : List.of(load, unload, pin)) {
            n.disableProperty().bind(vm.runningProperty().not().or(vm.selectedProperty().isNull()));
        }
        TextArea curl = new TextArea();
        curl.setId("serveCurl");
        curl.setEditable(false);
        curl.setWrapText(true);
        curl.setPrefRowCount(4);
        curl.textProperty().bind(vm.curlProperty());
        curl.setPromptText("Select a loaded model for a ready-to-copy curl request");
        Button copy = new Button("Copy");
        copy.setId("serveCopyCurl");
        copy.disableProperty().bind(vm.curlProperty().isEmpty());
        copy.setOnAction(e -> {
            ClipboardContent c = new ClipboardContent();
            c.putString(vm.curlProperty().get());
            Clipboard.getSystemClipboard().setContent(c);
        });
        HBox actions = new HBox(8, load, unload, pin);
        actions.setAlignment(Pos.CENTER_LEFT);
        VBox box = new VBox(6, new Label("Models"), table, actions, new HBox(8, new Label("curl"), copy), curl);
        VBox.setVgrow(table, Priority.ALWAYS);
        return box;
    }

    private static TableColumn<ServeViewModel.ModelRow, String> col(String title, Function<ServeViewModel.ModelRow, String> f) {
        TableColumn<ServeViewModel.ModelRow, String> c = new TableColumn<>(title);
        c.setCellValueFactory(d -> new javafx.beans.property.ReadOnlyStringWrapper(f.apply(d.getValue())));
        c.setCellFactory(TextCells.withTooltip());
        return c;
    }

    private VBox charts() {
        GridPane grid = new GridPane();
        grid.setHgap(6);
        grid.setVgap(6);
        for (int i = 0; i < TITLES.length; i++) {
            XYChart c = Charts.timeLines("serveChart" + i, TITLES[i], null);
            ErrorDataSetRenderer r = (ErrorDataSetRenderer) c.getRenderers().get(0);
            List<DoubleDataSet> sets = new ArrayList<>();
            for (Line l : LINES.get(i)) sets.add(new DoubleDataSet(l.label()));
            r.getDatasets().setAll(sets);
            series.add(sets);
            charts.add(c);
            GridPane.setHgrow(c, Priority.ALWAYS);
            GridPane.setVgrow(c, Priority.ALWAYS);
            grid.add(c, i % 2, i / 2);
        }
        VBox box = new VBox(6, new Label("Traffic, last 2 minutes (the server keeps 10 minutes, also while this pane is hidden)"), grid);
        VBox.setVgrow(grid, Priority.ALWAYS);
        box.setPadding(new Insets(10));
        return box;
    }

    /** Copies the traffic ring into the charts (x = seconds before now). */
    void redraw() {
        // whole seconds only: the running second would show as a drop at the right edge
        List<TrafficLog.Second> all = vm.traffic(WINDOW + 1);
        List<TrafficLog.Second> t = all.isEmpty() ? all : all.subList(0, all.size() - 1);
        double[] xs = new double[t.size()];
        for (int k = 0; k < t.size(); k++) xs[k] = k - t.size();
        for (int i = 0; i < LINES.size(); i++) {
            for (int j = 0; j < LINES.get(i).size(); j++) {
                double[] ys = new double[t.size()];
                for (int k = 0; k < t.size(); k++) ys[k] = LINES.get(i).get(j).value().applyAsDouble(t.get(k));
                series.get(i).get(j).set(xs, ys);
            }
        }
    }

    /** Whether the once-a-second redraw runs (only while the pane is shown). */
    public boolean redrawing() {
        return pulse.running();
    }

    /** Seconds of traffic drawn (for tests). */
    public int pointsShown() {
        return series.get(0).get(0).getDataCount();
    }
}
