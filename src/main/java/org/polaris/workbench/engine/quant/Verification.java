package org.polaris.workbench.engine.quant;

import java.util.Locale;

/**
 * The checks every compressed model must pass before it is written, shared by quantize and prune. Comparisons are
 * written so that NaN fails them: an agreement that cannot be computed is a failure, never a pass.
 */
public final class Verification {

    /** An output whose largest magnitude is below this carries no signal to compare (float32 rounding noise). */
    static final double VANISHING = 1e-9;

    private Verification() {
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    private static double maxAbs(float[] values) {
        double m = 0;
        for (float f : values) {
            m = Math.max(m, Math.abs(f));
        }
        return m;
    }

    /** Fails when any value is NaN or infinite; {@code whose} says which model ("original", "quantized"). */
    public static void requireFinite(String whose, String output, float[] values) throws QuantizationException {
        for (float f : values) {
            if (!Float.isFinite(f)) {
                throw new QuantizationException("verification failed: the " + whose + " model's output " + output
                        + " contains NaN or infinity, so agreement cannot be computed");
            }
        }
    }

    /** Fails unless {@code cosine} is a number at least {@code min}. */
    public static void requireCosine(String output, double cosine, double min) throws QuantizationException {
        if (!(cosine >= min)) {
            throw new QuantizationException(Double.isNaN(cosine)
                    ? "verification failed: output " + output + " cannot be compared with the original (cosine is NaN)"
                    : String.format(Locale.ROOT, "verification failed: output %s has cosine %.4f to the original "
                    + "(minimum %.4f)", output, cosine, min));
        }
    }

    /**
     * Every output of the original is present in the result; float outputs of equal shape are finite and have at
     * least {@code minCosine} to the original's (outputs whose shape follows the data, like detections, may differ).
     */
    public static void requireClose(java.util.Map<String, org.polaris.workbench.engine.model.Tensor> original,
                                    java.util.Map<String, org.polaris.workbench.engine.model.Tensor> result,
                                    String whose, double minCosine) throws QuantizationException {
        for (java.util.Map.Entry<String, org.polaris.workbench.engine.model.Tensor> e : original.entrySet()) {
            org.polaris.workbench.engine.model.Tensor r = result.get(e.getKey());
            if (r == null) {
                throw new QuantizationException("verification failed: output " + e.getKey() + " is missing in the "
                        + whose + " model");
            }
            if (e.getValue().dataType() == org.polaris.workbench.engine.model.DataType.FLOAT
                    && java.util.Arrays.equals(r.dims(), e.getValue().dims())) {
                float[] ref = e.getValue().toFloats();
                float[] v = r.toFloats();
                requireFinite("original", e.getKey(), ref);
                requireFinite(whose, e.getKey(), v);
                long[] dims = e.getValue().dims();
                // rows of a set (a detector's boxes, one image): near-tied scores may swap two rows
                double cosine = dims.length >= 2 && dims[0] > 1 && dims[0] <= Integer.MAX_VALUE
                        ? QuantMath.cosineAnyRowOrder(toDoubles(ref), toDoubles(v), (int) dims[0])
                        : QuantMath.cosine(ref, v);
                double peak = maxAbs(ref);
                if (!(cosine >= minCosine) && peak < VANISHING) {
                    throw new QuantizationException(String.format(Locale.ROOT, "verification failed: the original "
                            + "model's output %s is numerically zero on these inputs (largest |value| %.3g), so no "
                            + "comparison means anything; check the model's weights and the inputs", e.getKey(), peak));
                }
                requireCosine(e.getKey(), cosine, minCosine);
            }
        }
    }

    /** Fails unless the evaluation's agreement is computable and its mean cosine reaches {@code minCosine}. */
    public static void requireAgreement(Evaluation.Agreement a, double minCosine) throws QuantizationException {
        if (!a.outputs().isEmpty() && a.outputs().stream().allMatch(o -> o.samples() > 0 && o.empty() == o.samples())) {
            throw new QuantizationException("verification failed: every output was empty in both models on these "
                    + "inputs (a detector found nothing), so there is nothing to compare; evaluate on inputs that give "
                    + "results (--eval-data); nothing written");
        }
        boolean classLike = a.outputs().isEmpty() || a.outputs().stream().anyMatch(Evaluation.OutputAgreement::classLike);
        if (a.samples() < 1 || Double.isNaN(a.meanCosine()) || (classLike && Double.isNaN(a.top1()))) {
            throw new QuantizationException("verification failed: agreement with the original cannot be computed "
                    + "(outputs are not finite, or no sample was compared); nothing written");
        }
        if (!(a.meanCosine() >= minCosine)) {
            throw new QuantizationException(String.format(Locale.ROOT,
                    "the result's outputs drift from the original's (mean cosine %.4f < %.4f over %d samples); "
                            + "exclude the most sensitive layers or use milder settings",
                    a.meanCosine(), minCosine, a.samples()));
        }
    }

    /**
     * Reads a staged output back (the temporary file {@code staged} that becomes {@code target}); a failure names
     * the user's output, not the temporary file, and fails the verification (nothing is written).
     */
    public static org.polaris.workbench.engine.model.OnnxModel reread(
            org.polaris.workbench.engine.model.OnnxModelReader reader, java.nio.file.Path staged,
            java.nio.file.Path target, java.util.Map<String, java.nio.file.Path> aliases) throws QuantizationException {
        try {
            return reader.read(staged, aliases);
        } catch (org.polaris.workbench.engine.model.ModelLoadException e) {
            String why = String.valueOf(e.getMessage()).replace(staged.toString() + ": ", "");
            throw new QuantizationException(target + ": verification failed: the written model cannot be read back: "
                    + why + "; nothing was written", e);
        }
    }
}
