package org.polaris.workbench.ui.common;

import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.polaris.workbench.engine.data.InputPlan;
import org.polaris.workbench.engine.data.InputSource;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.data.ShapeSpec;
import org.polaris.workbench.engine.model.ValueInfo;

import java.util.ArrayList;
import java.util.List;

/**
 * The Inputs table of one model, shared by the Inference, Quantize and Sparsity panes and kept while the model is
 * open: what the user fixed for each input becomes the same {@link InputPlan.Request} the CLI's {@code --shape} and
 * {@code --input} build.
 */
public final class ModelInputs {

    private final ObservableList<InputRow> rows = FXCollections.observableArrayList();

    /** Sets the model's inputs; edits already made are kept when the inputs are the same. */
    public void declare(List<ValueInfo> feeds) {
        List<String> now = rows.stream().map(InputRow::name).toList();
        List<String> next = feeds.stream().map(ValueInfo::name).toList();
        if (!now.equals(next)) {
            rows.setAll(feeds.stream().map(InputRow::new).toList());
        }
    }

    public ObservableList<InputRow> rows() {
        return rows;
    }

    /**
     * The request for these rows.
     *
     * @throws IllegalArgumentException naming the input whose shape or source does not parse
     */
    public InputPlan.Request request(Preprocessing pre) {
        List<ShapeSpec> shapes = new ArrayList<>();
        List<InputSource.Binding> sources = new ArrayList<>();
        for (InputRow r : rows) {
            String shape = r.shapeProperty().get() == null ? "" : r.shapeProperty().get().trim();
            String source = r.sourceProperty().get() == null ? "" : r.sourceProperty().get().trim();
            try {
                if (!shape.isEmpty()) {
                    shapes.add(new ShapeSpec(r.name(), ShapeSpec.parse(shape).dims()));
                }
                if (!source.isEmpty()) {
                    sources.add(new InputSource.Binding(r.name(), InputSource.parse(source)));
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("input " + r.name() + ": " + e.getMessage().replace("--shape ", "")
                        .replace("--input ", ""));
            }
        }
        return new InputPlan.Request(shapes, sources, pre, 0);
    }

    /** What was set, for provenance lines: {@code x 1x3x640x640, sr value:16000}; empty when nothing was. */
    public String summary() {
        List<String> parts = new ArrayList<>();
        for (InputRow r : rows) {
            String shape = r.shapeProperty().get() == null ? "" : r.shapeProperty().get().trim();
            String source = r.sourceProperty().get() == null ? "" : r.sourceProperty().get().trim();
            if (!shape.isEmpty() || !source.isEmpty()) {
                parts.add((r.name() + " " + shape + " " + source).trim().replaceAll("\\s+", " "));
            }
        }
        return String.join(", ", parts);
    }
}
