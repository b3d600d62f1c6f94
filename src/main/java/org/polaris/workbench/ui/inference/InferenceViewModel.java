package org.polaris.workbench.ui.inference;

import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
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
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.inference.BenchResult;
import org.polaris.workbench.engine.inference.InferenceService;
import org.polaris.workbench.engine.inference.InputSpec;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.runtime.NodeTiming;
import org.polaris.workbench.ui.common.DialogService;
import org.polaris.workbench.ui.common.TaskRunner;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** State and actions of the Inference pane: run once, benchmark, profile. */
public final class InferenceViewModel {

    /** Where the input comes from. */
    public enum Source { RANDOM, DATASET, IMAGE }

    /** One op type's share of a profiled run. */
    public record OpShare(String opType, double ms, double share, int nodes) {
    }

    private final InferenceService service;
    private final TaskRunner tasks;
    private final DialogService dialogs;
    private final Workspace workspace;

    private final ObjectProperty<Path> model = new SimpleObjectProperty<>();
    private final ObjectProperty<Runtimes.Kind> runtime = new SimpleObjectProperty<>(Runtimes.Kind.ORT);
    private final ObjectProperty<Source> source = new SimpleObjectProperty<>(Source.RANDOM);
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
    private final ObservableList<BenchResult> benchResults = FXCollections.observableArrayList();
    private final ObjectProperty<BenchResult> selectedBench = new SimpleObjectProperty<>();
    private final ObservableList<OpShare> opShares = FXCollections.observableArrayList();
    private final ObservableList<NodeTiming> slowestNodes = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final BooleanBinding canRun;

    public InferenceViewModel(InferenceService service, TaskRunner tasks, DialogService dialogs, Workspace workspace) {
        this.service = service;
        this.tasks = tasks;
        this.dialogs = dialogs;
        this.workspace = workspace;
        if (!workspace.openModels().isEmpty()) {
            model.set(workspace.openModels().get(workspace.openModels().size() - 1));
        }
        workspace.openModels().addListener((javafx.collections.ListChangeListener<Path>) c -> {
            if (model.get() == null && !workspace.openModels().isEmpty()) {
                model.set(workspace.openModels().get(workspace.openModels().size() - 1));
            }
        });
        canRun = Bindings.createBooleanBinding(() -> model.get() != null && !tasks.runningProperty().get(), model,
                tasks.runningProperty());
    }

    private InputSpec input() {
        Preprocessing pre = new Preprocessing(DataSources.parseScale(scale.get()), DataSources.parseList(mean.get(), "mean"),
                DataSources.parseList(std.get(), "std"), 0, 0, "NCHW");
        return switch (source.get()) {
            case RANDOM -> new InputSpec(null, null, 0, pre);
            case DATASET -> new InputSpec(null, require(dataset.get(), "choose an IDX file"), index.get(), pre);
            case IMAGE -> new InputSpec(require(image.get(), "choose an image"), null, 0, pre);
        };
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
        start("Running " + name(), () -> {
            InputSpec in = input();
            return (p, c) -> service.run(model.get(), runtime.get(), in, 5, threads.get());
        }, r -> {
            predictions.setAll(r.top());
            runSummary.set(String.format(java.util.Locale.ROOT, "%s on %s: %.2f ms, input %s%s", name(), r.runtime(),
                    r.wallMs(), r.source(), r.label() >= 0 ? ", label " + r.label()
                            + (r.labelName() == null ? "" : " (" + r.labelName() + ")") : ""));
        });
    }

    public void benchmark() {
        start("Benchmarking " + name(), () -> {
            InputSpec in = input();
            List<Integer> b = parseBatches(batches.get());
            List<Runtimes.Kind> kinds = compareRuntimes.get() ? List.of(Runtimes.Kind.ORT, Runtimes.Kind.ENGINE)
                    : List.of(runtime.get());
            int r = Math.max(1, runs.get());
            return (p, c) -> service.bench(model.get(), kinds, b, List.of(threads.get()), Math.max(1, r / 5), r, in, p, c);
        }, results -> {
            benchResults.setAll(results);
            selectedBench.set(results.isEmpty() ? null : results.get(0));
        });
    }

