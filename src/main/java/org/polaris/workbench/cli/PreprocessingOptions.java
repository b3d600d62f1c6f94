package org.polaris.workbench.cli;

import org.polaris.workbench.engine.data.DataSources;
import org.polaris.workbench.engine.data.Preprocessing;
import picocli.CommandLine.Option;

/** How pixels become model inputs; shared by quantize, run, bench and profile. */
final class PreprocessingOptions {

    @Option(names = "--scale", defaultValue = "1/255", paramLabel = "S", description = "pixel multiplier, e.g. 1/255 or 1")
    String scale;

    @Bounds(min = -1000000.0, max = 1000000.0)
    @Option(names = "--mean", split = ",", paramLabel = "M", description = "per-channel mean after scaling (default 0)")
    double[] mean = {0};

    @Bounds(min = -1000000.0, max = 1000000.0)
    @Option(names = "--std", split = ",", paramLabel = "S", description = "per-channel std after scaling (default 1)")
    double[] std = {1};

    @Bounds(min = 0, max = 8192)
    @Option(names = "--resize", defaultValue = "0", paramLabel = "N", description = "images: shorter side before cropping (default crop*8/7)")
    int resize;

    @Bounds(min = 0, max = 8192)
    @Option(names = "--crop", defaultValue = "0", paramLabel = "N", description = "images: center crop (default: the model's input size)")
    int crop;

    @Option(names = "--layout", defaultValue = "NCHW", paramLabel = "NCHW|NHWC", description = "image tensor layout")
    String layout;

    Preprocessing toPreprocessing() throws CliException {
        try {
            return new Preprocessing(DataSources.parseScale(scale), mean, std, resize, crop, layout);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }
}
