package org.polaris.workbench.ui.sparsity;

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
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.data.InputPlan;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.quant.QuantEvaluator;
import org.polaris.workbench.engine.sparsity.Allocation;
import org.polaris.workbench.engine.sparsity.MaskMap;
import org.polaris.workbench.engine.sparsity.PruneMethod;
import org.polaris.workbench.engine.sparsity.PrunableLayers;
import org.polaris.workbench.engine.sparsity.PruneService;
import org.polaris.workbench.engine.sparsity.Pruner;
import org.polaris.workbench.engine.sparsity.SensitivityScan;
import org.polaris.workbench.engine.sparsity.SparseBench;
import org.polaris.workbench.ui.common.DialogService;
import org.polaris.workbench.ui.common.DisplayNames;
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
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * State and actions of the Sparsity pane: the model's prunable layers, a per-layer sensitivity scan, the measured
 * dense/CSR/BSR crossover for the selected layer's shape, its mask, and pruning with before/after comparison.
 */
public final class SparsityViewModel {

    /** Methods offered in the pane, as the CLI spells them. */
    public static final List<String> METHODS = List.of("magnitude", "nm:2:4", "nm:4:8", "block:4x4", "block:8x8",
            "channel", "channel:l1");
    static final double[] CROSSOVER_SPARSITIES = {0.5, 0.7, 0.8, 0.9, 0.95};

    private final PruneService service;
    private final TaskRunner tasks;
    private final DialogService dialogs;
    private final SettingsStore settings;
    private final Workspace workspace;

    private final ReadOnlyObjectProperty<Path> model;
    private final JobForm form;
    private final StringProperty method = new SimpleStringProperty("magnitude");
    private final DoubleProperty sparsity = new SimpleDoubleProperty(0.5);
    private final StringProperty scope = new SimpleStringProperty("auto");
    private final ObjectProperty<Allocation.Strategy> allocation = new SimpleObjectProperty<>(Allocation.Strategy.UNIFORM);
    private final BooleanProperty sparseStorage = new SimpleBooleanProperty(true);
    private final BooleanProperty quantizeInt8 = new SimpleBooleanProperty(false);
    private final BooleanProperty refit = new SimpleBooleanProperty(false);
    /** Samples the re-fit uses; null: the evaluation data (the report then calls the accuracy optimistic). */
    private final ObjectProperty<Path> refitData = new SimpleObjectProperty<>();
    /** Calibration samples the re-fit reads at most. */
    static final int REFIT_SAMPLES = 5000;
    private final DoubleProperty tolerance = new SimpleDoubleProperty(1.0);

    private final ObservableList<SparsityRow> layers = FXCollections.observableArrayList();
    private final LayerMasks masks;
    private final PerModel<SensitivityScan.Result> sensitivities;
    private final ReadOnlyObjectWrapper<SparseBench.Result> crossover = new ReadOnlyObjectWrapper<>();
    private final ObservableList<String[]> resultCard = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper warning = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final ReadOnlyObjectWrapper<PruneService.Result> result = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyStringWrapper provenance = new ReadOnlyStringWrapper("");
    /** A pruning result with the pruned file's weights, for the masks. */
    private record Pruned(PruneService.Result result, Map<String, Tensor> after) {
    }
    private final PerModel<Outcome<Pruned>> results;
    private final PerModel<String> errors;
    private final BooleanBinding canRun;

    public SparsityViewModel(PruneService service, TaskRunner tasks, DialogService dialogs, SettingsStore settings,
                             Workspace workspace) {
        this.service = service;
        this.tasks = tasks;
        this.dialogs = dialogs;
        this.settings = settings;
        this.workspace = workspace;
        this.model = workspace.currentProperty();
        this.form = new JobForm(settings, dialogs, 1000);
        this.results = new PerModel<>(workspace);
        this.errors = new PerModel<>(workspace);
        this.sensitivities = new PerModel<>(workspace);
        this.masks = new LayerMasks(tasks, errors::putCurrent);
        var s = settings.get();
        Optional.ofNullable(s.sparsityEvaluationData).map(Path::of).filter(Files::exists)
                .ifPresent(form.evalDataProperty()::set);
        Optional.ofNullable(s.sparsityRefitData).map(Path::of).filter(Files::exists).ifPresent(refitData::set);
        refit.set(s.sparsityRefit);
        if (s.sparsityMethod != null && METHODS.contains(s.sparsityMethod)) {
            method.set(s.sparsityMethod);
        }
        if (s.sparsityTarget > 0 && s.sparsityTarget < 1) {
            sparsity.set(s.sparsityTarget);
        }
        model.addListener((o, a, b) -> {
            form.modelChanged(b, tag());
            loadLayers();
        });
        method.addListener((o, a, b) -> form.suggest(model.get(), tag()));
        error.bind(Bindings.createStringBinding(() -> errors.get() == null ? "" : errors.get(), errors.shownProperty()));
        javafx.beans.InvalidationListener stale = x -> errors.putCurrent(null);
        for (javafx.beans.Observable p : form.inputs()) {
            p.addListener(stale);
        }
        for (javafx.beans.Observable p : new javafx.beans.Observable[] {method, sparsity, scope, allocation,
                sparseStorage, quantizeInt8, refit, refitData, tolerance}) {
            p.addListener(stale);
        }
        canRun = Bindings.createBooleanBinding(() -> model.get() != null && form.outputProperty().get() != null
                && !tasks.runningProperty().get(), model, form.outputProperty(), tasks.runningProperty());
        form.suggest(model.get(), tag());
        loadLayers();
    }

