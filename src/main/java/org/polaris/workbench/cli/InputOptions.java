package org.polaris.workbench.cli;

import org.polaris.workbench.engine.inference.InputSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Input options shared by run, bench and profile. */
final class InputOptions {

    @Mixin
    ModelInputOptions model = new ModelInputOptions();

    @Option(names = "--data", paramLabel = "PATH", description = "a data set to take sample --index from: an IDX file "
            + "(labels beside it are shown), a folder of images, .wav clips, .npz samples or ONNX test_data_set_* folders")
    Path data;

    @Bounds(min = 0, max = 10000000)
    @Option(names = "--index", defaultValue = "0", paramLabel = "N", description = "sample index in --data")
    int index;

    @Mixin
    PreprocessingOptions pre = new PreprocessingOptions();

    InputSpec spec() throws CliException {
        return new InputSpec(model.request(pre.toPreprocessing()), data, index);
    }
}
