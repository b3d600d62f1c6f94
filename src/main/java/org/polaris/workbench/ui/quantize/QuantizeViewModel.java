package org.polaris.workbench.ui.quantize;

import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.polaris.workbench.engine.data.DataSources;
import org.polaris.workbench.engine.data.Dataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.ValueType;
import org.polaris.workbench.engine.quant.Calibration;
import org.polaris.workbench.engine.quant.IntType;
import org.polaris.workbench.engine.quant.LayerReport;
import org.polaris.workbench.engine.quant.QuantEvaluator;
import org.polaris.workbench.engine.quant.QuantOptions;
import org.polaris.workbench.engine.quant.QuantReport;
import org.polaris.workbench.engine.quant.QuantRequest;
import org.polaris.workbench.engine.quant.QuantizeService;
import org.polaris.workbench.ui.common.DialogService;
import org.polaris.workbench.ui.common.OutputFolder;
import org.polaris.workbench.ui.common.OutputNames;
import org.polaris.workbench.ui.common.SettingsStore;
import org.polaris.workbench.ui.common.TaskRunner;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** State and actions of the Quantize pane. */
public final class QuantizeViewModel {

    private final QuantizeService service;
    private final TaskRunner tasks;
    private final DialogService dialogs;
    private final SettingsStore settings;
    private final Workspace workspace;

    private final ObjectProperty<Path> model = new SimpleObjectProperty<>();
    private final ObjectProperty<QuantOptions.Mode> mode = new SimpleObjectProperty<>(QuantOptions.Mode.STATIC);
    private final ObjectProperty<Integer> bits = new SimpleObjectProperty<>(8);
    private final BooleanProperty perChannel = new SimpleBooleanProperty(true);
    private final BooleanProperty symmetric = new SimpleBooleanProperty(false);
    private final ObjectProperty<Calibration.Method> calibration = new SimpleObjectProperty<>(Calibration.Method.PERCENTILE);
    private final DoubleProperty percentile = new SimpleDoubleProperty(Calibration.DEFAULT_PERCENTILE);
    private final ObjectProperty<Integer> blockSize = new SimpleObjectProperty<>(32);
    private final ObjectProperty<QuantOptions.Int4Format> int4Format =
            new SimpleObjectProperty<>(QuantOptions.Int4Format.MATMUL_NBITS);
    private final ObjectProperty<Path> calibData = new SimpleObjectProperty<>();
    private final IntegerProperty calibSamples = new SimpleIntegerProperty(200);
    private final ObjectProperty<Path> evalData = new SimpleObjectProperty<>();
    private final IntegerProperty evalSamples = new SimpleIntegerProperty(2000);
    private final StringProperty scale = new SimpleStringProperty("1/255");
    private final StringProperty mean = new SimpleStringProperty("0");
    private final StringProperty std = new SimpleStringProperty("1");
    private final ObjectProperty<Path> output = new SimpleObjectProperty<>();
    private final BooleanProperty sensitivity = new SimpleBooleanProperty(false);
    private final BooleanProperty speedCheck = new SimpleBooleanProperty(true);
    /** Time budget of the accuracy-based sensitivity ranking when it is switched on. */
    static final double SENSITIVITY_BUDGET_SECONDS = 30;
    private boolean outputConfirmed;

    private final ObservableList<LayerRow> layers = FXCollections.observableArrayList();
    private final ObjectProperty<LayerRow> selectedLayer = new SimpleObjectProperty<>();
    private final ReadOnlyObjectWrapper<HistogramData> histogram =
            new ReadOnlyObjectWrapper<>(HistogramData.empty("Run quantization, then select a layer"));
    private final ObservableList<String[]> resultCard = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper warning = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final ReadOnlyObjectWrapper<QuantReport> result = new ReadOnlyObjectWrapper<>();
    private final BooleanBinding canQuantize;

    public QuantizeViewModel(QuantizeService service, TaskRunner tasks, DialogService dialogs, SettingsStore settings,
                             Workspace workspace) {
        this.service = service;
        this.tasks = tasks;
        this.dialogs = dialogs;
        this.settings = settings;
        this.workspace = workspace;
        var s = settings.get();
        Optional.ofNullable(s.quantCalibrationData).map(Path::of).filter(Files::exists).ifPresent(calibData::set);
        Optional.ofNullable(s.quantEvaluationData).map(Path::of).filter(Files::exists).ifPresent(evalData::set);
        speedCheck.set(s.quantSpeedCheck);
        try {
            calibration.set(Calibration.parse(s.quantCalibration == null ? "percentile" : s.quantCalibration).method());
        } catch (IllegalArgumentException ignored) {
            // a hand-edited settings file: keep the default
        }
        if (!workspace.openModels().isEmpty()) {
            model.set(workspace.openModels().get(workspace.openModels().size() - 1));
        }
        workspace.openModels().addListener((javafx.collections.ListChangeListener<Path>) c -> {
            if (model.get() == null && !workspace.openModels().isEmpty()) {
                model.set(workspace.openModels().get(workspace.openModels().size() - 1));
            }
        });
        model.addListener((o, a, b) -> {
            outputConfirmed = false;
            suggestOutput();
        });
        bits.addListener((o, a, b) -> {
            if (b == 4) {
                mode.set(QuantOptions.Mode.WEIGHT_ONLY);
            }
            suggestOutput();
        });
        mode.addListener((o, a, b) -> suggestOutput());
        selectedLayer.addListener((o, a, row) -> showHistogram(row));
        canQuantize = Bindings.createBooleanBinding(() -> model.get() != null && output.get() != null
                && !tasks.runningProperty().get(), model, output, tasks.runningProperty());
        suggestOutput();
    }