    private String tag() {
        return method.get().startsWith("channel") ? "channels" : "pruned";
    }

    /** Makes {@code m} the workbench's current model (the chooser). */
    /** The current model's Inputs table (shapes and sources), shared with the other panes. */
    public javafx.beans.property.ReadOnlyObjectProperty<org.polaris.workbench.ui.common.ModelInputs> inputsProperty() {
        return workspace.currentInputsProperty();
    }

    public void selectModel(Path m) {
        workspace.select(m);
    }

    /** Reads the model in the background and lists its prunable layers with their current sparsity. */
    private void loadLayers() {
        Path m = model.get();
        layers.clear();
        crossover.set(null);
        masks.use(Map.of(), false);
        showResult(null);
        if (m == null) {
            return;
        }
        workspace.submit(tasks, m, "Reading layers of " + m.getFileName(), (progress, cancel) -> PrunableLayers.read(m),
                snapshot -> {
                    if (!m.equals(model.get())) {
                        return;
                    }
                    masks.use(snapshot.weights(), false);
                    layers.setAll(snapshot.layers().stream().map(SparsityRow::of).toList());
                    if (layers.isEmpty()) {
                        errors.put(m, m.getFileName() + " has no Conv, Gemm or MatMul layer with float32 weights to prune");
                    }
                    // this model's last pruning result, if it had one
                    showResult(results.get());
                }, ex -> errors.put(m, GuiMessages.of(ex)));
    }

    public void chooseEvaluationData(boolean folder) {
        form.chooseData(form.evalDataProperty(), folder);
    }

    public void chooseRefitData(boolean folder) {
        dialogs.chooseData(folder, Optional.ofNullable(refitData.get()).or(() -> Optional.ofNullable(evalDataProperty().get()))
                .map(Path::getParent)).ifPresent(refitData::set);
    }

    public void chooseOutput() {
        form.chooseOutput("Save pruned model as", "pruned.onnx");
    }

    /** Prunes each layer alone at a range of levels and charts accuracy against sparsity. */
    public void scanSensitivity() {
        Path m = model.get();
        if (m == null || tasks.runningProperty().get()) {
            return;
        }
        errors.put(m, null);
        PruneMethod pm;
        try {
            pm = PruneMethod.parse(method.get());
            if (pm.kind() == PruneMethod.Kind.CHANNEL) {
                pm = PruneMethod.parse("magnitude");
            }
        } catch (IllegalArgumentException e) {
            errors.put(m, GuiMessages.of(e));
            return;
        }
        PruneMethod scanMethod = pm;
        int n = Math.min(500, evalSamplesProperty().get());
        InputPlan.Request inputs;
        try {
            inputs = workspace.inputs(m).request(form.preprocessing());
        } catch (IllegalArgumentException e) {
            errors.put(m, GuiMessages.of(e));
            return;
        }
        Path scanData = evalDataProperty().get();
        workspace.submit(tasks, m, "Scanning layer sensitivity of " + m.getFileName(), (progress, cancel) ->
                        SensitivityScan.run(new OnnxModelReader().read(m), scanMethod,
                                new double[] {0.25, 0.5, 0.7, 0.8, 0.9, 0.95},
                                JobForm.open(m, inputs, scanData, n), n, progress, cancel),
                r -> {
                    sensitivities.put(m, r);
                    recordSensitivity(m, r);
                }, ex -> errors.put(m, GuiMessages.of(ex)));
    }

