package org.polaris.workbench.cli;

import org.polaris.workbench.engine.inference.InputSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Input options shared by run, bench and profile. */
final class InputOptions {

    @Option(names = "--input", paramLabel = "IMAGE", description = "an image file (resized and center-cropped to the model's input)")
    Path image;

    @Option(names = "--data", paramLabel = "IDX", description = "an IDX images file (labels beside it are shown)")
    Path data;

    @Bounds(min = 0, max = 10000000)
    @Option(names = "--index", defaultValue = "0", paramLabel = "N", description = "sample index in --data")
    int index;

    @Mixin
    PreprocessingOptions pre = new PreprocessingOptions();

    InputSpec spec() throws CliException {
        return new InputSpec(image, data, index, pre.toPreprocessing());
    }
}
