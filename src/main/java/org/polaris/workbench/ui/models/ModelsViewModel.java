package org.polaris.workbench.ui.models;

import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.collections.transformation.FilteredList;
import org.polaris.workbench.engine.inspect.ModelInspector;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.WeightStats;
import org.polaris.workbench.ui.common.DialogService;
import org.polaris.workbench.ui.common.SampleCatalog;
import org.polaris.workbench.ui.common.SettingsStore;
import org.polaris.workbench.ui.common.TaskRunner;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** State and actions of the Models pane: open models, the selected one, its tables and the weight filter. */
public final class ModelsViewModel {

    private final ModelInspector inspector;
    private final TaskRunner tasks;
    private final DialogService dialogs;
    private final SettingsStore settings;
    private final SampleCatalog samples;

    private final ObservableList<ModelDocument> documents = FXCollections.observableArrayList();
    private final ObjectProperty<ModelDocument> selected = new SimpleObjectProperty<>();
    private final ObservableList<Path> recentFiles = FXCollections.observableArrayList();
    // one wrapper kept for good: a listener on a fresh wrapper per call is garbage-collected with the wrapper
    private final ObservableList<Path> recentView = FXCollections.unmodifiableObservableList(recentFiles);
    private final ObservableList<ModelDocument> documentsView = FXCollections.unmodifiableObservableList(documents);
    private final Workspace workspace;
    private final ObservableList<IoRow> ioRows = FXCollections.observableArrayList();
    private final ObservableList<OpRow> opRows = FXCollections.observableArrayList();
    private final ObservableList<String[]> summaryCard = FXCollections.observableArrayList();
    private final ObservableList<WeightStats> allWeights = FXCollections.observableArrayList();
    private final FilteredList<WeightStats> weights = new FilteredList<>(allWeights);
    private final StringProperty weightFilter = new SimpleStringProperty("");
    private final ObjectProperty<WeightStats> selectedWeight = new SimpleObjectProperty<>();
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final BooleanBinding canClose = selected.isNotNull();
    private final GraphViewModel graph;

    public ModelsViewModel(ModelInspector inspector, TaskRunner tasks, DialogService dialogs, SettingsStore settings,
                           SampleCatalog samples) {
        this(inspector, tasks, dialogs, settings, samples, new Workspace());
    }

    public ModelsViewModel(ModelInspector inspector, TaskRunner tasks, DialogService dialogs, SettingsStore settings,
                           SampleCatalog samples, Workspace workspace) {
        this.inspector = inspector;
        this.tasks = tasks;
        this.dialogs = dialogs;
        this.settings = settings;
        this.samples = samples;
        this.workspace = workspace;
        this.graph = new GraphViewModel(tasks, dialogs, workspace, selectedWeight);
        settings.get().recentFiles.forEach(p -> recentFiles.add(Path.of(p)));
        selected.addListener((obs, old, doc) -> {
            showDocument(doc);
            if (doc != null) {
                workspace.select(doc.path());
            }
        });
        workspace.setOpener(this::open);
        // the workspace owns the selection; this pane's list and details follow it
        workspace.currentProperty().addListener((o, a, p) -> selected.set(document(p).orElse(null)));
        workspace.openModels().addListener((javafx.collections.ListChangeListener<Path>) c ->
                documents.removeIf(d -> !workspace.isOpen(d.path())));
        weights.predicateProperty().bind(Bindings.createObjectBinding(() -> {
            String f = weightFilter.get() == null ? "" : weightFilter.get().trim().toLowerCase(Locale.ROOT);
            return f.isEmpty() ? w -> true : w -> matches(w, f);
        }, weightFilter));
    }

    private static boolean matches(WeightStats w, String filter) {
        return w.name().toLowerCase(Locale.ROOT).contains(filter)
                || w.dtype().displayName().contains(filter);
    }

    private void showDocument(ModelDocument doc) {
        selectedWeight.set(null);
        graph.show(doc);
        if (doc == null) {
            ioRows.clear();
            opRows.clear();
            summaryCard.clear();
            allWeights.clear();
            return;
        }
        ioRows.setAll(doc.ioRows());
        opRows.setAll(doc.opRows());
        summaryCard.setAll(doc.summaryCard());
        allWeights.setAll(doc.summary().weights());
    }

