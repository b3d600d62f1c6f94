package org.polaris.workbench.engine.runtime;

import org.polaris.workbench.engine.model.Tensor;

import java.util.List;
import java.util.Map;

/** One loaded model on one runtime (ONNX Runtime, the Workbench engine, later PyTorch): run, time, profile. */
public interface ModelRuntime extends AutoCloseable {

    /** Short name for reports: {@code ort}, {@code engine}. */
    String name();

    Map<String, Tensor> run(Map<String, Tensor> inputs) throws RuntimeException;

    /** Runs once and returns per-node timings of that run. */
    List<NodeTiming> profile(Map<String, Tensor> inputs);

    /** Profiles {@code runs} runs and returns each node's median time (callers warm the runtime up first). */
    default List<NodeTiming> profile(Map<String, Tensor> inputs, int runs) {
        List<List<NodeTiming>> all = new java.util.ArrayList<>(runs);
        for (int i = 0; i < Math.max(1, runs); i++) {
            all.add(profile(inputs));
        }
        return NodeTiming.median(all);
    }

    @Override
    void close();
}
