package org.polaris.workbench.engine.quant;

import org.polaris.workbench.engine.data.InputData;

import java.nio.file.Path;

/**
 * One quantization job.
 *
 * @param calibration data for activation ranges (static mode); may be synthetic, which the report flags
 * @param evaluation data to compare original and quantized on (labels give accuracy); defaults to calibration
 * @param report where the JSON report goes; {@code null} puts it beside the output as {@code OUT.report.json}
 * @param minCosine verification: mean output cosine to the original below this fails the job
 * @param sensitivitySeconds time budget for quantizing one layer at a time (static mode; 0 = skip)
 * @param speedCheck static mode: time convolutions with few input channels (image stems, where ONNX Runtime's
 *                   8-bit kernel is slower than its float one) both ways and keep them in float when that is faster
 */
public record QuantRequest(Path model, Path output, boolean overwrite, QuantOptions options, InputData calibration,
                           int calibrationSamples, InputData evaluation, QuantEvaluator.Settings evalSettings,
                           Path report, double minCosine, double sensitivitySeconds, boolean speedCheck) {

    /** A request with the speed check on. */
    public QuantRequest(Path model, Path output, boolean overwrite, QuantOptions options, InputData calibration,
                        int calibrationSamples, InputData evaluation, QuantEvaluator.Settings evalSettings, Path report,
                        double minCosine, double sensitivitySeconds) {
        this(model, output, overwrite, options, calibration, calibrationSamples, evaluation, evalSettings, report,
                minCosine, sensitivitySeconds, true);
    }

    /** A request without the per-layer accuracy sensitivity analysis. */
    public QuantRequest(Path model, Path output, boolean overwrite, QuantOptions options, InputData calibration,
                        int calibrationSamples, InputData evaluation, QuantEvaluator.Settings evalSettings, Path report,
                        double minCosine) {
        this(model, output, overwrite, options, calibration, calibrationSamples, evaluation, evalSettings, report,
                minCosine, 0);
    }

    /** The output rule for this job: replace only with {@code overwrite}, never the model or its data. */
    public org.polaris.workbench.engine.io.OutputPolicy outputPolicy() {
        java.util.List<Path> in = new java.util.ArrayList<>();
        in.add(model);
        if (calibration != null) {
            in.addAll(calibration.files());
        }
        if (evaluation != null) {
            in.addAll(evaluation.files());
        }
        return new org.polaris.workbench.engine.io.OutputPolicy(overwrite, in);
    }

    public Path reportPath() {
        return report != null ? report : output.resolveSibling(output.getFileName() + ".report.json");
    }
}
