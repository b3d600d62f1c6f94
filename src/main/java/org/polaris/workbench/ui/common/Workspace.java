package org.polaris.workbench.ui.common;

import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.polaris.workbench.engine.job.CancellationToken;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The one model selection every pane observes: the models open in the workbench, in opening order, and the current
 * one. Panes work on the current model and show it; a chooser in any pane changes it for all. Jobs started for a
 * model are cancelled when it is closed. Touched only from the FX thread (the caller's thread in tests).
 */
public final class Workspace {

    private final ObservableList<Path> open = FXCollections.observableArrayList();
    private final ObservableList<Path> openView = FXCollections.unmodifiableObservableList(open);
    private final ReadOnlyObjectWrapper<Path> current = new ReadOnlyObjectWrapper<>();
    private final Map<Path, List<CancellationToken>> jobs = new HashMap<>();
    private final Map<Path, ModelInputs> inputs = new HashMap<>();
    private final ReadOnlyObjectWrapper<ModelInputs> currentInputs = new ReadOnlyObjectWrapper<>(new ModelInputs());
    private Consumer<Path> opener = this::add;
    private Consumer<String> marker = m -> { };

    public Workspace() {
        current.addListener((o, a, m) -> currentInputs.set(inputs(m)));
    }

    /** The open models, in opening order (read-only: use {@link #add} and {@link #remove}). */
    public ObservableList<Path> openModels() {
        return openView;
    }

    public ReadOnlyObjectProperty<Path> currentProperty() {
        return current.getReadOnlyProperty();
    }

    public Path current() {
        return current.get();
    }

    /** The Inputs table of an open model (shapes and sources the user set), shared by every pane; any spelling of the path. */
    public ModelInputs inputs(Path model) {
        return model == null ? new ModelInputs()
                : inputs.computeIfAbsent(model.toAbsolutePath().normalize(), m -> new ModelInputs());
    }

    /** The current model's Inputs table (an empty one without a model). */
    public ReadOnlyObjectProperty<ModelInputs> currentInputsProperty() {
        return currentInputs.getReadOnlyProperty();
    }

    public boolean isOpen(Path model) {
        return model != null && open.contains(model);
    }

    /** Adds {@code model} (once) and makes it the current model. */
    public void add(Path model) {
        if (!open.contains(model)) {
            open.add(model);
        }
        current.set(model);
    }

    /** Makes an open model the current one; anything else (null included) is ignored while models are open. */
    public void select(Path model) {
        if (isOpen(model)) {
            current.set(model);
        }
    }

    /** Closes {@code model}: cancels its jobs and selects its neighbour in the list when it was current. */
    public void remove(Path model) {
        int i = open.indexOf(model);
        if (i < 0) {
            return;
        }
        List<CancellationToken> running = jobs.remove(model);
        if (running != null) {
            running.forEach(CancellationToken::cancel);
        }
        boolean wasCurrent = model.equals(current.get());
        inputs.remove(model.toAbsolutePath().normalize());
        open.remove(i);
        if (wasCurrent) {
            current.set(open.isEmpty() ? null : open.get(Math.min(i, open.size() - 1)));
        }
    }

    /**
     * Runs {@code job} for {@code model}: it is cancelled when the model is closed, and its callbacks are dropped
     * when the model is no longer open by the time it finishes.
     */
    public <T> void submit(TaskRunner tasks, Path model, String title, TaskRunner.Job<T> job,
                           Consumer<T> onSuccess, Consumer<Throwable> onFailure) {
        CancellationToken own = new CancellationToken();
        jobs.computeIfAbsent(model, k -> new ArrayList<>()).add(own);
        // the runner's token stops the job on "Cancel"; ours when the model is closed
        tasks.submit(title, (progress, cancel) -> job.run(progress, CancellationToken.either(cancel, own)),
                r -> {
                    forget(model, own);
                    if (isOpen(model)) {
                        onSuccess.accept(r);
                    }
                }, ex -> {
                    forget(model, own);
                    if (isOpen(model)) {
                        onFailure.accept(ex);
                    }
                });
    }

    private void forget(Path model, CancellationToken token) {
        List<CancellationToken> list = jobs.get(model);
        if (list != null) {
            list.remove(token);
        }
    }

    /** How models are opened with their details (the Models pane); by default just added. */
    public void setOpener(Consumer<Path> opener) {
        this.opener = opener;
    }

    /** Where timeline markers go (the GPU pane's telemetry sampler, once it exists). */
    public void setMarker(Consumer<String> marker) {
        this.marker = marker;
    }

    /** Marks the telemetry timeline ("Benchmarking model.onnx"), so load and telemetry line up. */
    public void mark(String label) {
        marker.accept(label);
    }

    /**
     * A per-layer sensitivity one pane measured (the Quantize pane's scan) for another to show (the graph's
     * Sensitivity overlay).
     *
     * @param byLayer layer (node or weight) name to how much it costs, higher is worse
     * @param metric what the values are, e.g. "output change when quantized alone (1 - cosine)"
     * @param source the model and settings of the run that measured them
     */
    public record Sensitivity(java.util.Map<String, Double> byLayer, String metric, String source) {
        public Sensitivity {
            byLayer = java.util.Map.copyOf(byLayer);
        }
    }

    private final Map<Path, Sensitivity> sensitivity = new HashMap<>();
    private Comparer comparer = (a, b, data) -> { };

    /** Opens two versions of a model side by side, run on a sample of {@code data} (null: the pane's choice). */
    @FunctionalInterface
    public interface Comparer {
        void compare(Path a, Path b, Path data);
    }

    public void recordSensitivity(Path model, Sensitivity s) {
        sensitivity.put(model.toAbsolutePath().normalize(), s);
    }

    public java.util.Optional<Sensitivity> sensitivity(Path model) {
        return model == null ? java.util.Optional.empty()
                : java.util.Optional.ofNullable(sensitivity.get(model.toAbsolutePath().normalize()));
    }

    /** How two models are compared (the Compare pane); by default nothing. */
    public void setComparer(Comparer comparer) {
        this.comparer = comparer;
    }

    /**
     * Opens {@code a} and {@code b} side by side in the Compare pane (a result card's "Compare with original"), run on
     * the first sample of {@code data}, the data set the card was evaluated on (null when it had none).
     */
    public void compare(Path a, Path b, Path data) {
        comparer.compare(a, b, data);
    }

    /** Opens {@code model} in the Models pane (a quantized result, say). */
    public void open(Path model) {
        opener.accept(model);
    }
}
