package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Node;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * QuantizeLinear and DequantizeLinear with one scale (the fast per-tensor loops) against the per-axis loops, which
 * spell out the ONNX definition: the same values given as two rows, each row with its own (equal) scale and zero
 * point along axis 0, must come out code for code and bit for bit; ties, saturation, infinities and NaN included.
 */
class QuantKernelsTest {

    private static final Map<String, Kernel> KERNELS = new HashMap<>();

    static {
        QuantKernels.register(KERNELS);
    }

    private static final Node NODE = new Node("q", "QuantizeLinear", "", List.of(), List.of(), List.of(), "");

    @Test
    void perTensorQuantizeMatchesThePerAxisDefinition() {
        Random r = new Random(5);
        int n = 517;
        float scale = 0.0391f;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * 6);
        // exact ties of the scale, far outside the code range, infinities, NaN, negative zero
        for (int i = 0; i < 40; i++) x[i] = (i - 20 + 0.5f) * scale;
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e30f, -1e30f, -0f, 0f};
        System.arraycopy(special, 0, x, 40, special.length);
        for (DataType type : new DataType[] {DataType.UINT8, DataType.INT8}) {
            for (int z : type == DataType.UINT8 ? new int[] {0, 3, 128, 255} : new int[] {-128, -5, 0, 127}) {
                byte[] fast = KERNELS.get("QuantizeLinear").run(NODE, new Value[] {Value.floats(new int[] {n}, x),
                        Value.floats(new int[] {1}, new float[] {scale}), code(type, z, 1)}, 13)[0].b;
                float[] twice = new float[2 * n];
                System.arraycopy(x, 0, twice, 0, n);
                System.arraycopy(x, 0, twice, n, n);
                Node axis0 = new Node("q", "QuantizeLinear", "", List.of(), List.of(),
                        List.of(org.polaris.workbench.engine.model.Attribute.ofInt("axis", 0)), "");
                byte[] perAxis = KERNELS.get("QuantizeLinear").run(axis0, new Value[] {Value.floats(new int[] {2, n}, twice),
                        Value.floats(new int[] {2}, new float[] {scale, scale}), code(type, z, 2)}, 13)[0].b;
                for (int i = 0; i < n; i++) {
                    assertThat(fast[i]).as("%s zero point %d, x = %s", type, z, x[i]).isEqualTo(perAxis[i]);
                    assertThat(perAxis[n + i]).isEqualTo(perAxis[i]);
                }
                // dequantize the codes back, both ways
                float[] back = KERNELS.get("DequantizeLinear").run(NODE, new Value[] {Value.bytes(type, new int[] {n}, fast),
                        Value.floats(new int[] {1}, new float[] {scale}), code(type, z, 1)}, 13)[0].f;
                byte[] codes2 = new byte[2 * n];
                System.arraycopy(fast, 0, codes2, 0, n);
                System.arraycopy(fast, 0, codes2, n, n);
                float[] backAxis = KERNELS.get("DequantizeLinear").run(axis0, new Value[] {Value.bytes(type, new int[] {2, n}, codes2),
                        Value.floats(new int[] {2}, new float[] {scale, scale}), code(type, z, 2)}, 13)[0].f;
                for (int i = 0; i < n; i++) {
                    assertThat(Float.floatToIntBits(back[i])).as("dequantize %s zero point %d at %d", type, z, i)
                            .isEqualTo(Float.floatToIntBits(backAxis[i]));
                    int c = type == DataType.UINT8 ? fast[i] & 0xff : fast[i];
                    assertThat(back[i]).isEqualTo((float) ((double) (c - z) * scale));
                }
            }
        }
    }

    private static Value code(DataType type, int z, int count) {
        byte[] b = new byte[count];
        java.util.Arrays.fill(b, (byte) z);
        return Value.bytes(type, new int[] {count}, b);
    }
}
