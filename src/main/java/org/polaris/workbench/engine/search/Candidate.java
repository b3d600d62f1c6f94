package org.polaris.workbench.engine.search;

import org.polaris.workbench.engine.quant.Calibration;
import org.polaris.workbench.engine.quant.IntType;
import org.polaris.workbench.engine.quant.QuantOptions;
import org.polaris.workbench.engine.sparsity.Allocation;
import org.polaris.workbench.engine.sparsity.PruneMethod;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One point of the search space: a compression the existing services make (quantize or prune, or prune then
 * quantize), with the settings that produce it.
 *
 * @param quant the quantizer's options (null for pruning alone)
 * @param prune method and sparsity (null for quantization alone)
 */
public record Candidate(String id, Kind kind, QuantOptions quant, Prune prune) implements java.io.Serializable {

    /** What the candidate is made by. */
    public enum Kind { FP16, WEIGHT_INT8, INT4, STATIC_INT8, PRUNE, PRUNE_INT8;

        public String cli() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Kind parse(String s) {
            for (Kind k : values()) if (k.cli().equals(s.trim().toLowerCase(Locale.ROOT))) return k;
            throw new IllegalArgumentException("unknown candidate kind '" + s + "': use fp16, weight-int8, int4, static-int8, "
                    + "prune or prune-int8");
        }
    }

    /** How to prune: method, target sparsity, per-layer allocation, least-squares re-fit. */
    public record Prune(PruneMethod method, double sparsity, Allocation.Strategy allocation, boolean refit)
            implements java.io.Serializable {
    }

    static Candidate fp16() {
        return new Candidate("fp16", Kind.FP16, new QuantOptions(QuantOptions.Mode.FP16, 16, true, false, IntType.UINT8, true,
                32, QuantOptions.Int4Format.MATMUL_NBITS, Calibration.parse("minmax"), Set.of()), null);
    }

    static Candidate weightInt8() {
        return new Candidate("weight-int8", Kind.WEIGHT_INT8, new QuantOptions(QuantOptions.Mode.WEIGHT_ONLY, 8, true, false,
                IntType.UINT8, true, 32, QuantOptions.Int4Format.MATMUL_NBITS, Calibration.parse("minmax"), Set.of()), null);
    }

    static Candidate int4(int block) {
        return new Candidate("int4-b" + block, Kind.INT4, QuantOptions.int4WeightOnly(block, QuantOptions.Int4Format.MATMUL_NBITS),
                null);
    }

    static Candidate staticInt8(String calibration, boolean perChannel) {
        QuantOptions o = new QuantOptions(QuantOptions.Mode.STATIC, 8, perChannel, false, IntType.UINT8, true, 32,
                QuantOptions.Int4Format.MATMUL_NBITS, Calibration.parse(calibration), Set.of());
        return new Candidate("static-int8-" + calibration + (perChannel ? "" : "-per-tensor"), Kind.STATIC_INT8, o, null);
    }

    /** Static INT8 as {@code base}, with the few-channel convolutions (the image stem) kept in float. */
    static Candidate stemFloat(Candidate base, List<String> stems) {
        return new Candidate(base.id() + "-stemfloat", Kind.STATIC_INT8,
                base.quant().withExclude(new java.util.LinkedHashSet<>(stems)), null);
    }

    /** Static INT8 as {@code base}, with these layers (the most sensitive first) kept in float. */
    static Candidate keepFloat(Candidate base, List<String> layers) {
        return new Candidate(base.id() + "-keep" + layers.size(), Kind.STATIC_INT8,
                base.quant().withExclude(new java.util.LinkedHashSet<>(layers)), null);
    }

    /** Static INT8 with signed, symmetric 8-bit activations (S8S8) instead of unsigned asymmetric ones. */
    static Candidate staticInt8Signed(String calibration) {
        QuantOptions o = new QuantOptions(QuantOptions.Mode.STATIC, 8, true, true, IntType.INT8, true, 32,
                QuantOptions.Int4Format.MATMUL_NBITS, Calibration.parse(calibration), Set.of());
        return new Candidate("static-int8-" + calibration + "-s8", Kind.STATIC_INT8, o, null);
    }

    /** Magnitude pruning with uniform allocation. */
    static Candidate prune(double sparsity, boolean refit, boolean int8) {
        return prune(sparsity, Allocation.Strategy.UNIFORM, refit, int8);
    }

    /** Magnitude pruning; the id names a non-uniform allocation ({@code prune-50-erk-refit}). */
    static Candidate prune(double sparsity, Allocation.Strategy allocation, boolean refit, boolean int8) {
        Prune p = new Prune(PruneMethod.parse("magnitude"), sparsity, allocation, refit);
        String id = String.format(Locale.ROOT, "prune-%.0f%s%s%s", 100 * sparsity,
                allocation == Allocation.Strategy.UNIFORM ? "" : "-" + allocation, refit ? "-refit" : "", int8 ? "-int8" : "");
        return new Candidate(id, int8 ? Kind.PRUNE_INT8 : Kind.PRUNE, int8 ? QuantOptions.staticInt8() : null, p);
    }

    /** The settings in words, as the report and the pane show them. */
    public String describe() {
        return switch (kind) {
            case FP16 -> "float16 weight storage";
            case WEIGHT_INT8 -> "weight-only INT8";
            case INT4 -> "INT4 weight-only, block " + quant.blockSize();
            case STATIC_INT8 -> "static INT8, " + quant.calibration() + " calibration, "
                    + (quant.perChannel() ? "per-channel" : "per-tensor") + " weights"
                    + (quant.activationType() == IntType.INT8 ? ", signed symmetric activations" : "")
                    + (quant.exclude().isEmpty() ? "" : ", kept in float: " + String.join(", ", new java.util.TreeSet<>(quant.exclude())));
            case PRUNE, PRUNE_INT8 -> String.format(Locale.ROOT, "%s pruning to %.0f%%%s%s%s", prune.method(), 100 * prune.sparsity(),
                    prune.allocation() == Allocation.Strategy.UNIFORM ? "" : ", " + prune.allocation() + " allocation",
                    prune.refit() ? ", re-fit" : "", kind == Kind.PRUNE_INT8 ? ", then static INT8" : "");
        };
    }
}
