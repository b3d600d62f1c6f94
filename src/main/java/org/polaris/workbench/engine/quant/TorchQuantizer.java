package org.polaris.workbench.engine.quant;

import org.polaris.workbench.engine.data.Dataset;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.io.OutputPolicy;
import org.polaris.workbench.engine.io.OutputSet;
import org.polaris.workbench.engine.torch.TorchFakeQuant;
import org.polaris.workbench.engine.torch.TorchRuntime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Weight fake-quantization of TorchScript models: every weight is quantized per output channel (int8 or int4,
 * symmetric) and dequantized back in place, the module is written as a new {@code .pt}, and the written file is
 * re-loaded in a fresh PyTorch session and compared with the original on real inputs before success.
 */
public final class TorchQuantizer {

    /** The outcome: per-layer weight errors and output agreement of the re-loaded file against the original. */
    public record Result(Path output, long originalBytes, long quantizedBytes, List<LayerReport> layers,
                         Evaluation.Agreement agreement) {
    }

    /**
     * Fake-quantizes {@code in} into {@code out} and writes the report, both under {@code policy} and together or
     * not at all.
     */
    public Result fakeQuantize(Path in, Path out, Path report, OutputPolicy policy, int bits, Dataset data, int samples,
                               double minCosine) throws ModelLoadException, IOException, QuantizationException {
        policy = policy.withInputs(java.util.List.of(in)).withInputs(data.files());
        policy.preflight(out, report);
        try (OutputSet outputs = new OutputSet(policy)) {
            Result r = fakeQuantize(in, outputs, out, bits, data, samples, minCosine);
            outputs.write(report, reportJson(in, r));
            outputs.commit();
            return r;
        }
    }

    private Result fakeQuantize(Path in, OutputSet outputs, Path out, int bits, Dataset data, int samples,
                                double minCosine) throws ModelLoadException, IOException, QuantizationException {
        IntType type = bits == 4 ? IntType.INT4 : IntType.INT8;
        // 8-bit: one scale per output channel; 4-bit: blocks of 32 along the input axis of 2-D weights too coarse
        // otherwise (per-channel int4 loses about a tenth of top-1 agreement on the Fashion MLP).
        List<TorchFakeQuant.Changed> changed = TorchFakeQuant.rewrite(in, outputs, out,
                (w, shape) -> bits == 4 && shape.length == 2
                        ? WeightQuantizer.blocked(w, shape, 1, 32, type, true).dequantized()
                        : WeightQuantizer.perChannel(w, shape, 0, type, true).dequantized());
        List<LayerReport> layers = new ArrayList<>();
        for (TorchFakeQuant.Changed c : changed) {
            layers.add(new LayerReport(c.name(), "weight", c.name(), null, bits, true,
                    QuantMath.sqnrDb(c.before(), c.after()), QuantMath.cosine(c.before(), c.after()),
                    QuantMath.maxAbsError(c.before(), c.after()), Double.NaN, Double.NaN, "fake-quant, stored as float32"));
        }
        Path written = outputs.temporary(out);
        Evaluation.Agreement agreement;
        try {
            agreement = compare(in, written, data, samples);
        } catch (RuntimeException e) {
            throw new QuantizationException("verification failed: the written .pt does not run: " + e.getMessage(), e);
        }
        Verification.requireAgreement(agreement, minCosine);
        return new Result(out, Files.size(in), Files.size(written), layers, agreement);
    }

    private static byte[] reportJson(Path model, Result r) throws IOException {
        java.util.Map<String, Object> j = new java.util.LinkedHashMap<>();
        j.put("model", model.toString());
        j.put("output", r.output().toString());
        j.put("settings", java.util.Map.of("mode", "weight-only fake-quant (TorchScript)", "bits",
                r.layers().isEmpty() ? 8 : r.layers().get(0).bits()));
        j.put("original", java.util.Map.of("fileBytes", r.originalBytes()));
        j.put("quantized", java.util.Map.of("fileBytes", r.quantizedBytes()));
        j.put("agreement", java.util.Map.of("top1", r.agreement().top1(), "cosine", r.agreement().meanCosine(),
                "maxAbsError", r.agreement().maxAbsError(), "samples", r.agreement().samples()));
        java.util.List<java.util.Map<String, Object>> layers = new ArrayList<>();
        r.layers().forEach(l -> layers.add(java.util.Map.of("name", l.name(), "bits", l.bits(), "perChannel", true,
                "sqnrDb", Double.isFinite(l.sqnrDb()) ? l.sqnrDb() : 999.0)));
        j.put("layers", layers);
        j.put("warnings", java.util.List.of("TorchScript weights are fake-quantized: the .pt stays float32, "
                + "so it is not smaller or faster; use it to check accuracy, or quantize the ONNX twin for deployment."));
        return new com.fasterxml.jackson.databind.ObjectMapper()
                .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(j);
    }

    /** Top-1 agreement and output cosine of two TorchScript files on the same inputs (fresh PyTorch sessions). */
    public static Evaluation.Agreement compare(Path a, Path b, Dataset data, int samples) throws ModelLoadException {
        int n = Math.min(samples, data.size());
        try (TorchRuntime ra = TorchRuntime.open(a, 1); TorchRuntime rb = TorchRuntime.openWritten(b, 1)) {
            int agree = 0;
            double cos = 0;
            double minCos = 1;
            double maxAbs = 0;
            for (int s = 0; s < n; s += 32) {
                int count = Math.min(32, n - s);
                Tensor x = data.batch(s, count).withName("input");
                float[] fa = ra.run(Map.of("input", x)).get("output_0").toFloats();
                float[] fb = rb.run(Map.of("input", x)).get("output_0").toFloats();
                int per = fa.length / count;
                for (int i = 0; i < count; i++) {
                    float[] ya = java.util.Arrays.copyOfRange(fa, i * per, (i + 1) * per);
                    float[] yb = java.util.Arrays.copyOfRange(fb, i * per, (i + 1) * per);
                    if (QuantEvaluator.argmax(ya) == QuantEvaluator.argmax(yb)) agree++;
                    double c = QuantMath.cosine(ya, yb);
                    cos += c;
                    minCos = Math.min(minCos, c);
                    maxAbs = Math.max(maxAbs, QuantMath.maxAbsError(ya, yb));
                }
            }
            return new Evaluation.Agreement((double) agree / n, cos / n, minCos, maxAbs, n);
        }
    }
}
