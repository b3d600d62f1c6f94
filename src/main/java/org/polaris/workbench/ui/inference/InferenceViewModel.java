package org.polaris.workbench.ui.inference;

import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.polaris.workbench.engine.data.DataSources;
import org.polaris.workbench.engine.data.InputPlan;
import org.polaris.workbench.ui.common.InputRow;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.inference.BenchResult;
import org.polaris.workbench.engine.inference.InferenceService;
import org.polaris.workbench.engine.inference.InputSpec;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.runtime.NodeTiming;
import org.polaris.workbench.ui.common.DialogService;
import org.polaris.workbench.ui.common.DisplayNames;
import org.polaris.workbench.ui.common.GuiMessages;
import org.polaris.workbench.ui.common.Outcome;
import org.polaris.workbench.ui.common.PerModel;
import org.polaris.workbench.ui.common.Provenance;
import org.polaris.workbench.ui.common.TaskRunner;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** State and actions of the Inference pane: run once, benchmark, profile. */
public final class InferenceViewModel {

    /** One run's top classes and summary line. */
    record RunView(String summary, List<InferenceService.Prediction> top,
                   List<org.polaris.workbench.engine.inference.OutputSummary> outputs, HeatMap map, Path image) {
    }

    /** One profile's op shares and slowest nodes. */
    record ProfileView(List<OpShare> shares, List<NodeTiming> slowest) {
    }

    private final InferenceService service;
    private final TaskRunner tasks;
    private final DialogService dialogs;
    private final Workspace workspace;

    private final ReadOnlyObjectProperty<Path> model;
    private final ObjectProperty<Runtimes.Kind> runtime = new SimpleObjectProperty<>(Runtimes.Kind.ORT);
    private final ObjectProperty<InputSource> source = new SimpleObjectProperty<>(InputSource.RANDOM);
    private final ObjectProperty<Path> dataset = new SimpleObjectProperty<>();
    private final IntegerProperty index = new SimpleIntegerProperty(0);
    private final ObjectProperty<Path> image = new SimpleObjectProperty<>();
    private final StringProperty scale = new SimpleStringProperty("1/255");
    private final StringProperty mean = new SimpleStringProperty("0");
    private final StringProperty std = new SimpleStringProperty("1");
    private final StringProperty batches = new SimpleStringProperty("1,8,32");
    private final IntegerProperty threads = new SimpleIntegerProperty(1);
    private final IntegerProperty runs = new SimpleIntegerProperty(50);
    private final BooleanProperty compareRuntimes = new SimpleBooleanProperty(true);

    private final ReadOnlyStringWrapper runSummary = new ReadOnlyStringWrapper("");
    private final ObservableList<InferenceService.Prediction> predictions = FXCollections.observableArrayList();
    private final ObservableList<org.polaris.workbench.engine.inference.OutputSummary> outputs =
            FXCollections.observableArrayList();
    private final javafx.beans.property.ReadOnlyObjectWrapper<HeatMap> heatMap = new javafx.beans.property.ReadOnlyObjectWrapper<>();
    private final javafx.beans.property.ReadOnlyObjectWrapper<Path> heatMapImage = new javafx.beans.property.ReadOnlyObjectWrapper<>();
    private final ObservableList<BenchResult> benchResults = FXCollections.observableArrayList();
    private final ObjectProperty<BenchResult> selectedBench = new SimpleObjectProperty<>();
    private final ObservableList<OpShare> opShares = FXCollections.observableArrayList();
    private final ObservableList<NodeTiming> slowestNodes = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper runProvenance = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper benchProvenance = new ReadOnlyStringWrapper("");
    /** The paired ratios of the shown benchmark (one line per runtime against the first), as the CLI prints them. */
    private final ReadOnlyStringWrapper benchRatios = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper profileProvenance = new ReadOnlyStringWrapper("");
    private final PerModel<Outcome<RunView>> runResults;
    private final PerModel<Outcome<List<BenchResult>>> benches;
    private final PerModel<Outcome<ProfileView>> profiles;
    private final PerModel<String> errors;
    private final BooleanBinding canRun;

