package org.polaris.workbench.engine.quant;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Error bounds and encodings of every scheme, checked against plain arithmetic. */
class QuantMathTest {

    @Test
    void asymmetricUint8CoversTheRangeAndRepresentsZeroExactly() {
        QuantMath.Params p = QuantMath.asymmetric(-1.3, 4.7, IntType.UINT8);
        assertThat(QuantMath.dequantize(QuantMath.quantize(0f, p.scale(), p.zeroPoint(), IntType.UINT8), p.scale(),
                p.zeroPoint())).isEqualTo(0f);
        Random r = new Random(1);
        for (int i = 0; i < 10_000; i++) {
            float x = (float) (-1.3 + 6.0 * r.nextDouble());
            int q = QuantMath.quantize(x, p.scale(), p.zeroPoint(), IntType.UINT8);
            assertThat(q).isBetween(0, 255);
            assertThat((double) QuantMath.dequantize(q, p.scale(), p.zeroPoint())).isCloseTo(x, within(p.scale() / 2.0 + 1e-6));
        }
    }

    @Test
    void outOfRangeValuesSaturateInsteadOfWrapping() {
        QuantMath.Params p = QuantMath.asymmetric(0, 1, IntType.UINT8);
        assertThat(QuantMath.quantize(1e9f, p.scale(), p.zeroPoint(), IntType.UINT8)).isEqualTo(255);
        assertThat(QuantMath.quantize(-1e9f, p.scale(), p.zeroPoint(), IntType.UINT8)).isEqualTo(0);
        QuantMath.Params s = QuantMath.symmetric(1, IntType.INT8);
        assertThat(QuantMath.quantize(3.5f, s.scale(), s.zeroPoint(), IntType.INT8)).isEqualTo(127);
        assertThat(QuantMath.quantize(-3.5f, s.scale(), s.zeroPoint(), IntType.INT8)).isEqualTo(-128);
        assertThat(QuantMath.quantize(Float.NaN, s.scale(), s.zeroPoint(), IntType.INT8)).isZero();
        assertThat(QuantMath.quantize(1e9f, 1e-6f, 0, IntType.INT32)).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void symmetricInt8UsesTheRestrictedRangeWithZeroPointZero() {
        QuantMath.Params p = QuantMath.symmetric(2.54, IntType.INT8);
        assertThat(p.zeroPoint()).isZero();
        assertThat((double) p.scale()).isCloseTo(0.02, within(1e-7));
        QuantMath.Params u = QuantMath.symmetric(1, IntType.UINT4);
        assertThat(u.zeroPoint()).isEqualTo(8);
        assertThat((double) u.scale()).isCloseTo(1.0 / 7, within(1e-7));
    }

    @Test
    void roundingIsHalfToEvenLikeQuantizeLinear() {
        assertThat(QuantMath.quantize(2.5f, 1f, 0, IntType.INT8)).isEqualTo(2);
        assertThat(QuantMath.quantize(3.5f, 1f, 0, IntType.INT8)).isEqualTo(4);
        assertThat(QuantMath.quantize(-2.5f, 1f, 0, IntType.INT8)).isEqualTo(-2);
    }

    @Test
    void degenerateRangesStayFinite() {
        QuantMath.Params p = QuantMath.asymmetric(0, 0, IntType.UINT8);
        assertThat(p.scale()).isPositive().isFinite();
        QuantMath.Params s = QuantMath.symmetric(0, IntType.INT8);
        assertThat(s.scale()).isPositive().isFinite();
    }

    @Test
    void perChannelUsesOneScalePerOutputChannelOnTheGivenAxis() {
        // [2 channels, 3]: channel 1 is 100x larger; per-tensor would crush channel 0.
        float[] w = {0.01f, -0.02f, 0.03f, 1f, -2f, 3f};
        QuantizedTensor pc = WeightQuantizer.perChannel(w, new long[] {2, 3}, 0, IntType.INT8, true);
        assertThat(pc.scales()).hasSize(2);
        assertThat((double) pc.scales()[0]).isCloseTo(0.03 / 127, within(1e-9));
        assertThat(QuantMath.sqnrDb(w, pc.dequantized())).isGreaterThan(40);
        QuantizedTensor axis1 = WeightQuantizer.perChannel(w, new long[] {2, 3}, 1, IntType.INT8, true);
        assertThat(axis1.scales()).hasSize(3);
        assertThat((double) axis1.scales()[2]).isCloseTo(3.0 / 127, within(1e-9));
        QuantizedTensor pt = WeightQuantizer.perChannel(w, new long[] {2, 3}, -1, IntType.INT8, true);
        assertThat(pt.scaleDims()).isEmpty();
        assertThat(QuantMath.sqnrDb(w, pt.dequantized())).isLessThan(QuantMath.sqnrDb(w, pc.dequantized()));
    }

    @Test
    void int4PacksTheFirstElementInTheLowNibble() {
        float[] w = {1, -1, 7, -8, 3};
        QuantizedTensor q = WeightQuantizer.perChannel(w, new long[] {5}, -1, IntType.INT4, false);
        // asymmetric int4 over [-8, 7]: scale 1, zero point 0, so codes equal values
        assertThat(q.scales()[0]).isEqualTo(1f);
        assertThat(q.codes()).containsExactly((byte) 0xF1, (byte) 0x87, (byte) 0x03);
        assertThat(q.dequantized()).containsExactly(w);
    }

    @Test
    void blockedScalesFollowOpset21Layout() {
        int k = 70;
        int n = 3;
        float[] w = new float[k * n];
        Random r = new Random(3);
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian() * (1 + i % n);
        QuantizedTensor q = WeightQuantizer.blocked(w, new long[] {k, n}, 0, 32, IntType.INT4, true);
        assertThat(q.scaleDims()).containsExactly(3, n);
        for (int i = 0; i < w.length; i++) {
            int row = i / n;
            int col = i % n;
            float s = q.scales()[(row / 32) * n + col];
            assertThat((double) q.dequantized()[i]).isCloseTo(w[i], within(s / 2.0 + 1e-6 + (Math.abs(w[i]) > 7 * s ? 1e9 : 0)));
        }
        assertThat(q.codes()).hasSize((k * n + 1) / 2);
    }

    @Test
    void biasUsesInt32WithInputTimesWeightScale() {
        QuantizedTensor b = WeightQuantizer.bias(new float[] {0.5f, -1.25f}, 0.01f, new float[] {0.1f, 0.5f});
        ByteBuffer buf = ByteBuffer.wrap(b.codes()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(buf.getInt(0)).isEqualTo(500);
        assertThat(buf.getInt(4)).isEqualTo(-250);
        assertThat(b.scales()).containsExactly(0.001f, 0.005f);
    }

    @Test
    void float16ConversionRoundsToNearestAndKeepsSpecialValues() {
        Random r = new Random(9);
        for (int i = 0; i < 100_000; i++) {
            float f = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 6));
            float back = org.polaris.workbench.engine.model.Tensor.halfToFloat(Fp16Converter.toHalf(f));
            double ulp = Math.max(Math.ulp(back) * Math.pow(2, 13), Math.pow(2, -24));
            assertThat((double) Math.abs(back - f)).as("%s -> %s", f, back).isLessThanOrEqualTo(ulp / 2 + 1e-30);
        }
        assertThat(Fp16Converter.toHalf(1f)).isEqualTo((short) 0x3c00);
        assertThat(Fp16Converter.toHalf(65504f)).isEqualTo((short) 0x7bff);
        assertThat(Fp16Converter.toHalf(1e6f)).isEqualTo((short) 0x7c00);
        assertThat(Fp16Converter.toHalf(-0f)).isEqualTo((short) 0x8000);
        assertThat(Float.isNaN(org.polaris.workbench.engine.model.Tensor.halfToFloat(Fp16Converter.toHalf(Float.NaN)))).isTrue();
    }

    @Test
    void errorMetricsOnKnownVectors() {
        float[] a = {1, 0, 0};
        float[] b = {0, 1, 0};
        assertThat(QuantMath.cosine(a, a)).isEqualTo(1.0);
        assertThat(QuantMath.cosine(a, b)).isEqualTo(0.0);
        assertThat(QuantMath.sqnrDb(new float[] {10, 10}, new float[] {10, 11})).isCloseTo(10 * Math.log10(200), within(1e-9));
        assertThat(QuantMath.maxAbsError(a, b)).isEqualTo(1.0);
    }
}
