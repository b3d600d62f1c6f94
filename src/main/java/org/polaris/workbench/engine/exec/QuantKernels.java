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
            byte[] out = new byte[x.size()];
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
            float[] out = Buffers.floats(x.size());
            int[] strides = Value.strides(x.shape);
            for (int k = 0; k < out.length; k++) {
                int c = axis < 0 ? 0 : (k / strides[axis]) % x.shape[axis];
                out[k] = (float) ((x.get(k) - (zp == null ? 0 : zp.get(c))) * scale.f[c]);
            }
            return new Value[] {Value.floats(x.shape, out)};
        });
    }
}
