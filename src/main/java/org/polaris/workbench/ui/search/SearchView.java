package org.polaris.workbench.ui.search;

import javafx.beans.binding.Bindings;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.geometry.Orientation;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Pane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.util.Duration;
import org.polaris.workbench.engine.search.Candidate;
import org.polaris.workbench.engine.search.CompressionSearch;
import org.polaris.workbench.ui.common.Cards;
import org.polaris.workbench.ui.common.Pulse;
import org.polaris.workbench.ui.common.DisplayNames;
import org.polaris.workbench.ui.common.FormGrid;
import org.polaris.workbench.ui.common.TextCells;

import java.util.Locale;
import java.util.function.Function;

/**
 * The Search pane: settings on the left; on the right the status, the accuracy-against-speed (or size) scatter with
 * the frontier, the candidates' table and the selected candidate's card with save, open and compare. While the pane
 * is shown a timer moves finished candidates in twice a second.
 */
public final class SearchView extends SplitPane {

    private final SearchViewModel vm;
    private final FrontierPlot plot;
    private final Pulse pulse;

    public SearchView(SearchViewModel vm) {
        this.vm = vm;
        setId("searchView");
        plot = new FrontierPlot(vm.selectedProperty()::set);
        Label status = Cards.message("searchStatus", vm.statusProperty(), "status-text");
        Label error = Cards.message("searchError", vm.errorProperty(), "error-text");
        Label made = Cards.provenance("searchProvenance", vm.provenanceProperty());
        Label signals = Cards.message("searchSignals", vm.signalsProperty(), "status-text");
        signals.setWrapText(true);
        Pane holder = new Pane(plot);
        plot.widthProperty().bind(holder.widthProperty());
        plot.heightProperty().bind(holder.heightProperty());
        Label legend = new Label("orange: the frontier; blue: within the tolerance; grey: too lossy; black square: the "
                + "original; dashed: the tolerance; the larger dot is the model written. Click a point for its card.");
        legend.setWrapText(true);
        VBox top = new VBox(6, status, error, made, signals, holder, legend);
        VBox.setVgrow(holder, Priority.ALWAYS);
        top.setPadding(new Insets(10));
        top.setMinHeight(200);

        TableView<CompressionSearch.CandidateResult> table = table();
        var card = Cards.summary("searchCard", vm.card());
        Button save = new Button("Save as…");
        save.setId("searchSave");
        Button open = new Button("Open in Models pane");
        open.setId("searchOpen");
        Button compare = new Button("Compare with original");
        compare.setId("searchCompare");
        for (Button b : new Button[] {save, open, compare}) {
            b.disableProperty().bind(Bindings.createBooleanBinding(() -> !vm.selectedHasFile(), vm.selectedProperty(),
                    vm.reportProperty()));
        }
        save.setOnAction(e -> vm.saveSelected());
        open.setOnAction(e -> vm.openSelected());
        compare.setOnAction(e -> vm.compareSelected());
        VBox cardBox = new VBox(8, new HBox(8, save, open, compare), card);
        cardBox.setPadding(new Insets(10));
        ScrollPane cardScroll = new ScrollPane(cardBox);
        cardScroll.setFitToWidth(true);
        SplitPane bottom = new SplitPane(table, cardScroll);
        bottom.setDividerPositions(0.55);
        SplitPane right = new SplitPane(top, bottom);
        right.setOrientation(Orientation.VERTICAL);
        right.setDividerPositions(0.55);
        getItems().addAll(new Form(vm).scrollingWithActions(360), right);
        setDividerPositions(0.28);

        Runnable redraw = () -> plot.show(vm.candidates(), vm.reportProperty().get(), vm.selectedProperty().get(),
                vm.objectiveProperty().get() == CompressionSearch.Objective.SIZE, vm.toleranceProperty().get());
        vm.candidates().addListener((ListChangeListener<CompressionSearch.CandidateResult>) c -> redraw.run());
        vm.selectedProperty().addListener((o, a, b) -> {
            redraw.run();
            if (b != null && table.getSelectionModel().getSelectedItem() != b) table.getSelectionModel().select(b);
        });
        vm.reportProperty().addListener((o, a, b) -> redraw.run());
        vm.objectiveProperty().addListener((o, a, b) -> redraw.run());
        pulse = Pulse.whileShown(this, Duration.millis(500), vm::refresh);
    }