    public InferenceViewModel(InferenceService service, TaskRunner tasks, DialogService dialogs, Workspace workspace) {
        this.service = service;
        this.tasks = tasks;
        this.dialogs = dialogs;
        this.workspace = workspace;
        this.model = workspace.currentProperty();
        runResults = new PerModel<>(workspace);
        benches = new PerModel<>(workspace);
        profiles = new PerModel<>(workspace);
        errors = new PerModel<>(workspace);
        runResults.shownProperty().addListener((o, a, r) -> {
            predictions.setAll(r == null ? List.of() : r.result().top());
            outputs.setAll(r == null ? List.of() : r.result().outputs());
            heatMap.set(r == null ? null : r.result().map());
            heatMapImage.set(r == null ? null : r.result().image());
            runSummary.set(r == null ? "" : r.result().summary());
            runProvenance.set(r == null ? "" : r.provenance().line());
        });
        benches.shownProperty().addListener((o, a, r) -> {
            benchResults.setAll(r == null ? List.of() : r.result());
            selectedBench.set(benchResults.isEmpty() ? null : benchResults.get(0));
            benchProvenance.set(r == null ? "" : r.provenance().line());
            benchRatios.set(r == null ? "" : String.join("\n", org.polaris.workbench.engine.inference.RuntimeRatio
                    .of(r.result()).stream().map(org.polaris.workbench.engine.inference.RuntimeRatio::line).toList()));
        });
        profiles.shownProperty().addListener((o, a, r) -> {
            opShares.setAll(r == null ? List.of() : r.result().shares());
            slowestNodes.setAll(r == null ? List.of() : r.result().slowest());
            profileProvenance.set(r == null ? "" : r.provenance().line());
        });
        error.bind(Bindings.createStringBinding(() -> errors.get() == null ? "" : errors.get(), errors.shownProperty()));
        javafx.beans.InvalidationListener stale = x -> errors.putCurrent(null);
        for (javafx.beans.Observable p : new javafx.beans.Observable[] {runtime, source, dataset, index, image, scale,
                mean, std, batches, threads, runs, compareRuntimes}) {
            p.addListener(stale);
        }
        canRun = Bindings.createBooleanBinding(() -> model.get() != null && !tasks.runningProperty().get(), model,
                tasks.runningProperty());
    }

    /** Makes {@code m} the workbench's current model (the chooser). */
    /** The current model's Inputs table (shapes and sources), shared with the other panes. */
    public javafx.beans.property.ReadOnlyObjectProperty<org.polaris.workbench.ui.common.ModelInputs> inputsProperty() {
        return workspace.currentInputsProperty();
    }

    public void selectModel(Path m) {
        workspace.select(m);
    }

    /** "ONNX Runtime, 1 thread, input: random values". */
    private String settingsLine(Runtimes.Kind kind) {
        String in = switch (source.get()) {
            case RANDOM -> "random input";
            case DATASET -> dataset.get() == null ? "no data" : dataset.get().getFileName() + " #" + index.get();
            case IMAGE -> image.get() == null ? "no image" : image.get().getFileName().toString();
        };
        String shapes = workspace.inputs(model.get()).summary();
        return (kind == null ? "ONNX Runtime and Polaris engine" : DisplayNames.runtime(kind)) + ", "
                + threads.get() + (threads.get() == 1 ? " thread" : " threads") + ", " + in
                + (shapes.isEmpty() ? "" : ", inputs " + shapes);
    }

    private InputSpec input() {
        Preprocessing pre = new Preprocessing(DataSources.parseScale(scale.get()), DataSources.parseList(mean.get(), "mean"),
                DataSources.parseList(std.get(), "std"), 0, 0, "NCHW");
        InputPlan.Request table = workspace.inputs(model.get()).request(pre);
        return switch (source.get()) {
            case RANDOM -> new InputSpec(table, null, 0);
            case DATASET -> new InputSpec(table, require(dataset.get(), "choose a data set"), index.get());
            case IMAGE -> new InputSpec(withImage(table, require(image.get(), "choose an image")), null, 0);
        };
    }

