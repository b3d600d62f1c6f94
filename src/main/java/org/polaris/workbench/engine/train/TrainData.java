package org.polaris.workbench.engine.train;

import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.ValueType;

import java.util.ArrayList;
import java.util.List;

/** Labelled samples held in memory as float32 rows, as training reads them in shuffled batches. */
public record TrainData(float[] x, int[] labels, int count, int perSample, String description) {

    /** Samples a data set may bring into memory (Fashion-MNIST's 60,000 images are 188 MB as floats). */
    public static final long MAX_FLOATS = 200_000_000L;

    /**
     * Reads up to {@code limit} samples (0: all) of {@code data} for the model's input, which must be labelled.
     */
    public static TrainData load(InputData data, TrainableModel model, int limit) {
        if (!data.hasLabels()) {
            throw new IllegalArgumentException(data.description() + ": training needs labels (an IDX labels file beside the "
                    + "images, or a folder with one sub-folder per class)");
        }
        int n = limit > 0 ? Math.min(limit, data.size()) : data.size();
        int per = Layers.size(model.inputShape());
        if ((long) n * per > MAX_FLOATS) {
            throw new IllegalArgumentException(data.description() + ": " + n + " samples of " + per + " values are more than "
                    + "training holds in memory (" + MAX_FLOATS / 1_000_000 + " million values); pass a smaller limit");
        }
        List<Dim> dims = new ArrayList<>();
        dims.add(Dim.symbolic("batch"));
        for (int d : model.inputShape()) dims.add(Dim.of(d));
        List<ValueInfo> inputs = List.of(new ValueInfo(model.inputName(), ValueType.tensor(DataType.FLOAT, dims), ""));
        float[] x = new float[n * per];
        int[] labels = new int[n];
        int chunk = Math.max(1, Math.min(data.maxBatch(), 512));
        for (int start = 0; start < n; start += chunk) {
            int c = Math.min(chunk, n - start);
            Tensor t = data.feeds(start, c, inputs).get(model.inputName());
            float[] v = t.toFloats();
            System.arraycopy(v, 0, x, start * per, c * per);
            for (int i = 0; i < c; i++) labels[start + i] = data.label(start + i);
        }
        return new TrainData(x, labels, n, per, data.description());
    }
}
