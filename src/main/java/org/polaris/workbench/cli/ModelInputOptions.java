package org.polaris.workbench.cli;

import org.polaris.workbench.engine.data.InputPlan;
import org.polaris.workbench.engine.data.InputSource;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.data.ShapeSpec;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** {@code --shape}, {@code --input} and {@code --sample-rate}: how every command fixes a model's inputs. */
final class ModelInputOptions {

    @Option(names = "--shape", paramLabel = "[NAME=]D1xD2x...",
            description = "fix an input's dynamic dimensions, e.g. --shape x=1x3x640x640 (repeatable; a bare shape "
                    + "for a single-input model). A dynamic batch dimension defaults to 1")
    List<String> shapes = new ArrayList<>();

    @Option(names = "--input", paramLabel = "[NAME=]SOURCE",
            description = "an input's values (repeatable): a .npy, ONNX .pb tensor, image (png/jpg/bmp/gif) or .wav "
                    + "file, or zeros, random, value:V (e.g. sr=value:16000); a bare SOURCE feeds a single-input model")
    List<String> inputs = new ArrayList<>();

    @Bounds(min = 0, max = 1000000)
    @Option(names = "--sample-rate", defaultValue = "0", paramLabel = "HZ",
            description = "audio files must have this sample rate (default: any)")
    int sampleRate;

    InputPlan.Request request(Preprocessing pre) throws CliException {
        if (shapes.size() > 256 || inputs.size() > 256) {
            throw new CliException("at most 256 --shape and --input options", 2);
        }
        try {
            List<ShapeSpec> s = new ArrayList<>();
            for (String t : shapes) {
                s.add(ShapeSpec.parse(t));
            }
            List<InputSource.Binding> b = new ArrayList<>();
            for (String t : inputs) {
                b.add(InputSource.parseBinding(t));
            }
            return new InputPlan.Request(s, b, pre, sampleRate);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }
}
