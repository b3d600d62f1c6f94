package org.polaris.workbench.engine.quant;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RangeEstimatorTest {

    private static ActivationStats gaussianWithOutliers(long seed, boolean relu) {
        Random r = new Random(seed);
        float[] v = new float[200_000];
        for (int i = 0; i < v.length; i++) {
            double x = r.nextGaussian();
            if (i % 20_000 == 0) {
                x = 40; // rare outliers far out
            }
            v[i] = (float) (relu ? Math.max(0, x) : x);
        }
        ActivationStats s = new ActivationStats();
        s.observeRange(v);
        s.observeHistogram(v);
        return s;
    }

    @Test
    void minmaxKeepsTheObservedRange() {
        ActivationStats s = gaussianWithOutliers(1, false);
        RangeEstimator.Range r = RangeEstimator.estimate(s, Calibration.parse("minmax"), IntType.UINT8);
        assertThat(r.max()).isEqualTo(40.0);
        assertThat(r.min()).isEqualTo(s.min());
    }

    @Test
    void percentileClipsTheRareOutliers() {
        ActivationStats s = gaussianWithOutliers(2, false);
        RangeEstimator.Range r = RangeEstimator.estimate(s, Calibration.parse("percentile:99.9"), IntType.UINT8);
        // the 99.9th percentile of a standard normal is 3.09; histogram bins are 40/2048 wide
        assertThat(r.max()).isCloseTo(3.09, within(0.15));
        assertThat(r.min()).isCloseTo(-3.09, within(0.15));
    }

    @Test
    void mseKeepsFewFarOutliersWhenClippingThemWouldCostMore() {
        // 10 values at 40 among 200,000: clipping them at 4 costs 10 * 36^2, more than the finer grid saves.
        ActivationStats s = gaussianWithOutliers(3, true);
        RangeEstimator.Range r = RangeEstimator.estimate(s, Calibration.parse("mse"), IntType.UINT8);
        assertThat(r.min()).isEqualTo(0.0);
        assertThat(r.max()).isGreaterThan(30);
    }

    @Test
    void entropyClipsALongTailAndMseMinimizesTheRealError() {
        // Log-normal activations: a long right tail, the case KL calibration exists for.
        Random rnd = new Random(5);
        float[] v = new float[200_000];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.exp(1.2 * rnd.nextGaussian());
        }
        ActivationStats s = new ActivationStats();
        s.observeRange(v);
        s.observeHistogram(v);
        RangeEstimator.Range r = RangeEstimator.estimate(s, Calibration.parse("entropy"), IntType.UINT8);
        assertThat(r.min()).isEqualTo(0.0);
        // The median of this distribution is 1 and its 99th percentile about 16; the maximum is far beyond.
        assertThat(r.max()).isBetween(4.0, s.max() / 2);
        // MSE's choice must actually give a lower reconstruction error on the samples than the alternatives.
        double t = RangeEstimator.estimate(s, Calibration.parse("mse"), IntType.UINT8).max();
        double chosen = mse(v, t);
        assertThat(chosen).isLessThanOrEqualTo(mse(v, s.max()) * 1.02);
        assertThat(chosen).isLessThanOrEqualTo(mse(v, 16) * 1.02);
        assertThat(chosen).isLessThanOrEqualTo(mse(v, t / 2) * 1.02);
    }

    private static double mse(float[] v, double t) {
        QuantMath.Params p = QuantMath.asymmetric(0, t, IntType.UINT8);
        double e = 0;
        for (float x : v) {
            double d = x - QuantMath.dequantize(QuantMath.quantize(x, p.scale(), p.zeroPoint(), IntType.UINT8),
                    p.scale(), p.zeroPoint());
            e += d * d;
        }
        return e / v.length;
    }

    @Test
    void entropyIsFastOnFullHistograms() {
        ActivationStats s = gaussianWithOutliers(4, false);
        long t0 = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            RangeEstimator.estimate(s, Calibration.parse("entropy"), IntType.UINT8);
        }
        // Not a speed assertion: a guard against an accidental O(bins^3) search (seconds, not milliseconds).
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(5);
    }

    @Test
    void calibrationSpecsParseAndRejectNonsense() {
        assertThat(Calibration.parse("percentile").percentile()).isEqualTo(99.99);
        assertThat(Calibration.parse("percentile:99.5").percentile()).isEqualTo(99.5);
        assertThat(Calibration.parse("KL").method()).isEqualTo(Calibration.Method.ENTROPY);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Calibration.parse("median"))
                .hasMessageContaining("minmax, percentile");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Calibration.parse("percentile:30"))
                .hasMessageContaining("(50, 100]");
    }

    /**
     * Half of a ReLU's values repeated exactly at a few levels (a uniform image background through the stem): the
     * entropy threshold must follow the real features, not fit the spikes, as it does with the spikes removed.
     */
    @Test
    void entropyIgnoresSpikesOfRepeatedValues() {
        Random rnd = new Random(9);
        float[] plain = new float[100_000];
        for (int i = 0; i < plain.length; i++) {
            plain[i] = (float) Math.abs(rnd.nextGaussian() * 1.5);
        }
        float[] spiked = new float[200_000];
        System.arraycopy(plain, 0, spiked, 0, plain.length);
        float[] levels = {0.11f, 0.23f, 0.37f, 0.52f};
        for (int i = plain.length; i < spiked.length; i++) {
            spiked[i] = levels[i % levels.length];
        }
        RangeEstimator.Range clean = RangeEstimator.estimate(stats(plain), Calibration.parse("entropy"), IntType.UINT8);
        RangeEstimator.Range withSpikes = RangeEstimator.estimate(stats(spiked), Calibration.parse("entropy"), IntType.UINT8);
        assertThat(withSpikes.max()).isCloseTo(clean.max(), within(0.1 * clean.max()));
        assertThat(clean.max()).isGreaterThan(3.0);
        long[] h = {5, 6, 5, 900, 6, 5, 7, 6, 5, 5};
        assertThat(RangeEstimator.withoutSpikes(h)).containsExactly(5, 6, 5, 5, 6, 5, 7, 6, 5, 5);
    }

    private static ActivationStats stats(float[] v) {
        ActivationStats s = new ActivationStats();
        s.observeRange(v);
        s.observeHistogram(v);
        return s;
    }
}
