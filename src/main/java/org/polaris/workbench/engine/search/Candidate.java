package org.polaris.workbench.engine.search;

import org.polaris.workbench.engine.quant.Calibration;
import org.polaris.workbench.engine.quant.IntType;
import org.polaris.workbench.engine.quant.QuantOptions;
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

    /** How to prune: method, target sparsity, how it spreads over layers, least-squares re-fit. */
    public record Prune(PruneMethod method, double sparsity, Spread spread, boolean refit)
            implements java.io.Serializable {

        /** Everything but the sparsity: candidates of one flavour differ only in how much they prune. */
        public String flavour() {
            return method + " " + spread + (refit ? " refit" : "");
        }

        /**
         * Whether the search's pruning scan predicts this candidate: magnitude pruning without re-fit, by one global
         * threshold or uniformly per layer, loses at least about what its worst layer loses pruned alone as much as
         * the candidate prunes it.
         */
        public boolean scanned() {
            return method.kind() == PruneMethod.Kind.MAGNITUDE && (spread == Spread.GLOBAL || spread == Spread.UNIFORM)
                    && !refit;
        }
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

    /**
     * Static INT8 as {@code base} with {@code layers} kept in float, named {@code base-SUFFIX}: the image stem
     * ({@code stemfloat}) or the most sensitive layers ({@code keepK}).
     */
    static Candidate keepingFloat(Candidate base, String suffix, List<String> layers) {
        return new Candidate(base.id() + "-" + suffix, Kind.STATIC_INT8,
                base.quant().withExclude(new java.util.LinkedHashSet<>(layers)), null);
    }

    /** Static INT8 with signed, symmetric 8-bit activations (S8S8) instead of unsigned asymmetric ones. */
    static Candidate staticInt8Signed(String calibration) {
        QuantOptions o = new QuantOptions(QuantOptions.Mode.STATIC, 8, true, true, IntType.INT8, true, 32,
                QuantOptions.Int4Format.MATMUL_NBITS, Calibration.parse(calibration), Set.of());
        return new Candidate("static-int8-" + calibration + "-s8", Kind.STATIC_INT8, o, null);
    }

    /** Magnitude pruning by one global threshold (what {@code prune} does by default). */
    static Candidate prune(double sparsity, boolean refit, boolean int8) {
        return prune(PruneMethod.parse("magnitude"), sparsity, Spread.GLOBAL, refit, int8);
    }

    /**
     * Pruning by {@code method}: the id names the method unless it is magnitude ({@code prune-channel-50},
     * {@code prune-block4x4-50}, {@code prune-2of4}: N:M pruning has its own sparsity), then the sparsity, a
     * per-layer spread, the re-fit and the INT8 step. Only magnitude pruning has a global threshold: the other methods
     * take {@code global} as uniform per layer.
     */
    static Candidate prune(PruneMethod method, double sparsity, Spread spread, boolean refit, boolean int8) {
        boolean nm = method.kind() == PruneMethod.Kind.NM;
        double s = nm ? method.fixedSparsity() : sparsity;
        Spread sp = spread == Spread.GLOBAL && method.kind() != PruneMethod.Kind.MAGNITUDE ? Spread.UNIFORM : spread;
        Prune p = new Prune(method, s, sp, refit);
        String tag = switch (method.kind()) {
            case MAGNITUDE -> "";
            case NM -> method.n() + "of" + method.m();
            case BLOCK -> "block" + method.blockRows() + "x" + method.blockCols() + "-";
            case CHANNEL -> method.n() == 1 ? "channel-l1-" : "channel-";
        };
        String id = String.format(Locale.ROOT, "prune-%s%s%s%s%s", tag, nm ? "" : String.format(Locale.ROOT, "%.0f", 100 * s),
                sp == Spread.GLOBAL || sp == Spread.UNIFORM && method.kind() != PruneMethod.Kind.MAGNITUDE ? "" : "-" + sp,
                refit ? "-refit" : "", int8 ? "-int8" : "");
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
                    prune.spread() == Spread.GLOBAL ? ", one global threshold" : ", " + prune.spread() + " per layer",
                    prune.refit() ? ", re-fit" : "", kind == Kind.PRUNE_INT8 ? ", then static INT8" : "");
        };
    }
}