    /** Times dense, CSR and BSR products for the selected layer's shape at a few sparsities (batch 1). */
    public void measureCrossover() {
        SparsityRow row = masks.selectedProperty().get() != null ? masks.selectedProperty().get()
                : layers.isEmpty() ? null : layers.get(0);
        if (row == null || tasks.runningProperty().get()) {
            return;
        }
        int[] rc = Pruner.rowsCols(row.target().shape(), row.target().axis());
        Path m = model.get();
        workspace.submit(tasks, m, "Measuring the sparse crossover for " + rc[0] + " x " + rc[1], (progress, cancel) ->
                        new SparseBench(30_000_000L).run(rc[0], rc[1], CROSSOVER_SPARSITIES, new int[] {1}, progress, cancel),
                r -> {
                    if (m.equals(model.get())) {
                        crossover.set(r);
                    }
                }, ex -> errors.put(m, GuiMessages.of(ex)));
    }

    public void prune() {
        if (!canRun.get()) {
            return;
        }
        Path m = model.get();
        errors.put(m, null);
        PruneMethod pm;
        try {
            pm = PruneMethod.parse(method.get());
        } catch (IllegalArgumentException e) {
            errors.put(m, GuiMessages.of(e));
            return;
        }
        String sc = scope.get();
        if (sc.equals("auto")) {
            sc = pm.kind() == PruneMethod.Kind.MAGNITUDE && allocation.get() == Allocation.Strategy.UNIFORM ? "global" : "layer";
        }
        String finalScope = sc;
        Path out = form.outputProperty().get();
        boolean overwrite = form.outputChosen();
        double target = sparsity.get();
        boolean sparse = sparseStorage.get();
        boolean int8 = quantizeInt8.get();
        Allocation.Strategy alloc = allocation.get();
        int samples = evalSamplesProperty().get();
        boolean refitOn = refit.get() && pm.kind() != PruneMethod.Kind.CHANNEL;
        Path refitPath = refitData.get();
        Path evalPath = evalDataProperty().get();
        InputPlan.Request inputs;
        try {
            inputs = workspace.inputs(m).request(form.preprocessing());
        } catch (IllegalArgumentException e) {
            errors.put(m, GuiMessages.of(e));
            return;
        }
        String shapes = workspace.inputs(m).summary();
        rememberSettings();
        Provenance made = Provenance.now(m, String.format(Locale.ROOT, "%s to %.0f%%, %s scope, %s allocation%s%s",
                pm, 100 * target, finalScope, DisplayNames.allocation(alloc), int8 ? ", then int8" : "",
                refitOn ? ", re-fit" : "") + (shapes.isEmpty() ? "" : ", inputs " + shapes));
        workspace.submit(tasks, m, "Pruning " + m.getFileName(), (progress, cancel) -> {
            OutputFolder.prepare(out);
            InputData eval = JobForm.open(m, inputs, evalPath, samples);
            PruneService.Request req = new PruneService.Request(m, out, overwrite, pm, target, finalScope, Set.of(),
                    eval, new QuantEvaluator.Settings(samples, 100, 20, 1, 1),
                    out.resolveSibling(out.getFileName() + ".report.json"), sparse, 0, alloc, int8);
            if (refitOn) {
                req = req.withRefit(refitPath != null ? JobForm.open(m, inputs, refitPath, REFIT_SAMPLES) : eval, REFIT_SAMPLES);
            }
            PruneService.Result r = service.run(req, progress, cancel);
            return Map.entry(r, PrunableLayers.weights(out));
        }, e -> {
            form.written(m, tag());
            results.put(m, new Outcome<>(new Pruned(e.getKey(), e.getValue()), made));
            if (e.getKey().sensitivity() != null) {
                sensitivities.put(m, e.getKey().sensitivity());
                recordSensitivity(m, e.getKey().sensitivity());
            }
            showResult(results.get());
        }, ex -> errors.put(m, GuiMessages.of(ex)));
    }