    private TableView<CompressionSearch.CandidateResult> table() {
        TableView<CompressionSearch.CandidateResult> t = new TableView<>(vm.candidates());
        t.setId("searchCandidates");
        t.setPlaceholder(TextCells.placeholder("Choose evaluation data and press Search"));
        t.getColumns().add(col("Candidate", CompressionSearch.CandidateResult::id, 170));
        t.getColumns().add(col("Status", c -> c.status() != CompressionSearch.Status.EVALUATED
                ? c.status().name().toLowerCase(Locale.ROOT) : c.withinTolerance() ? "ok" : "too lossy", 70));
        t.getColumns().add(col("Quality", c -> c.status() != CompressionSearch.Status.EVALUATED ? "" : String.format(Locale.ROOT,
                "%.2f%%", 100 * (c.accuracy() != null ? c.accuracy() : c.agreement())), 70));
        t.getColumns().add(col("Speed", c -> c.status() != CompressionSearch.Status.EVALUATED ? ""
                : String.format(Locale.ROOT, "%.2fx", c.speedup()), 60));
        t.getColumns().add(col("Size", c -> c.status() != CompressionSearch.Status.EVALUATED ? ""
                : String.format(Locale.ROOT, "%.0f%%", 100 * c.sizeRatio()), 55));
        t.getColumns().add(col("Frontier", c -> c.onFrontier() ? "yes" : "", 60));
        t.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> {
            if (b != null) vm.selectedProperty().set(b);
        });
        return t;
    }

    private static TableColumn<CompressionSearch.CandidateResult, String> col(String title,
            Function<CompressionSearch.CandidateResult, String> f, double width) {
        return org.polaris.workbench.ui.common.TextCells.column(title, f, width);
    }

    /** Whether the twice-a-second refresh runs (only while the pane is shown). */
    public boolean refreshing() {
        return pulse.running();
    }

    /** Candidates drawn on the scatter, and where one is drawn (for tests). */
    public int pointsShown() {
        return plot.pointsShown();
    }

    public double[] pointOf(CompressionSearch.CandidateResult c) {
        double[] p = plot.at(c);
        javafx.geometry.Point2D s = plot.localToScreen(p[0], p[1]);
        return new double[] {s.getX(), s.getY()};
    }

    private static final class Form extends FormGrid {
        Form(SearchViewModel vm) {
            add("Model", modelChooser(vm.models(), vm.modelProperty(), vm::selectModel, "searchModel"));
            heading("Data");
            add("Evaluation", dataChooser(vm.form().evalDataProperty(), "searchEvalLabel", "(choose evaluation data)",
                    vm::chooseEvalData));
            add("Samples", spinner(vm.form().evalSamplesProperty(), 1, 100_000));
            add("Calibration", dataChooser(vm.calibDataProperty(), "searchCalibLabel", "the evaluation data", vm::chooseCalibData));
            add("pixel x", text(vm.form().scaleProperty(), "searchScale"));
            heading("Goal");
            TextField tol = new TextField();
            tol.setId("searchTolerance");
            tol.setPrefColumnCount(5);
            tol.textProperty().bindBidirectional(vm.toleranceProperty(), new javafx.util.converter.NumberStringConverter(Locale.ROOT, "0.##"));
            add("Tolerance", new HBox(6, tol, new Label("accuracy points (no labels: % agreement)")));
            ChoiceBox<CompressionSearch.Objective> obj = new ChoiceBox<>();
            obj.getItems().addAll(CompressionSearch.Objective.values());
            obj.valueProperty().bindBidirectional(vm.objectiveProperty());
            obj.setConverter(DisplayNames.converter(o -> o == CompressionSearch.Objective.LATENCY ? "fastest" : "smallest"));
            add("Objective", obj);
            ChoiceBox<org.polaris.workbench.engine.exec.EngineSession.Device> dev = new ChoiceBox<>();
            dev.setId("searchDevice");
            dev.getItems().addAll(org.polaris.workbench.engine.exec.EngineSession.Device.CPU,
                    org.polaris.workbench.engine.exec.EngineSession.Device.GPU);
            dev.valueProperty().bindBidirectional(vm.deviceProperty());
            dev.setConverter(DisplayNames.converter(d -> d == org.polaris.workbench.engine.exec.EngineSession.Device.GPU
                    ? "OpenCL GPU (engine)" : "CPU (ONNX Runtime)"));
            add("Latency on", dev);
            TextField budget = new TextField();
            budget.setPrefColumnCount(5);
            budget.textProperty().bindBidirectional(vm.budgetMinutesProperty(), new javafx.util.converter.NumberStringConverter(Locale.ROOT, "0.#"));
            add("Budget", new HBox(6, budget, new Label("minutes (0: no limit)")));
            heading("Candidates");
            FlowPane kinds = new FlowPane(8, 4);
            for (Candidate.Kind k : Candidate.Kind.values()) {
                CheckBox box = new CheckBox(k.cli());
                box.setId("searchKind-" + k.cli());
                box.selectedProperty().bindBidirectional(vm.kindProperty(k));
                kinds.getChildren().add(box);
            }
            add("Kinds", kinds);
            TextField levels = text(vm.sparsitiesProperty(), "searchSparsities");
            levels.setTooltip(new Tooltip("Pruning levels, comma-separated (0.5 or 50)"));
            add("Sparsities", levels);
            CheckBox refit = new CheckBox("also with the least-squares re-fit");
            refit.selectedProperty().bindBidirectional(vm.refitProperty());
            add("Re-fit", refit);
            heading("Output");
            Label out = new Label();
            out.setId("searchOutput");
            out.setWrapText(true);
            out.textProperty().bind(Bindings.createStringBinding(() -> vm.form().outputProperty().get() == null
                    ? "(pick a model)" : vm.form().outputProperty().get().toString(), vm.form().outputProperty()));
            Button saveAs = new Button("Save as…");
            saveAs.setOnAction(e -> vm.chooseOutput());
            add("File", new VBox(4, out, saveAs));
            Button run = new Button("Search");
            run.setId("searchButton");
            run.setDefaultButton(true);
            run.disableProperty().bind(vm.canSearchProperty().not());
            run.setOnAction(e -> vm.search());
            Button cancel = new Button("Cancel");
            cancel.setId("searchCancel");
            cancel.setCancelButton(true);
            cancel.disableProperty().bind(vm.searchingProperty().not());
            cancel.setOnAction(e -> vm.cancel());
            action(run, cancel);
        }
    }
}
