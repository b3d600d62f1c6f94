package org.polaris.workbench.engine.sparsity;

import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.SparseChunks;
import org.polaris.workbench.engine.model.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A model's prunable layers as they are in the file: what the Sparsity pane lists before and after a run. */
public final class PrunableLayers {

    /** One prunable layer and how many of its weights are zero already. */
    public record Layer(PruneService.Target target, double zeroFraction, long denseBytes) {
    }

    /** The layers and the weights by name (for drawing masks). */
    public record Snapshot(List<Layer> layers, Map<String, Tensor> weights) {
    }

    private PrunableLayers() {
    }

    public static Snapshot read(Path model) throws Exception {
        OnnxModel om = org.polaris.workbench.engine.model.GraphPrep.constantsAsInitializers(new OnnxModelReader().read(model));
        Map<String, Tensor> weights = weights(om);
        List<Layer> layers = new ArrayList<>();
        for (PruneService.Target t : PruneService.targets(om, Set.of())) {
            float[] w = weights.get(t.weight()).toFloats();
            long zeros = 0;
            for (float f : w) {
                if (f == 0f) {
                    zeros++;
                }
            }
            layers.add(new Layer(t, (double) zeros / w.length, 4L * w.length));
        }
        return new Snapshot(List.copyOf(layers), weights);
    }

    /** The weights of a written model, sparse storage unfolded to dense. */
    public static Map<String, Tensor> weights(Path model) throws Exception {
        return weights(org.polaris.workbench.engine.model.GraphPrep.constantsAsInitializers(
                SparseChunks.fold(new OnnxModelReader().read(model))));
    }

    private static Map<String, Tensor> weights(OnnxModel m) {
        Map<String, Tensor> weights = new HashMap<>();
        m.graph().initializers().forEach(t -> weights.put(t.name(), t));
        return weights;
    }
}
