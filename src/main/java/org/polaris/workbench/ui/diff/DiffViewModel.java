package org.polaris.workbench.ui.diff;

import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.binding.BooleanBinding;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.graph.DiffReport;
import org.polaris.workbench.engine.graph.GraphDiff;
import org.polaris.workbench.engine.graph.GraphLayout;
import org.polaris.workbench.engine.graph.ModelGraph;
import org.polaris.workbench.engine.graph.Overlay;
import org.polaris.workbench.engine.graph.Overlays;
import org.polaris.workbench.engine.inference.InputSpec;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.ui.common.DialogService;
import org.polaris.workbench.ui.common.GuiMessages;
import org.polaris.workbench.ui.common.Provenance;
import org.polaris.workbench.ui.common.TaskRunner;
import org.polaris.workbench.ui.common.Workspace;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The Compare pane: two versions of a model side by side (original and quantized or pruned), their nodes paired and
 * each pair's storage, output change and time from running both on the same input ({@link GraphDiff}).
 */
public final class DiffViewModel {

    /** One finished comparison: the report, both graphs laid out, and which models and input produced it. */
    public record Comparison(DiffReport report, ModelGraph graphA, GraphLayout layoutA, ModelGraph graphB,
                             GraphLayout layoutB, Overlay overlayA, Overlay overlayB, Provenance provenance) {
    }

    private final TaskRunner tasks;
    private final DialogService dialogs;
    private final Workspace workspace;
    private final ObjectProperty<Path> modelA = new SimpleObjectProperty<>();
    private final ObjectProperty<Path> modelB = new SimpleObjectProperty<>();
    private final ObjectProperty<Path> data = new SimpleObjectProperty<>();
    private final IntegerProperty sample = new SimpleIntegerProperty(0);
    private final ReadOnlyObjectWrapper<Comparison> result = new ReadOnlyObjectWrapper<>();
    private final ObservableList<DiffReport.Row> rows = FXCollections.observableArrayList();
    private final ObjectProperty<DiffReport.Row> selectedRow = new SimpleObjectProperty<>();
    private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper provenance = new ReadOnlyStringWrapper("");
    private final ReadOnlyIntegerWrapper showRequests = new ReadOnlyIntegerWrapper();
    private final BooleanBinding canCompare;

    public DiffViewModel(TaskRunner tasks, DialogService dialogs, Workspace workspace) {
        this.tasks = tasks;
        this.dialogs = dialogs;
        this.workspace = workspace;
        canCompare = modelA.isNotNull().and(modelB.isNotNull()).and(tasks.runningProperty().not());
        workspace.setComparer(this::compare);
    }

    /**
     * Compares {@code a} with {@code b} on sample 0 of {@code data} (the data set the result card was evaluated on;
     * null keeps the pane's choice) and asks the window to show this pane.
     */
    public void compare(Path a, Path b, Path data) {
        modelA.set(a);
        modelB.set(b);
        if (data != null) {
            this.data.set(data);
            sample.set(0);
        }
        showRequests.set(showRequests.get() + 1);
        compare();
    }

    /** File > Compare: two models picked together, or one compared with the current model. */
    public void chooseAndCompare() {
        List<Path> picked = dialogs.chooseModelFiles(Optional.ofNullable(workspace.current()).map(Path::getParent));
        if (picked.size() >= 2) {
            compare(picked.get(0), picked.get(1), null);
        } else if (picked.size() == 1 && workspace.current() != null) {
            compare(workspace.current(), picked.get(0), null);
        } else if (picked.size() == 1) {
            modelA.set(picked.get(0));
            showRequests.set(showRequests.get() + 1);
        }
    }

    public void chooseA() {
        dialogs.chooseModelFiles(Optional.empty()).stream().findFirst().ifPresent(modelA::set);
    }

    public void chooseB() {
        dialogs.chooseModelFiles(Optional.ofNullable(modelA.get()).map(Path::getParent)).stream().findFirst().ifPresent(modelB::set);
    }

    /** Chooses the data set whose sample both models run on (an IDX file, or a folder when {@code folder}). */
    public void chooseData(boolean folder) {
        dialogs.chooseData(folder, Optional.ofNullable(data.get()).map(Path::getParent)).ifPresent(p -> {
            data.set(p);
            sample.set(0);
        });
    }

    /** Back to the Inputs table's sources alone (random where it sets none). */
    public void clearData() {
        data.set(null);
    }

    /**
     * Runs the comparison in the background on model A's Inputs table, with sample {@link #sampleProperty()} of the
     * chosen data set feeding the inputs it holds (random where neither sets a value).
     */
    public void compare() {
        Path a = modelA.get();
        Path b = modelB.get();
        if (a == null || b == null) return;
        error.set("");
        InputSpec input;
        try {
            input = new InputSpec(workspace.inputs(a).request(Preprocessing.unitScale()), data.get(), sample.get());
        } catch (IllegalArgumentException e) {
            error.set(GuiMessages.of(e));
            return;
        }
        String shapes = workspace.inputs(a).summary();
        Provenance made = Provenance.now(a, "compared with " + b.getFileName() + " on the engine, 1 thread"
                + (shapes.isEmpty() ? "" : ", inputs " + shapes));
        tasks.submit("Comparing " + a.getFileName() + " with " + b.getFileName(), (progress, cancel) -> {
            OnnxModelReader reader = new OnnxModelReader();
            OnnxModel ma = reader.read(a);
            OnnxModel mb = reader.read(b);
            InputSpec.Sample s = input.sample(ma);
            DiffReport r;
            try (EnginePool pool = new EnginePool(1)) {
                r = GraphDiff.compare(a.getFileName().toString(), ma, b.getFileName().toString(), mb, s.feeds(),
                        s.source(), pool, progress, cancel);
            }
            ModelGraph ga = ModelGraph.of(ma.graph());
            ModelGraph gb = ModelGraph.of(mb.graph());
            progress.progress(0.95, "laying out both graphs");
            return new Comparison(r, ga, GraphLayout.of(ga, cancel), gb, GraphLayout.of(gb, cancel),
                    Overlays.diff(r, true), Overlays.diff(r, false), made);
        }, c -> {
            result.set(c);
            rows.setAll(c.report().rows());
            provenance.set(made.line() + " · " + c.report().input());
        }, ex -> error.set(GuiMessages.of(ex)));
    }

    public ObjectProperty<Path> modelAProperty() { return modelA; }
    public ObjectProperty<Path> modelBProperty() { return modelB; }
    /** The data set whose sample feeds both models; null: the Inputs table's sources. */
    public ObjectProperty<Path> dataProperty() { return data; }
    public IntegerProperty sampleProperty() { return sample; }
    public ReadOnlyObjectProperty<Comparison> resultProperty() { return result.getReadOnlyProperty(); }
    public ObservableList<DiffReport.Row> rows() { return rows; }
    public ObjectProperty<DiffReport.Row> selectedRowProperty() { return selectedRow; }
    public ReadOnlyStringProperty errorProperty() { return error.getReadOnlyProperty(); }
    /** Which models, settings and input produced the comparison shown. */
    public ReadOnlyStringProperty provenanceProperty() { return provenance.getReadOnlyProperty(); }
    /** Increments when the window should show this pane. */
    public ReadOnlyIntegerProperty showRequestsProperty() { return showRequests.getReadOnlyProperty(); }
    public BooleanBinding canCompareProperty() { return canCompare; }
    public ReadOnlyBooleanProperty busyProperty() { return tasks.runningProperty(); }

    public void cancel() {
        tasks.cancelAll();
    }
}
