package org.polaris.workbench.ui.common;

import javafx.beans.Observable;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import org.polaris.workbench.engine.data.DataSources;
import org.polaris.workbench.engine.data.InputPlan;
import org.polaris.workbench.engine.data.Preprocessing;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The part of the Quantize and Sparsity forms they share: evaluation data and its size, pixel preprocessing, and
 * the output file (suggested in the output folder, or chosen with "Save as…" and then never replaced by a
 * suggestion until it has been written).
 */
public final class JobForm {

    private final SettingsStore settings;
    private final DialogService dialogs;
    private final ObjectProperty<Path> evalData = new SimpleObjectProperty<>();
    private final IntegerProperty evalSamples;
    private final StringProperty scale = new SimpleStringProperty("1/255");
    private final StringProperty mean = new SimpleStringProperty("0");
    private final StringProperty std = new SimpleStringProperty("1");
    private final ReadOnlyObjectWrapper<Path> output = new ReadOnlyObjectWrapper<>();
    private boolean outputChosen;

    public JobForm(SettingsStore settings, DialogService dialogs, int evalSamples) {
        this.settings = settings;
        this.dialogs = dialogs;
        this.evalSamples = new SimpleIntegerProperty(evalSamples);
    }

    /** Suggests {@code NAME-tag.onnx} for {@code model} in the output folder, unless the user chose a file. */
    public void suggest(Path model, String tag) {
        if (outputChosen && output.get() != null) {
            return;
        }
        output.set(model == null ? null : OutputNames.in(OutputFolder.current(settings), model, tag));
    }

    /** The model changed: a file chosen for the previous one no longer applies. */
    public void modelChanged(Path model, String tag) {
        outputChosen = false;
        suggest(model, tag);
    }

    /** Lets the user pick the output file; the system dialog has asked before replacing an existing one. */
    public void chooseOutput(String title, String fallbackName) {
        Path suggested = output.get() != null ? output.get() : Path.of(fallbackName);
        dialogs.chooseSaveFile(title, suggested).ifPresent(p -> {
            output.set(p);
            outputChosen = true;
            OutputFolder.remember(settings, p);
        });
    }

    /** The output was written: the next run gets a fresh suggestion. */
    public void written(Path model, String tag) {
        outputChosen = false;
        suggest(model, tag);
    }

    /** True when the user chose the output (and so agreed to replace it). */
    public boolean outputChosen() {
        return outputChosen;
    }

    public void chooseData(ObjectProperty<Path> target, boolean folder) {
        dialogs.chooseData(folder, Optional.ofNullable(target.get()).map(Path::getParent)).ifPresent(target::set);
    }

    /** Pixel scaling and normalization as typed; throws IllegalArgumentException naming the bad field. */
    public Preprocessing preprocessing() {
        return new Preprocessing(DataSources.parseScale(scale.get()), DataSources.parseList(mean.get(), "mean"),
                DataSources.parseList(std.get(), "std"), 0, 0, "NCHW");
    }

    /**
     * Opens {@code data} (null: generated inputs) as the feeds of {@code model}'s inputs, with the shapes and sources
     * of its Inputs table ({@code request}, taken on the FX thread). Runs on a worker: it reads the model.
     */
    public static org.polaris.workbench.engine.data.InputData open(Path model, InputPlan.Request request, Path data,
                                                                   int samples) throws Exception {
        var m = new org.polaris.workbench.engine.model.OnnxModelReader().read(model);
        return DataSources.open(data, request, samples, m.graph().feedInputs());
    }

    /** The settings whose change makes an error about them stale. */
    public Observable[] inputs() {
        return new Observable[] {evalData, evalSamples, scale, mean, std, output};
    }

    public ObjectProperty<Path> evalDataProperty() { return evalData; }
    public IntegerProperty evalSamplesProperty() { return evalSamples; }
    public StringProperty scaleProperty() { return scale; }
    public StringProperty meanProperty() { return mean; }
    public StringProperty stdProperty() { return std; }
    public ReadOnlyObjectProperty<Path> outputProperty() { return output.getReadOnlyProperty(); }
}