    /** The image feeds the first input the Inputs table gives no source. */
    private InputPlan.Request withImage(InputPlan.Request table, Path img) {
        var rows = workspace.inputs(model.get()).rows();
        java.util.Set<String> bound = new java.util.HashSet<>();
        table.sources().forEach(b -> bound.add(b.input()));
        String target = rows.stream().map(InputRow::name).filter(n -> !bound.contains(n)).findFirst().orElse(null);
        if (target == null && !rows.isEmpty()) {
            return table;
        }
        List<org.polaris.workbench.engine.data.InputSource.Binding> sources = new ArrayList<>(table.sources());
        sources.add(new org.polaris.workbench.engine.data.InputSource.Binding(target,
                new org.polaris.workbench.engine.data.InputSource.File(img)));
        return new InputPlan.Request(table.shapes(), sources, table.preprocessing(), table.sampleRate());
    }

    private static Path require(Path p, String what) {
        if (p == null) {
            throw new IllegalArgumentException(what + " first");
        }
        return p;
    }

    /** Parses "1,8,32" into positive batch sizes. */
    static List<Integer> parseBatches(String s) {
        List<Integer> out = new ArrayList<>();
        for (String part : s.split(",")) {
            try {
                int b = Integer.parseInt(part.trim());
                if (b < 1 || b > 4096) {
                    throw new NumberFormatException();
                }
                out.add(b);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("batch sizes must be numbers from 1 to 4096 separated by commas, not '" + s + "'");
            }
        }
        return out;
    }

    public void run() {
        Runtimes.Kind kind = runtime.get();
        Path img = source.get() == InputSource.IMAGE ? image.get() : null;
        start("Running " + name(), kind, () -> {
            InputSpec in = input();
            Path m = model.get();
            int n = threads.get();
            return (p, c) -> {
                InferenceService.RunResult r = service.run(m, kind, in, 5, n);
                return new RunView(String.format(java.util.Locale.ROOT,
                        "%s on %s: %.2f ms, input %s%s", m.getFileName(), DisplayNames.runtime(r.runtime()),
                        r.wallMs(), r.source(), r.label() >= 0 ? ", label " + r.label()
                                + (r.labelName() == null ? "" : " (" + r.labelName() + ")") : ""), r.top(), r.outputs(),
                        HeatMap.of(r), img);
            };
        }, (m, made, r) -> runResults.put(m, new Outcome<>(r, made)));
    }

    public void benchmark() {
        Runtimes.Kind kind = compareRuntimes.get() ? null : runtime.get();
        start("Benchmarking " + name(), kind, () -> {
            InputSpec in = input();
            List<Integer> b = parseBatches(batches.get());
            List<Runtimes.Kind> kinds = kind == null ? List.of(Runtimes.Kind.ORT, Runtimes.Kind.ENGINE) : List.of(kind);
            int r = Math.max(1, runs.get());
            Path m = model.get();
            return (p, c) -> service.bench(m, kinds, b, List.of(threads.get()), Math.max(1, r / 5), r, in, p, c);
        }, (m, made, results) -> benches.put(m, new Outcome<>(List.copyOf(results), made)));
    }

    public void profile() {
        Runtimes.Kind kind = runtime.get();
        start("Profiling " + name(), kind, () -> {
            InputSpec in = input();
            Path m = model.get();
            return (p, c) -> service.profile(m, kind, in, threads.get(), p, c);
        }, (m, made, nodes) -> profiles.put(m, new Outcome<>(new ProfileView(OpShare.of(nodes), nodes.stream()
                .sorted(Comparator.comparingLong(NodeTiming::nanos).reversed()).limit(15).toList()), made)));
    }

    private interface Done<T> {
        void accept(Path model, Provenance made, T result);
    }

    private interface JobFactory<T> {
        TaskRunner.Job<T> create();
    }

    private <T> void start(String title, Runtimes.Kind kind, JobFactory<T> factory, Done<T> done) {
        if (!canRun.get()) {
            return;
        }
        Path m = model.get();
        errors.put(m, null);
        TaskRunner.Job<T> job;
        try {
            job = factory.create();
        } catch (IllegalArgumentException e) {
            errors.put(m, GuiMessages.of(e));
            return;
        }
        Provenance made = Provenance.now(m, settingsLine(kind));
        workspace.mark(title);
        workspace.submit(tasks, m, title, job, r -> {
            workspace.mark(title + ": done");
            done.accept(m, made, r);
        }, ex -> {
            workspace.mark(title + ": failed");
            errors.put(m, GuiMessages.of(ex));
        });
    }

    private String name() {
        return model.get() == null ? "" : model.get().getFileName().toString();
    }

