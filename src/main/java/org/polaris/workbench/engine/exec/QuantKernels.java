package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.model.DataType;

import java.util.Map;

/** QuantizeLinear and DequantizeLinear, per tensor or per axis, saturating and rounding half to even. */
final class QuantKernels {

    private QuantKernels() {
    }

    static void register(Map<String, Kernel> reg) {
        reg.put("QuantizeLinear", (n, in, o) -> {
            Value x = in[0];
            Value scale = in[1];
            Value zp = in.length > 2 ? in[2] : null;
            DataType t = zp == null ? DataType.UINT8 : zp.type;
            int axis = scale.size() > 1 ? Attrs.axis(Attrs.i(n, "axis", 1), x.rank()) : -1;
            int lo = t == DataType.INT8 ? -128 : 0;
            int hi = t == DataType.INT8 ? 127 : 255;
            byte[] out = Buffers.bytes(x.size()); // every code is written below
            if (axis < 0) {
                quantizePerTensor(x.f, scale.f[0], zp == null ? 0 : (int) zp.get(0), lo, hi, out);
                return new Value[] {Value.bytes(t, x.shape, out)};
            }
            int[] strides = Value.strides(x.shape);
            for (int k = 0; k < out.length; k++) {
                int c = axis < 0 ? 0 : (k / strides[axis]) % x.shape[axis];
                double q = Math.rint(x.f[k] / scale.f[c]) + (zp == null ? 0 : zp.get(c));
                out[k] = (byte) Math.max(lo, Math.min(hi, q));
            }
            return new Value[] {Value.bytes(t, x.shape, out)};
        });
        reg.put("DequantizeLinear", (n, in, o) -> {
            Value x = in[0];
            Value scale = in[1];
            Value zp = in.length > 2 ? in[2] : null;
            int axis = scale.size() > 1 ? Attrs.axis(Attrs.i(n, "axis", 1), x.rank()) : -1;
            if (axis < 0 && x.b != null && (x.type == DataType.UINT8 || x.type == DataType.INT8)) {
                // (code - zp) is exact in float and in double, so one float multiply rounds as the double line does
                return new Value[] {QLinearKernels.deq(x, scale.f[0], zp == null ? 0 : (float) zp.get(0))};
            }
            float[] out = Buffers.uninitialized(x.size());
            int[] strides = Value.strides(x.shape);
            for (int k = 0; k < out.length; k++) {
                int c = axis < 0 ? 0 : (k / strides[axis]) % x.shape[axis];
                out[k] = (float) ((x.get(k) - (zp == null ? 0 : zp.get(c))) * scale.f[c]);
            }
            return new Value[] {Value.floats(x.shape, out)};
        });
    }

    /**
     * One scale and zero point: x / scale in float (as the per-axis line divides), saturated to the code range
     * less the zero point and rounded half to even. Saturating first is the same as after rounding (the bounds are
     * whole numbers) and keeps the value within the range {@link QLinearKernels#roundedBits} handles; NaN gives
     * code 0, as the per-axis line's cast of NaN does.
     */
    private static void quantizePerTensor(float[] x, float scale, int z, int lo, int hi, byte[] out) {
        float lo0 = lo - z;
        float hi0 = hi - z;
        for (int k = QLinearKernels.LANES.quantize(x, out.length, scale, lo0, hi0, z, out); k < out.length; k++) {
            float v = x[k] / scale;
            out[k] = v != v ? 0 : (byte) (QLinearKernels.roundedBits(Math.max(lo0, Math.min(hi0, v))) + z);
        }
    }
}
