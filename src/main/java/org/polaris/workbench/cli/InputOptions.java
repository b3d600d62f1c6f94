package org.polaris.workbench.cli;

import org.polaris.workbench.engine.data.DataSources;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.inference.InputSpec;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Input options shared by run, bench and profile. */
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

    InputSpec spec() throws CliException {
        try {
            return new InputSpec(image, data, index, new Preprocessing(DataSources.parseScale(scale), mean, std, 0, 0, "NCHW"));
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }
}
