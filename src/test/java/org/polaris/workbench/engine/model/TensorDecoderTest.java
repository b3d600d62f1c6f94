package org.polaris.workbench.engine.model;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;

/** Element decoding checked against values computed independently (bit layouts from the ONNX spec). */
class TensorDecoderTest {

    @Test
    void float16KnownValues() {
        short[] bits = {0x3c00, (short) 0xc000, 0x7bff, 0x0001, 0x0000, (short) 0xfc00};
        double[] expected = {1.0, -2.0, 65504.0, Math.pow(2, -24), 0.0, Double.NEGATIVE_INFINITY};
        ByteBuffer b = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : bits) b.putShort(s);
        assertThat(TensorDecoder.toDoubles(DataType.FLOAT16, b.array(), bits.length)).containsExactly(expected);
    }

    @Test
    void bfloat16IsTheHighHalfOfFloat32() {
        float[] values = {1.5f, -3.25f, 1024f};
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : values) b.putShort((short) (Float.floatToIntBits(f) >>> 16));
        assertThat(TensorDecoder.toDoubles(DataType.BFLOAT16, b.array(), 3)).containsExactly(1.5, -3.25, 1024.0);
    }

    @Test
    void int4PacksLowNibbleFirstAndSignExtends() {
        // elements 7, -8, -1, 3, 5 -> bytes 0x87, 0x3f, 0x05
        byte[] raw = {(byte) 0x87, (byte) 0x3f, 0x05};
        assertThat(TensorDecoder.toDoubles(DataType.INT4, raw, 5)).containsExactly(7, -8, -1, 3, 5);
        assertThat(TensorDecoder.toDoubles(DataType.UINT4, raw, 5)).containsExactly(7, 8, 15, 3, 5);
    }

    @Test
    void float8E4M3FnKnownValues() {
        byte[] raw = {0x38, (byte) 0xb8, 0x7e, 0x01, 0x7f};
        double[] v = TensorDecoder.toDoubles(DataType.FLOAT8E4M3FN, raw, 5);
        assertThat(v[0]).isEqualTo(1.0);
        assertThat(v[1]).isEqualTo(-1.0);
        assertThat(v[2]).isEqualTo(448.0);
        assertThat(v[3]).isEqualTo(Math.pow(2, -9));
        assertThat(v[4]).isNaN();
    }

    @Test
    void chunkedDecodeMatchesWholeDecodeOnOddLengths() {
        int n = 40_009;
        float[] values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float) Math.sin(i) * (i % 7 == 0 ? 0 : 1);
        Tensor t = Tensor.ofFloats("w", new long[] {n}, values);
        WeightStats s = WeightStats.of(new Weight(t, Weight.Origin.INITIALIZER, java.util.List.of()));
        double sum = 0;
        long zeros = 0;
        for (float f : values) { sum += f; if (f == 0) zeros++; }
        assertThat(s.mean()).isCloseTo(sum / n, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(s.zeroFraction()).isEqualTo((double) zeros / n);
        assertThat(java.util.Arrays.stream(s.histogram()).sum()).isEqualTo(n);
    }
}
