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
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.data.InputPlan;
import org.polaris.workbench.engine.quant.Calibration;
import org.polaris.workbench.engine.quant.IntType;
import org.polaris.workbench.engine.quant.QuantEvaluator;
import org.polaris.workbench.engine.quant.QuantOptions;
import org.polaris.workbench.engine.quant.QuantReport;
import org.polaris.workbench.engine.quant.QuantRequest;
import org.polaris.workbench.engine.quant.Quantizer;
import org.polaris.workbench.ui.common.DialogService;
import org.polaris.workbench.ui.common.GuiMessages;
import org.polaris.workbench.ui.common.JobForm;
import org.polaris.workbench.ui.common.Outcome;
import org.polaris.workbench.ui.common.PerModel;
import org.polaris.workbench.ui.common.Provenance;
import org.polaris.workbench.ui.common.OutputFolder;
import org.polaris.workbench.ui.common.SettingsStore;
import org.polaris.workbench.ui.common.TaskRunner;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/** State and actions of the Quantize pane. */
public final class QuantizeViewModel {

    private final Quantizer service;
    private final TaskRunner tasks;
    private final DialogService dialogs;
    private final SettingsStore settings;
    private final Workspace workspace;

    private final ReadOnlyObjectProperty<Path> model;
    private final JobForm form;
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
    private final BooleanProperty sensitivity = new SimpleBooleanProperty(false);
    private final BooleanProperty speedCheck = new SimpleBooleanProperty(true);
    /** Time budget of the accuracy-based sensitivity ranking when it is switched on. */
    static final double SENSITIVITY_BUDGET_SECONDS = 30;

    private final ObservableList<LayerRow> layers = FXCollections.observableArrayList();
    private final ObjectProperty<LayerRow> selectedLayer = new SimpleObjectProperty<>();
    private final ReadOnlyObjectWrapper<HistogramData> histogram =
            new ReadOnlyObjectWrapper<>(HistogramData.empty("Run quantization, then select a layer"));
    private final ObservableList<String[]> resultCard = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper warning = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper provenance = new ReadOnlyStringWrapper("");
    private final ReadOnlyObjectWrapper<QuantReport> result = new ReadOnlyObjectWrapper<>();
    private final PerModel<Outcome<QuantReport>> results;
    private final PerModel<String> errors;
    private final BooleanBinding canQuantize;

    public QuantizeViewModel(Quantizer service, TaskRunner tasks, DialogService dialogs, SettingsStore settings,
                             Workspace workspace) {
        this.service = service;
        this.tasks = tasks;
        this.dialogs = dialogs;
        this.settings = settings;
        this.workspace = workspace;
        this.model = workspace.currentProperty();
        this.form = new JobForm(settings, dialogs, 2000);
        this.results = new PerModel<>(workspace);
        this.errors = new PerModel<>(workspace);
        var s = settings.get();
        Optional.ofNullable(s.quantCalibrationData).map(Path::of).filter(Files::exists).ifPresent(calibData::set);
        Optional.ofNullable(s.quantEvaluationData).map(Path::of).filter(Files::exists).ifPresent(form.evalDataProperty()::set);
        speedCheck.set(s.quantSpeedCheck);
        try {
            calibration.set(Calibration.parse(s.quantCalibration == null ? "percentile" : s.quantCalibration).method());
        } catch (IllegalArgumentException ignored) {
            // a hand-edited settings file: keep the default
        }
        model.addListener((o, a, b) -> form.modelChanged(b, tag()));
        bits.addListener((o, a, b) -> {
            if (b == 4) {
                mode.set(QuantOptions.Mode.WEIGHT_ONLY);
            }
            form.suggest(model.get(), tag());
        });
        mode.addListener((o, a, b) -> form.suggest(model.get(), tag()));
        selectedLayer.addListener((o, a, row) -> showHistogram(row));
        results.shownProperty().addListener((o, a, r) -> show(r));
        error.bind(javafx.beans.binding.Bindings.createStringBinding(() ->
                errors.get() == null ? "" : errors.get(), errors.shownProperty()));
        // an error about settings goes once they change
        javafx.beans.InvalidationListener stale = x -> errors.putCurrent(null);
        for (javafx.beans.Observable p : form.inputs()) {
            p.addListener(stale);
        }
        for (javafx.beans.Observable p : new javafx.beans.Observable[] {mode, bits, perChannel, symmetric, calibration,
                percentile, blockSize, int4Format, calibData, calibSamples}) {
            p.addListener(stale);
        }
        canQuantize = Bindings.createBooleanBinding(() -> model.get() != null && form.outputProperty().get() != null
                && !tasks.runningProperty().get(), model, form.outputProperty(), tasks.runningProperty());
        form.suggest(model.get(), tag());
    }

