package org.polaris.workbench.engine.inference;

import org.polaris.workbench.engine.data.DataException;
import org.polaris.workbench.engine.data.DataSources;
import org.polaris.workbench.engine.data.Dataset;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.ImageFolderDataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueType;

import java.nio.file.Path;

/**
 * Where an inference input comes from: an image file, sample {@code index} of an IDX file, or (both null) seeded
 * random data shaped like the model's input. Crop and resize default to the model's input size.
 */
public record InputSpec(Path image, Path idx, int index, Preprocessing preprocessing) {

    /** One prepared input: a batch tensor named for the model, the sample's label (or -1), and what it is. */
    public record Sample(Tensor input, int label, String source) {
    }

    public static InputSpec random() {
        return new InputSpec(null, null, 0, Preprocessing.unitScale());
    }

    public Sample sample(OnnxModel model, int batch) throws DataException {
        ValueType in = model.graph().feedInputs().get(0).type();
        String name = model.graph().feedInputs().get(0).name();
        Preprocessing pre = DataSources.withModelCrop(preprocessing, in);
        Dataset d;
        int at = 0;
        if (image != null) {
            d = ImageFolderDataset.ofFile(image, pre);
        } else if (idx != null) {
            if (index < 0) {
                throw new DataException(idx + ": sample " + index + " does not exist");
            }
            d = IdxDataset.open(idx, pre, index + 1);
            at = index;
            if (index >= d.size()) {
                throw new DataException(idx + ": sample " + index + " does not exist (" + d.size() + " read)");
            }
        } else {
            d = DataSources.open(null, pre, batch, in);
        }
        Tensor x = image == null && idx == null ? d.batch(0, batch) : repeat(d.batch(at, 1), batch);
        return new Sample(x.withName(name), d.label(at), d.description());
    }

    private static Tensor repeat(Tensor one, int batch) {
        if (batch == 1) {
            return one;
        }
        float[] v = one.toFloats();
        float[] all = new float[v.length * batch];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(v, 0, all, b * v.length, v.length);
        }
        long[] dims = one.dims();
        dims[0] = batch;
        return Tensor.ofFloats(one.name(), dims, all);
    }
}