    /** Opens the file chooser and loads what the user picks. */
    public void openWithChooser() {
        Optional<Path> start = Optional.ofNullable(settings.get().lastDirectory).map(Path::of).filter(Files::isDirectory);
        if (start.isEmpty() && Files.isDirectory(samples.directory())) {
            start = Optional.of(samples.directory());
        }
        open(dialogs.chooseModelFiles(start));
    }

    public void open(List<Path> files) {
        files.forEach(this::open);
    }

    /** Loads {@code file} in the background; if it is already open, selects it instead. */
    public void open(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        Optional<ModelDocument> existing = document(abs);
        if (existing.isPresent()) {
            selected.set(existing.get());
            return;
        }
        error.set("");
        if (!Files.exists(abs, java.nio.file.LinkOption.NOFOLLOW_LINKS) && recentFiles.contains(abs)) {
            removeRecent(abs);
            error.set(abs + " no longer exists; it was removed from the recent files");
            return;
        }
        tasks.submit("Opening " + abs.getFileName(),
                (progress, cancel) -> inspector.inspect(abs, progress, cancel),
                inspection -> {
                    ModelDocument doc = new ModelDocument(abs, inspection);
                    documents.add(doc);
                    workspace.inputs(abs).declare(doc.summary().inputs());
                    workspace.add(abs);
                    selected.set(doc);
                    remember(abs);
                },
                ex -> {
                    error.set(ex instanceof ModelLoadException ? ex.getMessage()
                            : "Cannot open " + abs + ": " + ex.getMessage());
                });
    }

    private void remember(Path file) {
        settings.get().touchRecent(file.toString());
        if (file.getParent() != null) {
            settings.get().lastDirectory = file.getParent().toString();
        }
        settings.save();
        recentFiles.setAll(settings.get().recentFiles.stream().map(Path::of).toList());
    }

    private Optional<ModelDocument> document(Path p) {
        return documents.stream().filter(d -> d.path().equals(p)).findFirst();
    }

    /** Closes the selected model; a job running on it is cancelled and writes nothing. */
    public void closeSelected() {
        ModelDocument doc = selected.get();
        if (doc == null) {
            return;
        }
        if (workspace.isOpen(doc.path())) {
            workspace.remove(doc.path());
        } else {
            documents.remove(doc);
            selected.set(null);
        }
    }

    /** Takes one file off the recent list (a file that was moved or deleted, say). */
    public void removeRecent(Path file) {
        settings.get().recentFiles.remove(file.toString());
        settings.save();
        recentFiles.remove(file);
    }

    /** Takes the files that no longer exist off the recent list. */
    public void removeMissingRecent() {
        List.copyOf(recentFiles).stream().filter(p -> !Files.exists(p)).forEach(this::removeRecent);
    }

    public void clearRecent() {
        settings.get().recentFiles.clear();
        settings.save();
        recentFiles.clear();
    }

    public void dismissError() {
        error.set("");
    }

    public List<Path> sampleModels() {
        return samples.models();
    }

    public ObservableList<ModelDocument> documents() {
        return documentsView;
    }

    public ObjectProperty<ModelDocument> selectedProperty() {
        return selected;
    }

    public ObservableList<Path> recentFiles() {
        return recentView;
    }

    public ObservableList<IoRow> ioRows() {
        return ioRows;
    }

    public ObservableList<OpRow> opRows() {
        return opRows;
    }

    public ObservableList<String[]> summaryCard() {
        return summaryCard;
    }

    /** Weights of the selected model that pass the filter; the view sorts them. */
    public ObservableList<WeightStats> weights() {
        return weights;
    }

    public StringProperty weightFilterProperty() {
        return weightFilter;
    }

    public ObjectProperty<WeightStats> selectedWeightProperty() {
        return selectedWeight;
    }

    public ReadOnlyStringProperty errorProperty() {
        return error.getReadOnlyProperty();
    }

    /** True while any background work runs (loading included). */
    public ReadOnlyBooleanProperty busyProperty() {
        return tasks.runningProperty();
    }

    public BooleanBinding canCloseProperty() {
        return canClose;
    }

    /** The graph tab of the selected model. */
    public GraphViewModel graph() {
        return graph;
    }
}
