package org.polaris.workbench.cli;

import org.polaris.workbench.engine.data.DataException;
import org.polaris.workbench.engine.data.DataSources;
import org.polaris.workbench.engine.data.Dataset;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.ImageFolderDataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueType;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where a run's input comes from: an image, an IDX sample, or seeded random data shaped like the model's input. */
final class InputOptions {

    @Option(names = "--input", paramLabel = "IMAGE", description = "an image file (resized and center-cropped to the model's input)")
    Path image;

    @Option(names = "--data", paramLabel = "IDX", description = "an IDX images file (labels beside it are shown)")
    Path data;

    @Option(names = "--index", defaultValue = "0", paramLabel = "N", description = "sample index in --data")
    int index;

    @Option(names = "--scale", defaultValue = "1/255", paramLabel = "S", description = "pixel multiplier")
    String scale;

    @Option(names = "--mean", split = ",", paramLabel = "M", description = "per-channel mean (default 0)")
    double[] mean = {0};

    @Option(names = "--std", split = ",", paramLabel = "S", description = "per-channel std (default 1)")
    double[] std = {1};

    /** The sample as a batch of {@code batch} copies (random inputs differ per sample), and its label or -1. */
    Sample sample(OnnxModel m, int batch) throws CliException {
        ValueType in = m.graph().feedInputs().get(0).type();
        String name = m.graph().feedInputs().get(0).name();
        try {
            Preprocessing pre = DataSources.withModelCrop(new Preprocessing(DataSources.parseScale(scale), mean, std,
                    0, 0, "NCHW"), in);
            Dataset d;
            int at = 0;
            if (image != null) {
                if (!Files.isRegularFile(image)) {
                    throw new CliException(image + ": no such image file", 2);
                }
                Path tmp = Files.createTempDirectory("polaris-input");
                Files.copy(image, tmp.resolve(image.getFileName()));
                d = ImageFolderDataset.open(tmp, pre, 1);
            } else if (data != null) {
                d = IdxDataset.open(data, pre, index + 1);
                at = index;
                if (index < 0 || index >= d.size()) {
                    throw new CliException(data + ": index " + index + " out of range", 2);
                }
            } else {
                d = DataSources.open(null, pre, batch, in);
            }
            Tensor one = d.batch(at, 1);
            Tensor x = batch == 1 ? one : repeat(d, at, batch, data == null && image == null);
            return new Sample(x.withName(name), d.label(at), d.description());
        } catch (DataException | IllegalArgumentException | java.io.IOException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }

    private static Tensor repeat(Dataset d, int at, int batch, boolean random) {
        if (random) {
            return d.batch(0, batch);
        }
        float[] one = d.batch(at, 1).toFloats();
        float[] all = new float[one.length * batch];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(one, 0, all, b * one.length, one.length);
        }
        long[] dims = d.batch(at, 1).dims();
        dims[0] = batch;
        return Tensor.ofFloats("x", dims, all);
    }

    record Sample(Tensor input, int label, String source) {
    }
}
