package org.polaris.workbench.engine.quant;

import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;

/** Runs one quantization job: what the Quantize pane needs of {@link QuantizeService}. */
@FunctionalInterface
public interface Quantizer {

    QuantReport run(QuantRequest request, ProgressSink progress, CancellationToken cancel) throws Exception;
}
