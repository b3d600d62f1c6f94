package org.polaris.workbench.engine.quant;

import java.util.Set;

/**
 * What to quantize and how.
 *
 * @param bits 8 (static or weight-only), 4 (weight-only, blocked) or 16 (float16 weight storage)
 * @param perChannel one weight scale per output channel instead of one per tensor
 * @param symmetricActivations int8 activations with zero point 0 instead of asymmetric ones; static weights are
 *                             always symmetric (ONNX Runtime's integer kernels need zero weight zero points to fuse)
 * @param activationType UINT8 (default) or INT8
 * @param symmetricWeights weight-only mode: zero-point-free weights (default) or asymmetric ones
 * @param blockSize block length along the reduction axis for 4-bit weights (32, 64 or 128)
 * @param int4Format how 4-bit weights are written
 * @param exclude node names (or {@code OpType#index} for unnamed nodes) to keep in float
 * @param weightOnly static mode: layers whose weights are int8 but whose activations stay float (small layers where
 *                   ONNX Runtime's float kernels beat its integer ones)
 */
public record QuantOptions(Mode mode, int bits, boolean perChannel, boolean symmetricActivations,
                           IntType activationType, boolean symmetricWeights, int blockSize, Int4Format int4Format,
                           Calibration calibration, Set<String> exclude, Set<String> weightOnly)
        implements java.io.Serializable {

    /** Static QDQ, weight-only integer weights, or float16 weight storage. */
    public enum Mode { STATIC, WEIGHT_ONLY, FP16 }

    /** Opset-21 {@code DequantizeLinear} with {@code block_size}, or ONNX Runtime's {@code MatMulNBits}. */
    public enum Int4Format { DEQUANTIZE_LINEAR, MATMUL_NBITS }

    public QuantOptions {
        exclude = Set.copyOf(exclude);
        weightOnly = Set.copyOf(weightOnly);
        if (mode == Mode.FP16) {
            bits = 16;
        } else if (bits == 16) {
            mode = Mode.FP16;
        } else if (bits != 8 && bits != 4) {
            throw new IllegalArgumentException("bits must be 8, 4 or 16 (float16 storage), not " + bits);
        }
        if (bits == 4 && mode != Mode.WEIGHT_ONLY) {
            throw new IllegalArgumentException("4-bit quantization is weight-only: use --mode weight-only");
        }
        if (bits == 4 && blockSize != 32 && blockSize != 64 && blockSize != 128) {
            throw new IllegalArgumentException("block size must be 32, 64 or 128, not " + blockSize);
        }
        if (activationType != IntType.UINT8 && activationType != IntType.INT8) {
            throw new IllegalArgumentException("activations are uint8 or int8, not " + activationType);
        }
    }

    /** Options without per-layer weight-only choices. */
    public QuantOptions(Mode mode, int bits, boolean perChannel, boolean symmetricActivations, IntType activationType,
                        boolean symmetricWeights, int blockSize, Int4Format int4Format, Calibration calibration,
                        Set<String> exclude) {
        this(mode, bits, perChannel, symmetricActivations, activationType, symmetricWeights, blockSize, int4Format,
                calibration, exclude, Set.of());
    }

    /** Static INT8, per-channel weights, asymmetric uint8 activations, percentile calibration. */
    public static QuantOptions staticInt8() {
        return new QuantOptions(Mode.STATIC, 8, true, false, IntType.UINT8, true, 32, Int4Format.MATMUL_NBITS,
                Calibration.parse("percentile"), Set.of());
    }

    public static QuantOptions int4WeightOnly(int blockSize, Int4Format format) {
        return new QuantOptions(Mode.WEIGHT_ONLY, 4, true, false, IntType.UINT8, true, blockSize, format,
                Calibration.parse("minmax"), Set.of());
    }

    public QuantOptions withCalibration(Calibration c) {
        return new QuantOptions(mode, bits, perChannel, symmetricActivations, activationType, symmetricWeights,
                blockSize, int4Format, c, exclude, weightOnly);
    }

    public QuantOptions withExclude(Set<String> names) {
        return new QuantOptions(mode, bits, perChannel, symmetricActivations, activationType, symmetricWeights,
                blockSize, int4Format, calibration, names, weightOnly);
    }

    public QuantOptions withWeightOnly(Set<String> names) {
        return new QuantOptions(mode, bits, perChannel, symmetricActivations, activationType, symmetricWeights,
                blockSize, int4Format, calibration, exclude, names);
    }
}
