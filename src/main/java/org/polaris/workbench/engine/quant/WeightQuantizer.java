package org.polaris.workbench.engine.quant;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Quantizes float weights per tensor, per channel or per block, keeping the dequantized copy for error metrics. */
public final class WeightQuantizer {

    private WeightQuantizer() {
    }

    /**
     * @param axis channel axis for per-channel, or -1 for one scale over the whole tensor
     */
    public static QuantizedTensor perChannel(float[] w, long[] dims, int axis, IntType type, boolean symmetric) {
        int channels = axis < 0 ? 1 : (int) dims[axis];
        int inner = axis < 0 ? w.length : inner(dims, axis);
        double[] mins = new double[channels];
        double[] maxs = new double[channels];
        java.util.Arrays.fill(mins, Double.POSITIVE_INFINITY);
        java.util.Arrays.fill(maxs, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < w.length; i++) {
            int c = axis < 0 ? 0 : (i / inner) % channels;
            mins[c] = Math.min(mins[c], w[i]);
            maxs[c] = Math.max(maxs[c], w[i]);
        }
        float[] scales = new float[channels];
        int[] zps = new int[channels];
        for (int c = 0; c < channels; c++) {
            QuantMath.Params p = symmetric ? QuantMath.symmetric(Math.max(Math.abs(mins[c]), Math.abs(maxs[c])), type)
                    : QuantMath.asymmetric(mins[c], maxs[c], type);
            scales[c] = p.scale();
            zps[c] = p.zeroPoint();
        }
        byte[] codes = new byte[(int) (type.bits() == 4 ? (w.length + 1L) / 2 : w.length)];
        float[] deq = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            int c = axis < 0 ? 0 : (i / inner) % channels;
            int q = QuantMath.quantize(w[i], scales[c], zps[c], type);
            store(codes, i, q, type);
            deq[i] = QuantMath.dequantize(q, scales[c], zps[c]);
        }
        long[] scaleDims = axis < 0 ? new long[0] : new long[] {channels};
        return new QuantizedTensor(dims.clone(), type, codes, scales, zps, Math.max(axis, 0), 0, scaleDims, deq);
    }

    /**
     * Blocked quantization of a rank-2 weight along {@code axis} (0 or 1): each run of {@code blockSize} elements
     * along that axis gets its own scale, the layout of ONNX opset-21 {@code DequantizeLinear} with
     * {@code block_size}. The last block may be short.
     */
    public static QuantizedTensor blocked(float[] w, long[] dims, int axis, int blockSize, IntType type, boolean symmetric) {
        if (dims.length != 2) {
            throw new IllegalArgumentException("blocked quantization needs a rank-2 weight, got rank " + dims.length);
        }
        int rows = (int) dims[0];
        int cols = (int) dims[1];
        int along = axis == 0 ? rows : cols;
        int blocks = (along + blockSize - 1) / blockSize;
        long[] scaleDims = axis == 0 ? new long[] {blocks, cols} : new long[] {rows, blocks};
        float[] scales = new float[blocks * (axis == 0 ? cols : rows)];
        int[] zps = new int[scales.length];
        byte[] codes = new byte[(int) (type.bits() == 4 ? (w.length + 1L) / 2 : w.length)];
        float[] deq = new float[w.length];
        int others = axis == 0 ? cols : rows;
        for (int o = 0; o < others; o++) {
            for (int b = 0; b < blocks; b++) {
                int from = b * blockSize;
                int to = Math.min(along, from + blockSize);
                double min = Double.POSITIVE_INFINITY;
                double max = Double.NEGATIVE_INFINITY;
                for (int k = from; k < to; k++) {
                    float v = w[index(axis, k, o, cols)];
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
                QuantMath.Params p = symmetric ? QuantMath.symmetric(Math.max(Math.abs(min), Math.abs(max)), type)
                        : QuantMath.asymmetric(min, max, type);
                int s = axis == 0 ? b * cols + o : o * blocks + b;
                scales[s] = p.scale();
                zps[s] = p.zeroPoint();
                for (int k = from; k < to; k++) {
                    int i = index(axis, k, o, cols);
                    int q = QuantMath.quantize(w[i], p.scale(), p.zeroPoint(), type);
                    store(codes, i, q, type);
                    deq[i] = QuantMath.dequantize(q, p.scale(), p.zeroPoint());
                }
            }
        }
        return new QuantizedTensor(dims.clone(), type, codes, scales, zps, axis, blockSize, scaleDims, deq);
    }

    private static int index(int axis, int along, int other, int cols) {
        return axis == 0 ? along * cols + other : other * cols + along;
    }

    private static int inner(long[] dims, int axis) {
        long n = 1;
        for (int i = axis + 1; i < dims.length; i++) {
            n *= dims[i];
        }
        return (int) n;
    }

    static void store(byte[] codes, int i, int q, IntType type) {
        if (type.bits() == 4) {
            putNibble(codes, i, q);
        } else {
            codes[i] = (byte) q;
        }
    }

    /** ONNX packs 4-bit elements two to a byte, element 2k in the low nibble and 2k+1 in the high nibble. */
    static void putNibble(byte[] packed, int i, int q) {
        int b = packed[i >>> 1] & 0xff;
        int nib = q & 0x0f;
        b = (i & 1) == 0 ? (b & 0xf0) | nib : (b & 0x0f) | (nib << 4);
        packed[i >>> 1] = (byte) b;
    }

    /** Int32 bias codes with scale {@code inputScale * weightScale[c]} and zero point 0, saturating. */
    public static QuantizedTensor bias(float[] bias, float inputScale, float[] weightScales) {
        float[] scales = new float[bias.length];
        ByteBuffer buf = ByteBuffer.allocate(bias.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        float[] deq = new float[bias.length];
        for (int c = 0; c < bias.length; c++) {
            float s = inputScale * weightScales[weightScales.length == 1 ? 0 : c];
            scales[c] = s > 0 ? s : QuantMath.MIN_SCALE;
            int q = QuantMath.quantize(bias[c], scales[c], 0, IntType.INT32);
            buf.putInt(q);
            deq[c] = QuantMath.dequantize(q, scales[c], 0);
        }
        return new QuantizedTensor(new long[] {bias.length}, IntType.INT32, buf.array(), scales, new int[bias.length],
                0, 0, new long[] {bias.length}, deq);
    }
}
