package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;

import java.util.List;
import java.util.Map;

/**
 * Samples of one tensor (IDX images, an image folder, audio clips, random values). Alone it feeds a single-input
 * model; {@link Feeds} pairs it with sources for a model's other inputs.
 */
public interface Dataset extends InputData {

    /** Samples {@code [start, start + count)} as one batch tensor (batch dimension first). */
    Tensor batch(int start, int count);

    @Override
    default Map<String, Tensor> feeds(int start, int count, List<ValueInfo> inputs) {
        if (inputs.size() != 1) {
            throw new DataFileException(description() + " gives one tensor a sample, but the model has "
                    + inputs.size() + " inputs (" + String.join(", ", inputs.stream().map(ValueInfo::name).toList())
                    + "): give the others a source with --input NAME=SOURCE");
        }
        ValueInfo in = inputs.get(0);
        return Map.of(in.name(), TensorFit.fit(batch(start, count), in, count));
    }
}