    /** OUT next to the model as NAME-int8.onnx (or -int4, -w8), numbered so that nothing is overwritten. */
    private void suggestOutput() {
        Path m = model.get();
        if (m == null) {
            output.set(null);
            return;
        }
        String tag = mode.get() == QuantOptions.Mode.FP16 ? "fp16" : bits.get() == 4 ? "int4"
                : mode.get() == QuantOptions.Mode.WEIGHT_ONLY ? "w8" : "int8";
        if (outputConfirmed && output.get() != null) {
            // a file the user chose with "Save as…" is never replaced by a suggestion
            return;
        }
        output.set(OutputNames.in(OutputFolder.current(settings), m, tag));
        outputConfirmed = false;
    }

    public void chooseOutput() {
        Path suggested = output.get() != null ? output.get() : Path.of("quantized.onnx");
        dialogs.chooseSaveFile("Save quantized model as", suggested).ifPresent(p -> {
            output.set(p);
            // The system save dialog has already asked before replacing an existing file.
            outputConfirmed = true;
            OutputFolder.remember(settings, p);
        });
    }

    public void chooseCalibrationData(boolean folder) {
        dialogs.chooseData(folder, Optional.ofNullable(calibData.get()).map(Path::getParent)).ifPresent(calibData::set);
    }

    public void chooseEvaluationData(boolean folder) {
        dialogs.chooseData(folder, Optional.ofNullable(evalData.get()).map(Path::getParent)).ifPresent(evalData::set);
    }

    /** Runs the job in the background; the result card, layer table and histogram fill in when it succeeds. */
    public void quantize() {
        if (!canQuantize.get()) {
            return;
        }
        error.set("");
        QuantRequest request;
        try {
            request = request();
        } catch (IllegalArgumentException e) {
            error.set(e.getMessage());
            return;
        }
        rememberSettings();
        tasks.submit("Quantizing " + model.get().getFileName(),
                (progress, cancel) -> {
                    OutputFolder.prepare(request.output());
                    return service.run(withData(request), progress, cancel);
                },
                this::show,
                ex -> error.set(ex.getMessage() == null ? ex.toString() : ex.getMessage()));
    }

    private QuantRequest request() {
        Set<String> exclude = new LinkedHashSet<>();
        Set<String> weightsOnly = new LinkedHashSet<>();
        layers.stream().filter(r -> r.keepFloatProperty().get()).forEach(r -> exclude.add(r.name()));
        layers.stream().filter(r -> r.weightOnlyProperty().get()).forEach(r -> weightsOnly.add(r.name()));
        Calibration cal = new Calibration(calibration.get(), percentile.get());
        QuantOptions.Mode m = mode.get() == QuantOptions.Mode.STATIC && bits.get() == 4 ? QuantOptions.Mode.WEIGHT_ONLY : mode.get();
        QuantOptions o = new QuantOptions(m, m == QuantOptions.Mode.FP16 ? 16 : bits.get(),
                perChannel.get(), symmetric.get(), symmetric.get() ? IntType.INT8 : IntType.UINT8, true,
                blockSize.get(), int4Format.get(), cal, exclude, weightsOnly);
        // Data sets are opened on the worker thread (reading 10,000 images is not for the FX thread).
        return new QuantRequest(model.get(), output.get(), outputConfirmed, o, null, calibSamples.get(), null,
                new QuantEvaluator.Settings(evalSamples.get(), 100, 20, 1, 1), null, 0.9,
                sensitivity.get() ? SENSITIVITY_BUDGET_SECONDS : 0, speedCheck.get());
    }

    private QuantRequest withData(QuantRequest r) throws Exception {
        OnnxModel m = new OnnxModelReader().read(r.model());
        ValueType input = m.graph().feedInputs().isEmpty() ? null : m.graph().feedInputs().get(0).type();
        Preprocessing pre = new Preprocessing(DataSources.parseScale(scale.get()),
                DataSources.parseList(mean.get(), "mean"), DataSources.parseList(std.get(), "std"), 0, 0, "NCHW");
        Dataset calib = DataSources.open(calibData.get(), pre, r.calibrationSamples(), input);
        Path evalPath = evalData.get() != null ? evalData.get() : calibData.get();
        Dataset eval = DataSources.open(evalPath, pre, evalSamples.get(), input);
        return new QuantRequest(r.model(), r.output(), r.overwrite(), r.options(), calib, r.calibrationSamples(), eval,
                r.evalSettings(), null, r.minCosine(), r.sensitivitySeconds(), r.speedCheck());
    }

