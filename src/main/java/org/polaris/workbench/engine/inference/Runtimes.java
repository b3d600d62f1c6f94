package org.polaris.workbench.engine.inference;

import org.polaris.workbench.engine.exec.EngineRuntime;
import org.polaris.workbench.engine.exec.EngineSession;
import org.polaris.workbench.engine.exec.UnsupportedOpsException;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.onnx.OrtModelSession;
import org.polaris.workbench.engine.onnx.OrtRuntime;
import org.polaris.workbench.engine.runtime.ModelRuntime;

import java.util.Locale;

/** Opens a model on the runtime a user names. */
public final class Runtimes {

    /** The runtimes this build can open. PyTorch (TorchScript via DJL) is not part of this build yet. */
    public enum Kind { ORT, ENGINE }

    private Runtimes() {
    }

    public static Kind parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "ort", "onnxruntime" -> Kind.ORT;
            case "engine", "workbench" -> Kind.ENGINE;
            case "torch", "pytorch" -> throw new IllegalArgumentException(
                    "the torch runtime (TorchScript via DJL) is not available in this build; use ort or engine");
            default -> throw new IllegalArgumentException("unknown runtime '" + s + "': use ort or engine");
        };
    }

    public static ModelRuntime open(Kind kind, OnnxModel model, int threads)
            throws ModelLoadException, UnsupportedOpsException {
        if (kind == Kind.ENGINE) {
            EnginePool pool = new EnginePool(threads);
            try {
                return new EngineRuntime(EngineSession.load(model, pool), pool);
            } catch (UnsupportedOpsException | RuntimeException e) {
                pool.close();
                throw e;
            }
        }
        try {
            return new OrtRuntime(OnnxModelWriter.toBytes(model), threads);
        } catch (OrtModelSession.RuntimeFailure e) {
            throw new ModelLoadException(model.source(), ModelLoadException.Problem.RUNTIME_REJECTED, e.getMessage(), e);
        }
    }
}