    /** Shows a pruning result of the current model on its layer rows, card and mask, or clears them. */
    private void showResult(Outcome<Pruned> outcome) {
        if (outcome == null) {
            result.set(null);
            resultCard.clear();
            warning.set("");
            provenance.set("");
            return;
        }
        PruneService.Result r = outcome.result().result();
        provenance.set(outcome.provenance().line());
        result.set(r);
        Map<String, PruneService.Layer> byWeight = new HashMap<>();
        r.layers().forEach(l -> byWeight.put(l.name(), l));
        layers.replaceAll(row -> {
            PruneService.Layer l = byWeight.get(row.target().weight());
            return l == null ? row.withResult(0, "unchanged", row.denseBytes()) : row.withResult(l.sparsity(), l.format(), l.storedBytes());
        });
        resultCard.setAll(PruneCard.rows(r));
        List<String> warnings = PruneCard.warnings(r, tolerance.get());
        warning.set(GuiMessages.text(String.join("\n", warnings)));
        masks.use(outcome.result().after(), true);
    }

    private void rememberSettings() {
        var s = settings.get();
        s.sparsityEvaluationData = evalDataProperty().get() == null ? null : evalDataProperty().get().toString();
        s.sparsityRefit = refit.get();
        s.sparsityRefitData = refitData.get() == null ? null : refitData.get().toString();
        s.sparsityMethod = method.get();
        s.sparsityTarget = sparsity.get();
        settings.save();
    }

    public void cancel() {
        tasks.cancelAll();
    }

    public void openResult() {
        if (result.get() != null) {
            workspace.open(result.get().output());
        }
    }

    /** Each layer's largest loss over the scanned sparsities, for the graph's Sensitivity overlay. */
    private void recordSensitivity(Path m, org.polaris.workbench.engine.sparsity.SensitivityScan.Result r) {
        Map<String, Double> drop = new java.util.LinkedHashMap<>();
        for (var c : r.curves()) {
            drop.put(c.node(), r.baseline() - c.points().stream().mapToDouble(p -> p.accuracy()).min().orElse(r.baseline()));
        }
        workspace.recordSensitivity(m, new Workspace.Sensitivity(drop, "largest " + r.score().label() + " loss when pruned alone",
                "pruning sensitivity scan of " + m.getFileName() + " (" + r.samples() + " samples)"));
    }

    /** Shows the original and the pruned model side by side in the Compare pane, run on the evaluation data. */
    public void compareResult() {
        if (result.get() != null && model.get() != null) {
            workspace.compare(model.get(), result.get().output(), evalDataProperty().get());
        }
    }

    public ObservableList<Path> models() { return workspace.openModels(); }
    /** The model the pane works on: the workbench's current model. */
    public ReadOnlyObjectProperty<Path> modelProperty() { return model; }
    public JobForm form() { return form; }
    /** Which model and settings produced the result shown. */
    public ReadOnlyStringProperty provenanceProperty() { return provenance.getReadOnlyProperty(); }
    public StringProperty methodProperty() { return method; }
    public DoubleProperty sparsityProperty() { return sparsity; }
    public StringProperty scopeProperty() { return scope; }
    public ObjectProperty<Allocation.Strategy> allocationProperty() { return allocation; }
    public BooleanProperty sparseStorageProperty() { return sparseStorage; }
    public BooleanProperty quantizeInt8Property() { return quantizeInt8; }
    public ObjectProperty<Path> evalDataProperty() { return form.evalDataProperty(); }
    /** Re-fit the weights each mask keeps by least squares (magnitude, N:M, block). */
    public BooleanProperty refitProperty() { return refit; }
    public ObjectProperty<Path> refitDataProperty() { return refitData; }
    public IntegerProperty evalSamplesProperty() { return form.evalSamplesProperty(); }
    public DoubleProperty toleranceProperty() { return tolerance; }
    public StringProperty scaleProperty() { return form.scaleProperty(); }
    public ReadOnlyObjectProperty<Path> outputProperty() { return form.outputProperty(); }
    public ObservableList<SparsityRow> layers() { return layers; }
    public ObjectProperty<SparsityRow> selectedLayerProperty() { return masks.selectedProperty(); }
    public ReadOnlyObjectProperty<MaskMap> maskProperty() { return masks.maskProperty(); }
    public ReadOnlyObjectProperty<SensitivityScan.Result> sensitivityProperty() { return sensitivities.shownProperty(); }
    public ReadOnlyObjectProperty<SparseBench.Result> crossoverProperty() { return crossover.getReadOnlyProperty(); }
    public ObservableList<String[]> resultCard() { return resultCard; }
    public ReadOnlyStringProperty warningProperty() { return warning.getReadOnlyProperty(); }
    public ReadOnlyStringProperty errorProperty() { return error.getReadOnlyProperty(); }
    public ReadOnlyObjectProperty<PruneService.Result> resultProperty() { return result.getReadOnlyProperty(); }
    public BooleanBinding canRunProperty() { return canRun; }
}