    /** A data set to take the sample at the chosen index from: an IDX file or ({@code folder}) a data folder. */
    public void chooseDataset(boolean folder) {
        dialogs.chooseData(folder, Optional.ofNullable(dataset.get()).map(Path::getParent)).ifPresent(p -> {
            dataset.set(p);
            source.set(InputSource.DATASET);
        });
    }

    public void chooseImage() {
        dialogs.chooseData(false, Optional.ofNullable(image.get()).map(Path::getParent)).ifPresent(this::useImage);
    }

    /** An image dropped on the pane or chosen in a dialog becomes the input. */
    public void useImage(Path p) {
        image.set(p);
        source.set(InputSource.IMAGE);
    }

    /** Writes the benchmark table as JSON or CSV where the user chooses. */
    public void exportBenchmark(boolean csv) {
        if (benchResults.isEmpty()) {
            return;
        }
        dialogs.chooseSaveFile("Export benchmark", Path.of("benchmark." + (csv ? "csv" : "json"))).ifPresent(p -> {
            try {
                BenchExport.write(p, List.copyOf(benchResults), csv, benches.get().provenance().model());
            } catch (java.io.IOException e) {
                errors.putCurrent("Cannot write " + p + ": " + e.getMessage());
            }
        });
    }

    /** Latency samples of the selected configuration, binned for the histogram. */
    public long[] latencyHistogram(BenchResult r, int bins) {
        return OpShare.histogram(r.samplesMs(), bins);
    }

    public ObservableList<Path> models() { return workspace.openModels(); }
    /** The model the pane works on: the workbench's current model. */
    public ReadOnlyObjectProperty<Path> modelProperty() { return model; }
    /** Which model and settings produced the benchmark table shown. */
    public ReadOnlyStringProperty runProvenanceProperty() { return runProvenance.getReadOnlyProperty(); }
    public ReadOnlyStringProperty benchProvenanceProperty() { return benchProvenance.getReadOnlyProperty(); }
    public ReadOnlyStringProperty benchRatiosProperty() { return benchRatios.getReadOnlyProperty(); }
    /** Which model and settings produced the profile shown. */
    public ReadOnlyStringProperty profileProvenanceProperty() { return profileProvenance.getReadOnlyProperty(); }
    public ObjectProperty<Runtimes.Kind> runtimeProperty() { return runtime; }
    public ObjectProperty<InputSource> sourceProperty() { return source; }
    public ObjectProperty<Path> datasetProperty() { return dataset; }
    public IntegerProperty indexProperty() { return index; }
    public ObjectProperty<Path> imageProperty() { return image; }
    public StringProperty scaleProperty() { return scale; }
    public StringProperty meanProperty() { return mean; }
    public StringProperty stdProperty() { return std; }
    public StringProperty batchesProperty() { return batches; }
    public IntegerProperty threadsProperty() { return threads; }
    public IntegerProperty runsProperty() { return runs; }
    public BooleanProperty compareRuntimesProperty() { return compareRuntimes; }
    public ReadOnlyStringProperty runSummaryProperty() { return runSummary.getReadOnlyProperty(); }
    public ObservableList<InferenceService.Prediction> predictions() { return predictions; }
    /** Every output of the shown run: name, type, shape, min/max/mean, first values. */
    public ObservableList<org.polaris.workbench.engine.inference.OutputSummary> outputs() { return outputs; }
    /** The shown run's first map-like output, or null. */
    public javafx.beans.property.ReadOnlyObjectProperty<HeatMap> heatMapProperty() { return heatMap.getReadOnlyProperty(); }
    /** The image the shown run was fed (the heat map is drawn over it), or null. */
    public javafx.beans.property.ReadOnlyObjectProperty<Path> heatMapImageProperty() { return heatMapImage.getReadOnlyProperty(); }
    public ObservableList<BenchResult> benchResults() { return benchResults; }
    public ObjectProperty<BenchResult> selectedBenchProperty() { return selectedBench; }
    public ObservableList<OpShare> opShares() { return opShares; }
    public ObservableList<NodeTiming> slowestNodes() { return slowestNodes; }
    public ReadOnlyStringProperty errorProperty() { return error.getReadOnlyProperty(); }
    public BooleanBinding canRunProperty() { return canRun; }
}
