package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.data.RandomDataset;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.ValueInfo;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Where the engine's automatic placement puts each node of a model: one inference on random input of the model's
 * shape (dynamic dimensions as 1) with the OpenCL backend in {@code auto} mode.
 */
public final class PlacementService {

    /** Each node's device and the reason, for one model on one OpenCL device. */
    public record Report(Path model, String device, List<EngineSession.Placement> nodes) {

        public long onOpenCl() {
            return nodes.stream().filter(p -> p.device() == EngineSession.Unit.OPENCL).count();
        }
    }

    private PlacementService() {
    }

    public static Report place(Path model, ProgressSink progress, CancellationToken cancel) throws Exception {
        OnnxModel m = new OnnxModelReader().read(model);
        if (m.graph().feedInputs().isEmpty()) {
            throw new IllegalArgumentException(model.getFileName() + " has no input to feed");
        }
        ValueInfo in = m.graph().feedInputs().get(0);
        long[] dims = in.type().shape().stream().mapToLong(d -> d.isFixed() ? d.value() : 1).toArray();
        var x = new RandomDataset(Arrays.copyOfRange(dims, 1, dims.length), (int) dims[0], 1)
                .batch(0, (int) dims[0]).withName(in.name());
        return place(model, m, Map.of(in.name(), x), EngineSession.Device.AUTO, progress, cancel);
    }

    /** Placement for one inference on {@code feeds}, with the OpenCL backend in {@code device} mode (gpu or auto). */
    public static Report place(Path model, OnnxModel m, Map<String, org.polaris.workbench.engine.model.Tensor> feeds,
                               EngineSession.Device device, ProgressSink progress, CancellationToken cancel) throws Exception {
        cancel.throwIfCancelled();
        try (var pool = new EnginePool(Runtime.getRuntime().availableProcessors())) {
            EngineSession session = EngineSession.load(m, pool, device);
            try {
                progress.progress(0.5, "running once to place every node");
                session.run(feeds, false);
                return new Report(model, session.deviceDescription(), List.copyOf(session.lastPlacement()));
            } finally {
                session.close();
            }
        }
    }
}
