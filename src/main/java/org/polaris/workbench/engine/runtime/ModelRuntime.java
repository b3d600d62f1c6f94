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

    @Override
    void close();
}
