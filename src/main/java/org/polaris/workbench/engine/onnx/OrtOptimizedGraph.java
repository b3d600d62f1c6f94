package org.polaris.workbench.engine.onnx;

import org.polaris.workbench.engine.io.TempFiles;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.WireScan;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The graph ONNX Runtime actually runs on the CPU after its transformations up to the extended level (where Q/DQ
 * pairs around a Conv or MatMul become QLinearConv / QGemm and activations fuse): dumped by a real session to a
 * temporary file, its node names and op types scanned, the file deleted.
 */
public final class OrtOptimizedGraph {

    private OrtOptimizedGraph() {
    }

    /** The optimized model's main-graph nodes. */
    public static List<WireScan.NodeHeader> nodes(Path model) throws ModelLoadException {
        Path dump = null;
        try {
            dump = TempFiles.createFile("polaris-optimized", ".onnx");
            try (OrtModelSession ignored = OrtModelSession.open(model,
                    new OrtModelSession.Config(1, OrtModelSession.Optimization.EXTENDED, dump))) {
                // creating the session writes the optimized graph
            }
            return WireScan.topLevelNodeHeaders(dump);
        } catch (OrtModelSession.RuntimeFailure e) {
            throw new ModelLoadException(model, ModelLoadException.Problem.RUNTIME_REJECTED, e.getMessage(), e);
        } catch (IOException e) {
            throw new ModelLoadException(model, ModelLoadException.Problem.UNREADABLE,
                    "cannot write ONNX Runtime's optimized graph: " + e.getMessage(), e);
        } finally {
            TempFiles.delete(dump);
        }
    }
}
