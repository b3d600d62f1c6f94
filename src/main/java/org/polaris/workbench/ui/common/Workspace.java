package org.polaris.workbench.ui.common;

import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * What the panes share without depending on each other: the models open in the Models pane, and a way to open
 * another one there (a quantized result, say). The composition root wires the Models pane in as the opener.
 */
public final class Workspace {

    private final ObservableList<Path> openModels = FXCollections.observableArrayList();
    private Consumer<Path> opener = p -> { };
    private Consumer<String> marker = m -> { };

    public ObservableList<Path> openModels() {
        return openModels;
    }

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

    /** Opens {@code model} in the Models pane. */
    public void open(Path model) {
        opener.accept(model);
    }
}
