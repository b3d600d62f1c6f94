package org.polaris.workbench.ui.search;

import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
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
import org.polaris.workbench.engine.data.DataRef;
import org.polaris.workbench.engine.exec.EngineSession;
import org.polaris.workbench.engine.data.InputPlan;
import org.polaris.workbench.engine.io.TempFiles;
import org.polaris.workbench.engine.search.Candidate;
import org.polaris.workbench.engine.search.CompressionSearch;
import org.polaris.workbench.engine.search.SearchSpace;
import org.polaris.workbench.ui.common.DialogService;
import org.polaris.workbench.ui.common.GuiMessages;
import org.polaris.workbench.ui.common.JobForm;
import org.polaris.workbench.ui.common.OutputFolder;
import org.polaris.workbench.ui.common.Provenance;
import org.polaris.workbench.ui.common.Settings;
import org.polaris.workbench.ui.common.SettingsStore;
import org.polaris.workbench.ui.common.TaskRunner;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The Search pane: runs {@link CompressionSearch} on the current model, shows each candidate as it finishes (the view
 * calls {@link #refresh} once per pulse), the frontier and the choice, and lets the user save, open or compare any
 * candidate (the pane keeps them in a temporary folder until the next search or the end of the session).
 */
public final class SearchViewModel {

    private final TaskRunner tasks;
    private final DialogService dialogs;
    private final SettingsStore settings;
    private final Workspace workspace;
    private final JobForm form;
    private final ObjectProperty<Path> calibData = new SimpleObjectProperty<>();
    private final DoubleProperty tolerance = new SimpleDoubleProperty(1);
    private final ObjectProperty<CompressionSearch.Objective> objective = new SimpleObjectProperty<>(CompressionSearch.Objective.LATENCY);
    private final ObjectProperty<EngineSession.Device> device = new SimpleObjectProperty<>(EngineSession.Device.CPU);
    private final DoubleProperty budgetMinutes = new SimpleDoubleProperty(0);
    private final StringProperty sparsities = new SimpleStringProperty("0.3, 0.5, 0.7");
    private final Map<Candidate.Kind, BooleanProperty> kinds = new EnumMap<>(Candidate.Kind.class);
    private final BooleanProperty refit = new SimpleBooleanProperty(true);

    private final ObservableList<CompressionSearch.CandidateResult> candidates = FXCollections.observableArrayList();
    private final List<CompressionSearch.CandidateResult> arrived = new CopyOnWriteArrayList<>();
    private final ReadOnlyObjectWrapper<CompressionSearch.Report> report = new ReadOnlyObjectWrapper<>();
    private final ObjectProperty<CompressionSearch.CandidateResult> selected = new SimpleObjectProperty<>();
    private final ObservableList<String[]> card = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper provenance = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper signals = new ReadOnlyStringWrapper("");
    private final BooleanProperty searching = new SimpleBooleanProperty(false);
    private final BooleanBinding canSearch;
    private volatile Path keep;
    private Path searched;
    private Path searchedData;

    public SearchViewModel(TaskRunner tasks, DialogService dialogs, SettingsStore settings, Workspace workspace) {
        this.tasks = tasks;
        this.dialogs = dialogs;
        this.settings = settings;
        this.workspace = workspace;
        this.form = new JobForm(settings, dialogs, 2000);
        for (Candidate.Kind k : Candidate.Kind.values()) kinds.put(k, new SimpleBooleanProperty(true));
        Settings s = settings.get();
        Optional.ofNullable(s.searchEvalData).map(Path::of).filter(Files::exists).ifPresent(form.evalDataProperty()::set);
        Optional.ofNullable(s.searchCalibData).map(Path::of).filter(Files::exists).ifPresent(calibData::set);
        if (s.searchTolerance >= 0 && s.searchTolerance <= 100) tolerance.set(s.searchTolerance);
        try {
            objective.set(CompressionSearch.Objective.parse(s.searchObjective));
        } catch (IllegalArgumentException | NullPointerException e) {
            // a hand-edited settings file: keep the default
        }
        device.set("gpu".equals(s.searchDevice) ? EngineSession.Device.GPU : EngineSession.Device.CPU);
        workspace.currentProperty().addListener((o, a, b) -> form.modelChanged(b, "best"));
        selected.addListener((o, a, c) -> card.setAll(c == null ? List.of() : SearchCard.rows(c, report.get())));
        canSearch = Bindings.createBooleanBinding(() -> workspace.currentProperty().get() != null
                        && form.evalDataProperty().get() != null && form.outputProperty().get() != null && !tasks.runningProperty().get(),
                workspace.currentProperty(), form.evalDataProperty(), form.outputProperty(), tasks.runningProperty());
        tasks.runningProperty().addListener((o, a, now) -> {
            if (!now && searching.get()) {
                searching.set(false);
                refresh();
                if (report.get() == null && error.get().isEmpty()) status.set("Cancelled");
            }
        });
        form.suggest(workspace.current(), "best");
    }

    /** The space the form describes. */
    SearchSpace space() {
        List<Double> levels = new ArrayList<>();
        for (String part : sparsities.get().split("[,\\s]+")) {
            if (part.isBlank()) continue;
            try {
                double v = Double.parseDouble(part);
                levels.add(v > 1 ? v / 100 : v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("sparsities: '" + part + "' is not a number");
            }
        }
        List<Candidate.Kind> on = kinds.entrySet().stream().filter(e -> e.getValue().get()).map(Map.Entry::getKey).toList();
        if (on.isEmpty()) throw new IllegalArgumentException("choose at least one kind of candidate");
        return new SearchSpace(on, levels, SearchSpace.DEFAULT.calibrations(), refit.get());
    }

    public void search() {
        if (!canSearch.get()) return;
        Path m = workspace.current();
        Path eval = form.evalDataProperty().get();
        Path calib = calibData.get();
        Path out = form.outputProperty().get();
        boolean overwrite = form.outputChosen();
        int samples = form.evalSamplesProperty().get();
        SearchSpace sp;
        InputPlan.Request inputs;
        try {
            sp = space();
            inputs = workspace.inputs(m).request(form.preprocessing());
            if (!(tolerance.get() >= 0 && tolerance.get() <= 100)) throw new IllegalArgumentException("the tolerance must be 0 to 100 points");
        } catch (IllegalArgumentException e) {
            error.set(GuiMessages.of(e));
            return;
        }
        remember();
        error.set("");
        report.set(null);
        signals.set("");
        selected.set(null);
        candidates.clear();
        arrived.clear();
        // earlier searches' candidates stay (one may be open in the Models pane); the session's end removes them
        searching.set(true);
        status.set("Searching…");
        double tol = tolerance.get();
        CompressionSearch.Objective obj = objective.get();
        EngineSession.Device dev = device.get() == EngineSession.Device.GPU ? EngineSession.Device.GPU : EngineSession.Device.CPU;
        double budget = budgetMinutes.get() * 60;
        Provenance made = Provenance.now(m, String.format(Locale.ROOT, "%s within %s, on %s, timed on %s",
                obj == CompressionSearch.Objective.LATENCY ? "fastest" : "smallest", CompressionSearch.points(tol),
                eval.getFileName(), dev == EngineSession.Device.GPU ? "the OpenCL GPU" : "the CPU"));
        workspace.submit(tasks, m, "Searching compressions of " + m.getFileName(), (progress, cancel) -> {
            OutputFolder.prepare(out);
            Path dir = TempFiles.createFolder("polaris-search-pane");
            keep = dir;
            DataRef evalData = DataRef.of(eval, inputs, samples);
            DataRef calibration = calib == null ? null : DataRef.of(calib, inputs, 200);
            CompressionSearch.Request req = new CompressionSearch.Request(m, out, overwrite, calibration, 200, evalData, samples,
                    tol, obj, budget, sp, out.resolveSibling(out.getFileName() + ".report.json"), 1, 100, dir, dev);
            try {
                return new CompressionSearch().run(req, arrived::add, progress, cancel);
            } catch (CompressionSearch.NothingQualifiesException e) {
                return e.report();
            }
        }, r -> {
            searching.set(false);
            searched = m;
            searchedData = eval;
            report.set(r);
            signals.set(r.signals() == null ? "" : r.signals().summary());
            refresh();
            candidates.setAll(r.candidates());
            if (r.chosen() != null) form.written(m, "best");
            candidates.stream().filter(c -> c.id().equals(r.chosen())).findFirst().ifPresent(selected::set);
            status.set(r.chosen() != null ? "Wrote " + r.output() + ": " + r.message() : r.message());
            provenance.set(made.line());
        }, ex -> {
            searching.set(false);
            error.set(GuiMessages.of(ex));
            status.set("Failed");
        });
    }

    /** Moves the candidates that finished since the last call into the list (the view calls it once per pulse). */
    public void refresh() {
        if (report.get() != null) return;
        for (int i = candidates.size(); i < arrived.size(); i++) candidates.add(arrived.get(i));
        if (searching.get()) status.set("Searching: " + candidates.size() + " candidates done");
    }

    private Path fileOf(CompressionSearch.CandidateResult c) {
        return c == null || keep == null || c.status() != CompressionSearch.Status.EVALUATED ? null
                : CompressionSearch.candidateFile(keep, c.id());
    }

    /** Saves the selected candidate where the user chooses (the dialog asked before replacing a file). */
    public void saveSelected() {
        Path from = fileOf(selected.get());
        if (from == null || searched == null) return;
        String id = selected.get().id();
        dialogs.chooseSaveFile("Save candidate as", OutputFolder.current(settings).resolve(searched.getFileName().toString()
                .replaceFirst("\\.onnx$", "") + "-" + id + ".onnx")).ifPresent(to -> tasks.submit("Saving " + to.getFileName(),
                (p, c) -> {
                    org.polaris.workbench.engine.io.OutputPolicy policy = new org.polaris.workbench.engine.io.OutputPolicy(true,
                            List.of(searched));
                    try (org.polaris.workbench.engine.io.OutputSet out = new org.polaris.workbench.engine.io.OutputSet(policy)) {
                        out.write(to, Files.readAllBytes(from));
                        out.commit();
                    }
                    return to;
                }, to2 -> status.set("Saved " + id + " as " + to2), ex -> error.set(GuiMessages.of(ex))));
    }

    public void openSelected() {
        Path f = fileOf(selected.get());
        if (f != null) workspace.open(f);
    }

    /** The selected candidate beside the original in the Compare pane, on the evaluation data. */
    public void compareSelected() {
        Path f = fileOf(selected.get());
        if (f != null && searched != null) workspace.compare(searched, f, searchedData);
    }

    public void cancel() {
        tasks.cancelAll();
    }

    private void remember() {
        Settings s = settings.get();
        s.searchEvalData = form.evalDataProperty().get() == null ? null : form.evalDataProperty().get().toString();
        s.searchCalibData = calibData.get() == null ? null : calibData.get().toString();
        s.searchTolerance = tolerance.get();
        s.searchObjective = objective.get().name().toLowerCase(Locale.ROOT);
        s.searchDevice = device.get() == EngineSession.Device.GPU ? "gpu" : "cpu";
        settings.save();
    }

    public void chooseEvalData(boolean folder) {
        form.chooseData(form.evalDataProperty(), folder);
    }

    public void chooseCalibData(boolean folder) {
        form.chooseData(calibData, folder);
    }

    public void chooseOutput() {
        form.chooseOutput("Save the best model as", "best.onnx");
    }

    public ObservableList<Path> models() { return workspace.openModels(); }
    public ReadOnlyObjectProperty<Path> modelProperty() { return workspace.currentProperty(); }
    public void selectModel(Path m) { workspace.select(m); }
    public JobForm form() { return form; }
    public ObjectProperty<Path> calibDataProperty() { return calibData; }
    public DoubleProperty toleranceProperty() { return tolerance; }
    public ObjectProperty<CompressionSearch.Objective> objectiveProperty() { return objective; }
    /** Where latency is measured: CPU (ONNX Runtime) or GPU (the engine on OpenCL). */
    public ObjectProperty<EngineSession.Device> deviceProperty() { return device; }
    public DoubleProperty budgetMinutesProperty() { return budgetMinutes; }
    public StringProperty sparsitiesProperty() { return sparsities; }
    public BooleanProperty kindProperty(Candidate.Kind k) { return kinds.get(k); }
    public BooleanProperty refitProperty() { return refit; }
    public ObservableList<CompressionSearch.CandidateResult> candidates() { return candidates; }
    public ReadOnlyObjectProperty<CompressionSearch.Report> reportProperty() { return report.getReadOnlyProperty(); }
    public ObjectProperty<CompressionSearch.CandidateResult> selectedProperty() { return selected; }
    public ObservableList<String[]> card() { return card; }
    public ReadOnlyStringProperty statusProperty() { return status.getReadOnlyProperty(); }
    public ReadOnlyStringProperty errorProperty() { return error.getReadOnlyProperty(); }
    public ReadOnlyStringProperty provenanceProperty() { return provenance.getReadOnlyProperty(); }
    /** What the cheap signals found (the most sensitive layers, each pruning level's worst layer). */
    public ReadOnlyStringProperty signalsProperty() { return signals.getReadOnlyProperty(); }
    public BooleanProperty searchingProperty() { return searching; }
    public BooleanBinding canSearchProperty() { return canSearch; }
    /** Whether the selected candidate has a file to save, open or compare. */
    public boolean selectedHasFile() { return fileOf(selected.get()) != null; }
}