    private void rememberSettings() {
        var s = settings.get();
        s.quantCalibrationData = calibData.get() == null ? null : calibData.get().toString();
        s.quantEvaluationData = evalData.get() == null ? null : evalData.get().toString();
        s.quantCalibration = new Calibration(calibration.get(), percentile.get()).toString();
        s.quantSpeedCheck = speedCheck.get();
        settings.save();
    }

    private void show(QuantReport r) {
        result.set(r);
        Set<String> kept = r.request().options().exclude();
        Set<String> weightsOnly = r.request().options().weightOnly();
        List<LayerReport> byRisk = r.layers().stream().filter(l -> l.bits() < 32)
                .sorted(Comparator.comparingDouble(l -> Double.isNaN(l.sqnrDb()) ? Double.MAX_VALUE : l.sqnrDb()))
                .toList();
        // Measured accuracy sensitivity ranks layers when it ran; otherwise the weight SQNR does.
        layers.setAll(r.layers().stream().map(l -> new LayerRow(l,
                r.sensitivity().isEmpty() ? byRisk.indexOf(l) + 1 : r.sensitivityRank(l.name()),
                kept.contains(l.name()), weightsOnly.contains(l.name()))).toList());
        resultCard.setAll(ResultCard.rows(r));
        warning.set(String.join("\n", r.warnings()));
        selectedLayer.set(null);
        histogram.set(HistogramData.empty("Select a layer to see its input's calibrated range"));
        // the file just written is done with: the next run gets a fresh name
        outputConfirmed = false;
        suggestOutput();
    }

    private void showHistogram(LayerRow row) {
        QuantReport r = result.get();
        if (row == null || r == null) {
            histogram.set(HistogramData.empty("Select a layer to see its input's calibrated range"));
            return;
        }
        histogram.set(r.activations().stream().filter(a -> a.tensor().equals(row.report().input())).findFirst()
                .map(a -> new HistogramData(row.name() + " input " + a.tensor(), a.observedMin(), a.observedMax(),
                        a.histogram(), a.rangeMin(), a.rangeMax()))
                .orElse(HistogramData.empty(row.name() + ": input not quantized (weight-only or kept in float)")));
    }

    public void cancel() {
        tasks.cancelAll();
    }

    /** Opens the last result in the Models pane. */
    public void openResult() {
        if (result.get() != null) {
            workspace.open(result.get().request().output());
        }
    }

    public ObservableList<Path> models() {
        return workspace.openModels();
    }

    public ObjectProperty<Path> modelProperty() { return model; }
    public ObjectProperty<QuantOptions.Mode> modeProperty() { return mode; }
    public ObjectProperty<Integer> bitsProperty() { return bits; }
    public BooleanProperty perChannelProperty() { return perChannel; }
    public BooleanProperty symmetricProperty() { return symmetric; }
    public BooleanProperty sensitivityProperty() { return sensitivity; }
    /** Static mode: time few-channel stem convolutions both ways and keep the faster (on by default). */
    public BooleanProperty speedCheckProperty() { return speedCheck; }
    public ObjectProperty<Calibration.Method> calibrationProperty() { return calibration; }
    public DoubleProperty percentileProperty() { return percentile; }
    public ObjectProperty<Integer> blockSizeProperty() { return blockSize; }
    public ObjectProperty<QuantOptions.Int4Format> int4FormatProperty() { return int4Format; }
    public ObjectProperty<Path> calibDataProperty() { return calibData; }
    public IntegerProperty calibSamplesProperty() { return calibSamples; }
    public ObjectProperty<Path> evalDataProperty() { return evalData; }
    public IntegerProperty evalSamplesProperty() { return evalSamples; }
    public StringProperty scaleProperty() { return scale; }
    public StringProperty meanProperty() { return mean; }
    public StringProperty stdProperty() { return std; }
    public ReadOnlyObjectProperty<Path> outputProperty() { return output; }
    public ObservableList<LayerRow> layers() { return layers; }
    public ObjectProperty<LayerRow> selectedLayerProperty() { return selectedLayer; }
    public ReadOnlyObjectProperty<HistogramData> histogramProperty() { return histogram.getReadOnlyProperty(); }
    public ObservableList<String[]> resultCard() { return resultCard; }
    public ReadOnlyStringProperty warningProperty() { return warning.getReadOnlyProperty(); }
    public ReadOnlyStringProperty errorProperty() { return error.getReadOnlyProperty(); }
    public ReadOnlyObjectProperty<QuantReport> resultProperty() { return result.getReadOnlyProperty(); }
    public BooleanBinding canQuantizeProperty() { return canQuantize; }
}