    private String tag() {
        return mode.get() == QuantOptions.Mode.FP16 ? "fp16" : bits.get() == 4 ? "int4"
                : mode.get() == QuantOptions.Mode.WEIGHT_ONLY ? "w8" : "int8";
    }

    /** Makes {@code m} the workbench's current model (the chooser). */
    /** The current model's Inputs table (shapes and sources), shared with the other panes. */
    public javafx.beans.property.ReadOnlyObjectProperty<org.polaris.workbench.ui.common.ModelInputs> inputsProperty() {
        return workspace.currentInputsProperty();
    }

    public void selectModel(Path m) {
        workspace.select(m);
    }

    public void chooseOutput() {
        form.chooseOutput("Save quantized model as", "quantized.onnx");
    }

    public void chooseCalibrationData(boolean folder) {
        form.chooseData(calibData, folder);
    }

    public void chooseEvaluationData(boolean folder) {
        form.chooseData(form.evalDataProperty(), folder);
    }

    /** Runs the job in the background; the result card, layer table and histogram fill in when it succeeds. */
    public void quantize() {
        if (!canQuantize.get()) {
            return;
        }
        Path m = model.get();
        errors.put(m, null);
        rememberSettings();
        QuantRequest request;
        InputPlan.Request inputs;
        try {
            request = request();
            inputs = workspace.inputs(m).request(form.preprocessing());
        } catch (IllegalArgumentException e) {
            errors.put(m, GuiMessages.of(e));
            return;
        }
        String shapes = workspace.inputs(m).summary();
        Provenance made = Provenance.now(m, settingsLine(request) + (shapes.isEmpty() ? "" : ", inputs " + shapes));
        workspace.submit(tasks, m, "Quantizing " + m.getFileName(),
                (progress, cancel) -> {
                    OutputFolder.prepare(request.output());
                    return service.run(withData(request, inputs), progress, cancel);
                },
                r -> {
                    form.written(m, tag());
                    results.put(m, new Outcome<>(r, made));
                    if (!r.sensitivity().isEmpty()) {
                        java.util.Map<String, Double> change = new java.util.LinkedHashMap<>();
                        r.sensitivity().forEach((layer, sv) -> change.put(layer, 1 - sv.meanCosine()));
                        workspace.recordSensitivity(m, new Workspace.Sensitivity(change,
                                "output change when quantized alone (1 - cosine)", "quantize sensitivity scan, " + made.line()));
                    }
                },
                ex -> errors.put(m, GuiMessages.of(ex)));
    }

    /** "static int8, per channel, percentile 99.99 calibration on t10k.gz (200 samples)". */
    private String settingsLine(QuantRequest r) {
        QuantOptions o = r.options();
        String scheme = switch (o.mode()) {
            case FP16 -> "float16 storage";
            case WEIGHT_ONLY -> "weight-only int" + o.bits();
            case STATIC -> "static int" + o.bits() + ", " + (o.perChannel() ? "per channel" : "per tensor")
                    + ", " + o.calibration().toString().replace(':', ' ') + " calibration on "
                    + (calibData.get() == null ? "random inputs" : calibData.get().getFileName()
                    + " (" + r.calibrationSamples() + " samples)");
        };
        return scheme + ", ONNX Runtime";
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
        return new QuantRequest(model.get(), form.outputProperty().get(), form.outputChosen(), o, null,
                calibSamples.get(), null,
                new QuantEvaluator.Settings(form.evalSamplesProperty().get(), 100, 20, 1, 1), null, 0.9,
                sensitivity.get() ? SENSITIVITY_BUDGET_SECONDS : 0, speedCheck.get());
    }

