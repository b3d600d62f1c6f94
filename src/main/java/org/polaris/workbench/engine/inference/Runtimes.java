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
import org.polaris.workbench.engine.torch.TorchRuntime;

import java.nio.file.Path;
import java.util.Locale;

/** Opens a model on the runtime a user names. */
public final class Runtimes {

    /** ONNX Runtime and the engine run .onnx files; PyTorch (via DJL) runs TorchScript .pt files. */
    public enum Kind { ORT, ENGINE, TORCH }

    private Runtimes() {
    }

    public static Kind parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "ort", "onnxruntime" -> Kind.ORT;
            case "engine", "workbench" -> Kind.ENGINE;
            case "torch", "pytorch" -> Kind.TORCH;
            default -> throw new IllegalArgumentException("unknown runtime '" + s + "': use ort, engine or torch");
        };
    }

    /** Whether {@code file} is a TorchScript file rather than ONNX. */
    public static boolean isTorchScript(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".pt");
    }

    /** Opens a file on a runtime: TorchScript on torch only, ONNX on ort or engine. */
    public static ModelRuntime open(Kind kind, Path file, OnnxModel onnx, int threads)
            throws ModelLoadException, UnsupportedOpsException {
        return open(kind, file, onnx, threads, EngineSession.Device.CPU);
    }

    /** As {@link #open(Kind, Path, OnnxModel, int)}, the engine placing nodes on {@code device}. */
    public static ModelRuntime open(Kind kind, Path file, OnnxModel onnx, int threads, EngineSession.Device device)
            throws ModelLoadException, UnsupportedOpsException {
        if (isTorchScript(file) != (kind == Kind.TORCH)) {
            throw new IllegalArgumentException(kind == Kind.TORCH
                    ? "the torch runtime takes TorchScript .pt files; " + file.getFileName() + " is not one"
                    : file.getFileName() + " is TorchScript: run it with the torch runtime");
        }
        return kind == Kind.TORCH ? TorchRuntime.open(file, threads) : open(kind, onnx, threads, device);
    }

    public static ModelRuntime open(Kind kind, OnnxModel model, int threads)
            throws ModelLoadException, UnsupportedOpsException {
        return open(kind, model, threads, EngineSession.Device.CPU);
    }

    public static ModelRuntime open(Kind kind, OnnxModel model, int threads, EngineSession.Device device)
            throws ModelLoadException, UnsupportedOpsException {
        if (kind == Kind.TORCH) {
            throw new IllegalArgumentException("the torch runtime needs the TorchScript file, not an ONNX model");
        }
        if (kind == Kind.ENGINE) {
            EnginePool pool = new EnginePool(threads);
            try {
                return new EngineRuntime(EngineSession.load(model, pool, device), pool);
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
