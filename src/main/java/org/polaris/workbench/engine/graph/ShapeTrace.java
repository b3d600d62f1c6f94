package org.polaris.workbench.engine.graph;

import org.polaris.workbench.engine.exec.EngineSession;
import org.polaris.workbench.engine.exec.UnsupportedOpsException;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;

import java.util.HashMap;
import java.util.Map;

/**
 * The shape of every tensor of the main graph, from one engine run on the inputs the Inputs mechanism resolves: what
 * the graph view writes on its edges where the file declares no shape (most exporters declare only the inputs and
 * outputs).
 */
public final class ShapeTrace {

    private ShapeTrace() {
    }

    /**
     * @return tensor name to {@code 1x16x28x28}; empty when the engine cannot run the model (the view then shows the
     *         declared shapes only)
     */
    public static Map<String, String> resolve(OnnxModel model, Map<String, Tensor> feeds, EnginePool pool) {
        Map<String, String> shapes = new HashMap<>();
        feeds.forEach((name, t) -> shapes.put(name, ModelGraph.dims(t.dims())));
        try (EngineSession s = EngineSession.loadAsWritten(model, pool)) {
            s.run(feeds, false, (node, tensor, shape, values) -> {
                long[] d = new long[shape.length];
                for (int i = 0; i < d.length; i++) d[i] = shape[i];
                shapes.put(tensor, ModelGraph.dims(d));
            });
        } catch (UnsupportedOpsException | RuntimeException e) {
            return Map.of();
        }
        return shapes;
    }
}