    private QuantRequest withData(QuantRequest r, InputPlan.Request inputs) throws Exception {
        InputData calib = JobForm.open(r.model(), inputs, calibData.get(), r.calibrationSamples());
        Path evalPath = form.evalDataProperty().get() != null ? form.evalDataProperty().get() : calibData.get();
        InputData eval = JobForm.open(r.model(), inputs, evalPath, r.evalSettings().samples());
        return new QuantRequest(r.model(), r.output(), r.overwrite(), r.options(), calib, r.calibrationSamples(), eval,
                r.evalSettings(), null, r.minCosine(), r.sensitivitySeconds(), r.speedCheck());
    }

    private void rememberSettings() {
        var s = settings.get();
        s.quantCalibrationData = calibData.get() == null ? null : calibData.get().toString();
        s.quantEvaluationData = form.evalDataProperty().get() == null ? null : form.evalDataProperty().get().toString();
        s.quantCalibration = new Calibration(calibration.get(), percentile.get()).toString();
        s.quantSpeedCheck = speedCheck.get();
        settings.save();
    }

    /** Shows the current model's last result, or nothing. */
    private void show(Outcome<QuantReport> outcome) {
        QuantReport r = outcome == null ? null : outcome.result();
        result.set(r);
        selectedLayer.set(null);
        histogram.set(HistogramData.empty(r == null ? "Run quantization, then select a layer"
                : "Select a layer to see its input's calibrated range"));
        if (r == null) {
            layers.clear();
            resultCard.clear();
            warning.set("");
            provenance.set("");
            return;
        }
        provenance.set(outcome.provenance().line());
        layers.setAll(LayerRow.of(r));
        resultCard.setAll(ResultCard.rows(r));
        warning.set(GuiMessages.text(String.join("\n", r.warnings())));
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

    /** Shows the original and the last result side by side in the Compare pane, run on the evaluation data. */
    public void compareResult() {
        if (result.get() != null) {
            Path data = form.evalDataProperty().get() != null ? form.evalDataProperty().get() : calibData.get();
            workspace.compare(result.get().request().model(), result.get().request().output(), data);
        }
    }

    public ObservableList<Path> models() {
        return workspace.openModels();
    }

    /** The model the pane works on: the workbench's current model. */
    public ReadOnlyObjectProperty<Path> modelProperty() { return model; }
    public JobForm form() { return form; }
    /** Which model and settings produced the result shown. */
    public ReadOnlyStringProperty provenanceProperty() { return provenance.getReadOnlyProperty(); }
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
    public ObjectProperty<Path> evalDataProperty() { return form.evalDataProperty(); }
    public IntegerProperty evalSamplesProperty() { return form.evalSamplesProperty(); }
    public StringProperty scaleProperty() { return form.scaleProperty(); }
    public StringProperty meanProperty() { return form.meanProperty(); }
    public StringProperty stdProperty() { return form.stdProperty(); }
    public ReadOnlyObjectProperty<Path> outputProperty() { return form.outputProperty(); }
    public ObservableList<LayerRow> layers() { return layers; }
    public ObjectProperty<LayerRow> selectedLayerProperty() { return selectedLayer; }
    public ReadOnlyObjectProperty<HistogramData> histogramProperty() { return histogram.getReadOnlyProperty(); }
    public ObservableList<String[]> resultCard() { return resultCard; }
    public ReadOnlyStringProperty warningProperty() { return warning.getReadOnlyProperty(); }
    public ReadOnlyStringProperty errorProperty() { return error.getReadOnlyProperty(); }
    public ReadOnlyObjectProperty<QuantReport> resultProperty() { return result.getReadOnlyProperty(); }
    public BooleanBinding canQuantizeProperty() { return canQuantize; }
}