    public void profile() {
        start("Profiling " + name(), () -> {
            InputSpec in = input();
            return (p, c) -> service.profile(model.get(), runtime.get(), in, threads.get(), p, c);
        }, nodes -> {
            long total = Math.max(1, nodes.stream().mapToLong(NodeTiming::nanos).sum());
            Map<String, long[]> byOp = new LinkedHashMap<>();
            nodes.forEach(n -> {
                long[] a = byOp.computeIfAbsent(n.opType(), k -> new long[2]);
                a[0] += n.nanos();
                a[1]++;
            });
            List<OpShare> shares = new ArrayList<>();
            byOp.forEach((op, a) -> shares.add(new OpShare(op, a[0] / 1e6, (double) a[0] / total, (int) a[1])));
            shares.sort(Comparator.comparingDouble(OpShare::ms).reversed());
            opShares.setAll(shares);
            slowestNodes.setAll(nodes.stream().sorted(Comparator.comparingLong(NodeTiming::nanos).reversed()).limit(15).toList());
        });
    }

    private interface JobFactory<T> {
        TaskRunner.Job<T> create();
    }

    private <T> void start(String title, JobFactory<T> factory, java.util.function.Consumer<T> done) {
        if (!canRun.get()) {
            return;
        }
        error.set("");
        TaskRunner.Job<T> job;
        try {
            job = factory.create();
        } catch (IllegalArgumentException e) {
            error.set(e.getMessage());
            return;
        }
        workspace.mark(title);
        tasks.submit(title, job, r -> {
            workspace.mark(title + ": done");
            done.accept(r);
        }, ex -> {
            workspace.mark(title + ": failed");
            error.set(ex.getMessage() == null ? ex.toString() : ex.getMessage());
        });
    }

    private String name() {
        return model.get() == null ? "" : model.get().getFileName().toString();
    }

    public void chooseDataset() {
        dialogs.chooseData(false, Optional.ofNullable(dataset.get()).map(Path::getParent)).ifPresent(p -> {
            dataset.set(p);
            source.set(Source.DATASET);
        });
    }

    public void chooseImage() {
        dialogs.chooseData(false, Optional.ofNullable(image.get()).map(Path::getParent)).ifPresent(this::useImage);
    }

    /** An image dropped on the pane or chosen in a dialog becomes the input. */
    public void useImage(Path p) {
        image.set(p);
        source.set(Source.IMAGE);
    }

    /** Writes the benchmark table as JSON or CSV where the user chooses. */
    public void exportBenchmark(boolean csv) {
        if (benchResults.isEmpty()) {
            return;
        }
        dialogs.chooseSaveFile("Export benchmark", Path.of("benchmark." + (csv ? "csv" : "json"))).ifPresent(p -> {
            try {
                BenchExport.write(p, List.copyOf(benchResults), csv, model.get());
            } catch (java.io.IOException e) {
                error.set("cannot write " + p + ": " + e.getMessage());
            }
        });
    }

    /** Latency samples of the selected configuration, binned for the histogram. */
    public long[] latencyHistogram(BenchResult r, int bins) {
        double[] s = r.samplesMs();
        double lo = Arrays.stream(s).min().orElse(0);
        double hi = Arrays.stream(s).max().orElse(0);
        long[] h = new long[bins];
        for (double v : s) {
            int b = hi > lo ? (int) ((v - lo) / (hi - lo) * bins) : 0;
            h[Math.min(bins - 1, b)]++;
        }
        return h;
    }

    public ObservableList<Path> models() { return workspace.openModels(); }
    public ObjectProperty<Path> modelProperty() { return model; }
    public ObjectProperty<Runtimes.Kind> runtimeProperty() { return runtime; }
    public ObjectProperty<Source> sourceProperty() { return source; }
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
    public ObservableList<BenchResult> benchResults() { return benchResults; }
    public ObjectProperty<BenchResult> selectedBenchProperty() { return selectedBench; }
    public ObservableList<OpShare> opShares() { return opShares; }
    public ObservableList<NodeTiming> slowestNodes() { return slowestNodes; }
    public ReadOnlyStringProperty errorProperty() { return error.getReadOnlyProperty(); }
    public BooleanBinding canRunProperty() { return canRun; }
}
