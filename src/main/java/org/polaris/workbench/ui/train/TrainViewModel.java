package org.polaris.workbench.ui.train;

import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.LongProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.sparsity.Allocation;
import org.polaris.workbench.engine.train.Optimizer;
import org.polaris.workbench.engine.train.TrainControl;
import org.polaris.workbench.engine.train.TrainService;
import org.polaris.workbench.engine.train.TrainingLog;
import org.polaris.workbench.ui.common.DialogService;
import org.polaris.workbench.ui.common.GuiMessages;
import org.polaris.workbench.ui.common.JobForm;
import org.polaris.workbench.ui.common.Provenance;
import org.polaris.workbench.ui.common.Settings;
import org.polaris.workbench.ui.common.SettingsStore;
import org.polaris.workbench.ui.common.TaskRunner;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The Train pane: fine-tunes the current model on labelled data, dense, sparse (static, gmp, rigl) or
 * quantization-aware, as the {@code train} command does. The run writes into a {@link TrainingLog}; the view calls
 * {@link #refresh} once per pulse while shown, which turns the log into curves, layer rows and the selected layer's
 * mask churn. Pause holds the run between two steps; cancel ends it (a checkpoint folder keeps the last epoch).
 */
public final class TrainViewModel {

    /** Methods as the CLI spells them; "dense" is plain fine-tuning. */
    public static final List<String> METHODS = List.of("dense", "static", "gmp", "rigl", "qat");

    private final TrainService service;
    private final TaskRunner tasks;
    private final DialogService dialogs;
    private final SettingsStore settings;
    private final Workspace workspace;
    private final JobForm form;
    private final TrainRun run = new TrainRun();

    private final ObjectProperty<Path> trainData = new SimpleObjectProperty<>();
    private final ObjectProperty<Path> labels = new SimpleObjectProperty<>();
    private final IntegerProperty trainSamples = new SimpleIntegerProperty(0);
    private final StringProperty method = new SimpleStringProperty("rigl");
    private final IntegerProperty epochs = new SimpleIntegerProperty(3);
    private final IntegerProperty batch = new SimpleIntegerProperty(64);
    private final DoubleProperty lr = new SimpleDoubleProperty(0.01);
    private final ObjectProperty<Optimizer.Kind> optimizer = new SimpleObjectProperty<>(Optimizer.Kind.SGD);
    private final DoubleProperty sparsity = new SimpleDoubleProperty(0.9);
    private final ObjectProperty<Allocation.Strategy> allocation = new SimpleObjectProperty<>(Allocation.Strategy.ERK);
    private final IntegerProperty updateEvery = new SimpleIntegerProperty(100);
    private final DoubleProperty dropFraction = new SimpleDoubleProperty(0.3);
    private final LongProperty seed = new SimpleLongProperty(1);
    private final ObjectProperty<Path> checkpoint = new SimpleObjectProperty<>();
    private final BooleanProperty resume = new SimpleBooleanProperty(false);

    private final ReadOnlyBooleanWrapper training = new ReadOnlyBooleanWrapper(false);
    private final ReadOnlyBooleanWrapper paused = new ReadOnlyBooleanWrapper(false);
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper provenance = new ReadOnlyStringWrapper("");
    private final ReadOnlyObjectWrapper<TrainService.Report> result = new ReadOnlyObjectWrapper<>();
    private final ObservableList<String[]> resultCard = FXCollections.observableArrayList();
    private final ReadOnlyObjectWrapper<TrainCurves> curves = new ReadOnlyObjectWrapper<>(TrainCurves.EMPTY);
    private final ObservableList<TrainCurves.LayerRow> layers = FXCollections.observableArrayList();
    private final StringProperty selectedLayer = new SimpleStringProperty();
    private final ReadOnlyObjectWrapper<TrainCurves.Churn> churn = new ReadOnlyObjectWrapper<>();
    private final BooleanBinding canStart;

    public TrainViewModel(TrainService service, TaskRunner tasks, DialogService dialogs, SettingsStore settings,
                          Workspace workspace) {
        this.service = service;
        this.tasks = tasks;
        this.dialogs = dialogs;
        this.settings = settings;
        this.workspace = workspace;
        this.form = new JobForm(settings, dialogs, 10_000);
        restoreSettings(settings.get());
        workspace.currentProperty().addListener((o, a, b) -> form.modelChanged(b, tag()));
        method.addListener((o, a, b) -> form.suggest(workspace.current(), tag()));
        sparsity.addListener((o, a, b) -> form.suggest(workspace.current(), tag()));
        selectedLayer.addListener((o, a, b) -> churn.set(b == null || run.log() == null ? null : TrainCurves.churn(run.log().snapshot(), b)));
        canStart = Bindings.createBooleanBinding(() -> workspace.currentProperty().get() != null && trainData.get() != null
                        && form.outputProperty().get() != null && !training.get() && !tasks.runningProperty().get(),
                workspace.currentProperty(), trainData, form.outputProperty(), training, tasks.runningProperty());
        // the runner ends a cancelled job without a callback
        tasks.runningProperty().addListener((o, a, now) -> {
            if (!now && training.get()) finish("Cancelled" + (checkpoint.get() == null ? "" : "; the checkpoint keeps the last epoch"));
        });
        form.suggest(workspace.current(), tag());
    }

    private String tag() {
        String m = method.get();
        return m.equals("dense") || m.equals("static") || m.equals("qat") ? m.equals("qat") ? "qat-int8" : "trained"
                : m + Math.round(100 * sparsity.get());
    }

    private void restoreSettings(Settings s) {
        Optional.ofNullable(s.trainData).map(Path::of).filter(Files::exists).ifPresent(trainData::set);
        Optional.ofNullable(s.trainLabels).map(Path::of).filter(Files::exists).ifPresent(labels::set);
        Optional.ofNullable(s.trainEvalData).map(Path::of).filter(Files::exists).ifPresent(form.evalDataProperty()::set);
        if (METHODS.contains(s.trainMethod)) method.set(s.trainMethod);
        epochs.set(Math.max(1, Math.min(1000, s.trainEpochs)));
        batch.set(Math.max(1, Math.min(4096, s.trainBatch)));
        if (s.trainLr > 0 && s.trainLr <= 10) lr.set(s.trainLr);
        if (s.trainSparsity >= 0 && s.trainSparsity < 1) sparsity.set(s.trainSparsity);
        try {
            optimizer.set(Optimizer.Kind.parse(s.trainOptimizer));
            allocation.set(Allocation.Strategy.parse(s.trainAllocation));
        } catch (IllegalArgumentException | NullPointerException e) {
            // a hand-edited settings file: keep the defaults
        }
        updateEvery.set(Math.max(1, s.trainUpdateEvery));
        if (s.trainDropFraction >= 0 && s.trainDropFraction <= 1) dropFraction.set(s.trainDropFraction);
        seed.set(Math.max(0, s.trainSeed));
    }

    private void rememberSettings() {
        Settings s = settings.get();
        s.trainData = trainData.get() == null ? null : trainData.get().toString();
        s.trainLabels = labels.get() == null ? null : labels.get().toString();
        s.trainEvalData = form.evalDataProperty().get() == null ? null : form.evalDataProperty().get().toString();
        s.trainMethod = method.get();
        s.trainEpochs = epochs.get();
        s.trainBatch = batch.get();
        s.trainLr = lr.get();
        s.trainOptimizer = optimizer.get().name().toLowerCase(java.util.Locale.ROOT);
        s.trainSparsity = sparsity.get();
        s.trainAllocation = allocation.get().name().toLowerCase(java.util.Locale.ROOT);
        s.trainUpdateEvery = updateEvery.get();
        s.trainDropFraction = dropFraction.get();
        s.trainSeed = seed.get();
        settings.save();
    }

    /** Starts training the current model with the pane's settings. */
    public void start() {
        if (!canStart.get()) return;
        Path m = workspace.current();
        TrainRun.Settings rs;
        try {
            rs = new TrainRun.Settings(m, trainData.get(), labels.get(), form.evalDataProperty().get(), trainSamples.get(),
                    method.get(), epochs.get(), batch.get(), lr.get(), optimizer.get(), sparsity.get(), allocation.get(),
                    updateEvery.get(), dropFraction.get(), seed.get(), checkpoint.get(), resume.get(),
                    form.outputProperty().get(), form.outputChosen(), workspace.inputs(m).request(form.preprocessing()));
            rs.validate();
        } catch (IllegalArgumentException e) {
            error.set(GuiMessages.of(e));
            return;
        }
        rememberSettings();
        error.set("");
        result.set(null);
        resultCard.clear();
        provenance.set("");
        TrainControl control = new TrainControl(new CancellationToken());
        TrainingLog log = run.begin(control);
        training.set(true);
        paused.set(false);
        status.set("Reading the data…");
        Provenance made = Provenance.now(m, rs.describe());
        workspace.submit(tasks, m, "Training " + m.getFileName(), (progress, cancel) -> {
            control.link(cancel);
            return service.run(rs.request(), log, progress, control);
        }, r -> {
            finish("Done: " + TrainCard.headline(r));
            form.written(m, tag());
            result.set(r);
            resultCard.setAll(TrainCard.rows(r));
            provenance.set(made.line());
        }, ex -> {
            finish("Failed");
            error.set(GuiMessages.of(ex));
        });
    }

    private void finish(String message) {
        training.set(false);
        paused.set(false);
        refresh();
        status.set(message);
    }

    /** Reads the log into curves, layer rows and the selected layer's churn (the view calls it once per pulse). */
    public void refresh() {
        TrainingLog log = run.log();
        if (log == null || !run.changed()) return;
        TrainingLog.Snapshot s = log.snapshot();
        TrainCurves c = TrainCurves.of(s);
        curves.set(c);
        layers.setAll(c.layers());
        if (selectedLayer.get() == null && !c.layers().isEmpty()) selectedLayer.set(c.layers().get(0).layer());
        churn.set(selectedLayer.get() == null ? null : TrainCurves.churn(s, selectedLayer.get()));
        if (training.get()) status.set(TrainCard.progress(s, paused.get()));
    }

    public void pause() {
        if (!training.get() || run.control() == null) return;
        run.control().pause();
        paused.set(true);
        refresh();
        status.set(TrainCard.progress(run.log().snapshot(), true));
    }

    /** True once a paused run has stopped between two steps. */
    public boolean held() {
        return run.control() != null && run.control().isHeld();
    }

    public void resume() {
        if (run.control() == null) return;
        run.control().resume();
        paused.set(false);
    }

    public void togglePause() {
        if (paused.get()) resume();
        else pause();
    }

    public void cancel() {
        if (run.control() != null) run.control().cancel();
        tasks.cancelAll();
    }

    public void openResult() {
        if (result.get() != null) workspace.open(Path.of(result.get().output()));
    }

    /** The trained model beside the one it came from in the Compare pane, on the evaluation data. */
    public void compareResult() {
        TrainService.Report r = result.get();
        if (r != null) workspace.compare(Path.of(r.model()), Path.of(r.output()), form.evalDataProperty().get());
    }

    public void chooseTrainData(boolean folder) {
        form.chooseData(trainData, folder);
    }

    public void chooseLabels() {
        form.chooseData(labels, false);
    }

    public void chooseEvalData(boolean folder) {
        form.chooseData(form.evalDataProperty(), folder);
    }

    public void chooseCheckpoint() {
        form.chooseData(checkpoint, true);
    }

    public void chooseOutput() {
        form.chooseOutput("Save trained model as", "trained.onnx");
    }

    public ObservableList<java.nio.file.Path> models() { return workspace.openModels(); }
    public ReadOnlyObjectProperty<Path> modelProperty() { return workspace.currentProperty(); }
    public void selectModel(Path m) { workspace.select(m); }
    public JobForm form() { return form; }
    public ObjectProperty<Path> trainDataProperty() { return trainData; }
    public ObjectProperty<Path> labelsProperty() { return labels; }
    public ObjectProperty<Path> evalDataProperty() { return form.evalDataProperty(); }
    public IntegerProperty trainSamplesProperty() { return trainSamples; }
    public StringProperty methodProperty() { return method; }
    public IntegerProperty epochsProperty() { return epochs; }
    public IntegerProperty batchProperty() { return batch; }
    public DoubleProperty lrProperty() { return lr; }
    public ObjectProperty<Optimizer.Kind> optimizerProperty() { return optimizer; }
    public DoubleProperty sparsityProperty() { return sparsity; }
    public ObjectProperty<Allocation.Strategy> allocationProperty() { return allocation; }
    public IntegerProperty updateEveryProperty() { return updateEvery; }
    public DoubleProperty dropFractionProperty() { return dropFraction; }
    public LongProperty seedProperty() { return seed; }
    public ObjectProperty<Path> checkpointProperty() { return checkpoint; }
    public BooleanProperty resumeProperty() { return resume; }
    public ReadOnlyObjectProperty<Path> outputProperty() { return form.outputProperty(); }
    public ReadOnlyBooleanProperty trainingProperty() { return training.getReadOnlyProperty(); }
    public ReadOnlyBooleanProperty pausedProperty() { return paused.getReadOnlyProperty(); }
    public ReadOnlyStringProperty statusProperty() { return status.getReadOnlyProperty(); }
    public ReadOnlyStringProperty errorProperty() { return error.getReadOnlyProperty(); }
    public ReadOnlyStringProperty provenanceProperty() { return provenance.getReadOnlyProperty(); }
    public ReadOnlyObjectProperty<TrainService.Report> resultProperty() { return result.getReadOnlyProperty(); }
    public ObservableList<String[]> resultCard() { return resultCard; }
    public ReadOnlyObjectProperty<TrainCurves> curvesProperty() { return curves.getReadOnlyProperty(); }
    public ObservableList<TrainCurves.LayerRow> layers() { return layers; }
    public StringProperty selectedLayerProperty() { return selectedLayer; }
    public ReadOnlyObjectProperty<TrainCurves.Churn> churnProperty() { return churn.getReadOnlyProperty(); }
    public BooleanBinding canStartProperty() { return canStart; }
}
