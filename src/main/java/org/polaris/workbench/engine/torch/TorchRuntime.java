package org.polaris.workbench.engine.torch;

import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.runtime.ModelRuntime;
import org.polaris.workbench.engine.runtime.NodeTiming;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TorchScript ({@code .pt}) models through DJL's PyTorch engine, offline (the natives ship in a jar and unpack once
 * into {@code ~/.djl.ai}). TorchScript has no per-node profile here: a profile is one entry for the whole forward.
 */
public final class TorchRuntime implements ModelRuntime {

    private final ZooModel<NDList, NDList> model;
    private final Predictor<NDList, NDList> predictor;

    private TorchRuntime(ZooModel<NDList, NDList> model) {
        this.model = model;
        this.predictor = model.newPredictor();
    }

    /** Opens a user's file: checked by {@link TorchArchive}, then loaded once in a child JVM first. */
    public static TorchRuntime open(Path file, int threads) throws ModelLoadException {
        TorchArchive.check(file);
        TorchProbe.check(file);
        return load(file, threads);
    }

    /** Opens a file this process wrote through libtorch itself (no child-process check). */
    public static TorchRuntime openWritten(Path file, int threads) throws ModelLoadException {
        return load(file, threads);
    }

    private static TorchRuntime load(Path file, int threads) throws ModelLoadException {
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException(file, ModelLoadException.Problem.NOT_FOUND, "no such TorchScript file");
        }
        // Never reach for the network: the natives come from the class path.
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(Math.max(1, threads)));
        try {
            Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                    .optModelPath(file.toAbsolutePath()).optEngine("PyTorch").build();
            return new TorchRuntime(criteria.loadModel());
        } catch (ModelNotFoundException | MalformedModelException | IOException | RuntimeException e) {
            throw new ModelLoadException(file, ModelLoadException.Problem.RUNTIME_REJECTED,
                    "PyTorch cannot load this TorchScript file: " + String.valueOf(e.getMessage()).replaceAll("\\s+", " "), e);
        }
    }

    @Override
    public String name() {
        return "torch";
    }

    /** Feeds the float inputs in order; outputs are named {@code output_0}, {@code output_1}, ... */
    @Override
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        try (NDManager m = model.getNDManager().newSubManager()) {
            NDList in = new NDList();
            for (Tensor t : inputs.values()) {
                if (t.dataType() != DataType.FLOAT) {
                    throw new IllegalArgumentException("TorchScript inputs must be float32 here, got " + t.dataType());
                }
                in.add(m.create(t.toFloats(), new Shape(t.dims())));
            }
            NDList out = predictor.predict(in);
            Map<String, Tensor> result = new LinkedHashMap<>();
            for (int i = 0; i < out.size(); i++) {
                NDArray a = out.get(i);
                result.put("output_" + i, Tensor.ofFloats("output_" + i, a.getShape().getShape(), a.toFloatArray()));
            }
            return result;
        } catch (TranslateException e) {
            throw new IllegalStateException("PyTorch failed to run the model: " + e.getMessage(), e);
        }
    }

    @Override
    public List<NodeTiming> profile(Map<String, Tensor> inputs) {
        long t0 = System.nanoTime();
        run(inputs);
        return List.of(new NodeTiming("forward", "TorchScript", System.nanoTime() - t0, 0, 0));
    }

    /** Named parameters with their values (for statistics): TorchScript keeps no ONNX-style initializers. */
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        model.getBlock().getParameters().forEach(p -> {
            NDArray a = p.getValue().getArray();
            out.put(p.getKey(), Tensor.ofFloats(p.getKey(), a.getShape().getShape(), a.toFloatArray()));
        });
        return out;
    }

    @Override
    public void close() {
        predictor.close();
        model.close();
    }
}
