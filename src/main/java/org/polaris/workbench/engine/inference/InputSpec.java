package org.polaris.workbench.engine.inference;

import org.polaris.workbench.engine.data.DataException;
import org.polaris.workbench.engine.data.DataFileException;
import org.polaris.workbench.engine.data.DataSources;
import org.polaris.workbench.engine.data.Feeds;
import org.polaris.workbench.engine.data.InputPlan;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one run feeds a model: sample {@code index} of a data set ({@code data}: IDX, image or audio folder, .npz
 * samples, ONNX test data sets) for the inputs it holds, and the request's sources (files or generators) and shapes
 * for the rest; without {@code data} every input takes its source (seeded random by default).
 */
public record InputSpec(InputPlan.Request request, Path data, int index) {

    /** One prepared run: the feeds, the sample's label (or -1), what they are, and whether any is random. */
    public record Sample(Map<String, Tensor> feeds, int label, String source, boolean synthetic) {
        public Sample {
            feeds = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(feeds));
        }
    }

    public static InputSpec random() {
        return new InputSpec(InputPlan.Request.of(Preprocessing.unitScale()), null, 0);
    }

    /**
     * One run's feeds as the request gives them: the batch a --shape gave a batched input (its dynamic first
     * dimension), else 1; a data set's sample is one. {@code run} and {@code profile} feed this, so
     * {@code --shape image=8x1x28x28} runs eight samples instead of quietly one.
     */
    public Sample sample(OnnxModel model) throws DataException {
        return sample(model, 0);
    }

    /** The batch a --shape gave a batched input of the plan, else 1. */
    private static int givenBatch(InputPlan plan) {
        for (InputPlan.Planned p : plan.inputs()) {
            long[] shape = p.shape();
            if (p.batched() && shape != null && shape.length > 0 && shape[0] > 1) {
                return Math.toIntExact(shape[0]);
            }
        }
        return 1;
    }

    /** @param batch samples to stack, or 0 for the batch the request's shapes give ({@link #sample(OnnxModel)}) */
    public Sample sample(OnnxModel model, int batch) throws DataException {
        List<ValueInfo> inputs = model.graph().feedInputs();
        try {
            if (data == null) {
                Feeds f = DataSources.open(null, request, Math.max(1, batch), inputs);
                int count = batch > 0 ? batch : givenBatch(f.plan());
                if (count != f.size()) {
                    f = new Feeds(f.plan(), null, count); // the same plan, described with its sample count
                }
                return new Sample(f.feeds(0, count, inputs), -1, f.description(), f.isSynthetic());
            }
            if (index < 0) {
                throw new DataException(data + ": sample " + index + " does not exist");
            }
            Feeds f = DataSources.open(data, request, index + 1, inputs);
            if (index >= f.size()) {
                throw new DataException(data + ": sample " + index + " does not exist (" + f.size() + " read)");
            }
            Map<String, Tensor> one = f.feeds(index, 1, inputs);
            Map<String, Tensor> feeds = new LinkedHashMap<>();
            for (ValueInfo v : inputs) {
                InputPlan.Planned p = f.plan().input(v.name());
                Tensor t = one.get(v.name());
                feeds.put(v.name(), batch > 1 && p.batched() && t.rank() > 0 && t.dims()[0] == 1 ? repeat(t, batch) : t);
            }
            return new Sample(feeds, f.label(index), f.description() + ", sample " + index, f.isSynthetic());
        } catch (DataFileException e) {
            throw new DataException(e.getMessage());
        }
    }

    private static Tensor repeat(Tensor one, int batch) {
        byte[] raw = one.raw();
        byte[] all = new byte[Math.multiplyExact(raw.length, batch)];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(raw, 0, all, i * raw.length, raw.length);
        }
        long[] dims = one.dims();
        dims[0] = batch;
        return new Tensor(one.name(), one.dataType(), dims, all, List.of(), null, "");
    }
}
