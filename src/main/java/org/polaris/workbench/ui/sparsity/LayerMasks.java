package org.polaris.workbench.ui.sparsity;

import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.SimpleObjectProperty;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.sparsity.MaskMap;
import org.polaris.workbench.engine.sparsity.Pruner;
import org.polaris.workbench.ui.common.GuiMessages;
import org.polaris.workbench.ui.common.TaskRunner;

import java.util.Map;
import java.util.function.Consumer;

/** The selected layer's zero pattern: the weights as opened, or the pruned file's after a run. */
final class LayerMasks {

    /** Cells across the longer side of a drawn mask. */
    static final int CELLS = 96;

    private final TaskRunner tasks;
    private final Consumer<String> onError;
    private final ObjectProperty<SparsityRow> selected = new SimpleObjectProperty<>();
    private final ReadOnlyObjectWrapper<MaskMap> mask = new ReadOnlyObjectWrapper<>(MaskMap.empty("Select a layer"));
    private Map<String, Tensor> weights = Map.of();
    private boolean pruned;

    LayerMasks(TaskRunner tasks, Consumer<String> onError) {
        this.tasks = tasks;
        this.onError = onError;
        selected.addListener((o, a, row) -> show(row));
    }

    /** The weights masks are drawn from from now on; {@code afterPruning} says which state they show. */
    void use(Map<String, Tensor> newWeights, boolean afterPruning) {
        weights = newWeights;
        pruned = afterPruning;
        show(selected.get());
    }

    private void show(SparsityRow row) {
        if (row == null || !weights.containsKey(row.target().weight())) {
            mask.set(MaskMap.empty("Select a layer to see its zero pattern"));
            return;
        }
        Tensor w = weights.get(row.target().weight());
        String state = pruned ? "after pruning" : "as opened";
        // decoding and laying out a large weight is not for the FX thread
        tasks.submit("Drawing the mask of " + row.node(), (p, c) -> {
            int[] rc = Pruner.rowsCols(w.dims(), row.target().axis());
            float[] rows = Pruner.toRows(w.toFloats(), w.dims(), row.target().axis());
            return MaskMap.of(row.node() + " (" + rc[0] + " x " + rc[1] + ", " + state + ")", rows, rc[0], rc[1], CELLS);
        }, m -> {
            if (row == selected.get()) { // still the selected layer when the mask is ready
                mask.set(m);
            }
        }, ex -> onError.accept(GuiMessages.of(ex)));
    }

    ObjectProperty<SparsityRow> selectedProperty() {
        return selected;
    }

    ReadOnlyObjectProperty<MaskMap> maskProperty() {
        return mask.getReadOnlyProperty();
    }
}
