package org.polaris.workbench.engine.torch;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.io.OutputSet;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Edits a TorchScript model's weights in place and writes it back as {@code .pt}: DJL loads the module with
 * trainable parameters, each weight (rank >= 2) is replaced by what {@code transform} returns for it, and
 * {@code JniUtils.writeModule} serializes the module through a temporary file. The file stays float32
 * (fake-quant): TorchScript has no portable integer weight format here.
 */
public final class TorchFakeQuant {

    /** What happened to one weight. */
    public record Changed(String name, long[] shape, float[] before, float[] after) {
    }

    private TorchFakeQuant() {
    }

    /** Writes the edited module as {@code out} staged in {@code outputs} (in place when they are committed). */
    public static List<Changed> rewrite(Path in, OutputSet outputs, Path out,
                                        BiFunction<float[], long[], float[]> transform)
            throws ModelLoadException, IOException {
        TorchArchive.check(in);
        TorchProbe.check(in);
        System.setProperty("ai.djl.offline", "true");
        List<Changed> changed = new ArrayList<>();
        try {
            Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class)
                    .optModelPath(in.toAbsolutePath()).optEngine("PyTorch").optOption("trainParam", "true").build();
            try (ZooModel<NDList, NDList> model = criteria.loadModel()) {
                for (var p : model.getBlock().getParameters()) {
                    NDArray a = p.getValue().getArray();
                    long[] shape = a.getShape().getShape();
                    if (shape.length < 2) {
                        continue;
                    }
                    float[] before = a.toFloatArray();
                    float[] after = transform.apply(before, shape);
                    a.set(after);
                    changed.add(new Changed(p.getKey(), shape, before, after));
                }
                try (OutputStream os = outputs.open(out)) {
                    JniUtils.writeModule((PtSymbolBlock) model.getBlock(), os, false);
                }
            }
        } catch (ModelNotFoundException | MalformedModelException | RuntimeException e) {
            throw new ModelLoadException(in, ModelLoadException.Problem.RUNTIME_REJECTED,
                    "PyTorch cannot load this TorchScript file: " + String.valueOf(e.getMessage()).replaceAll("\\s+", " "), e);
        }
        return changed;
    }
}
