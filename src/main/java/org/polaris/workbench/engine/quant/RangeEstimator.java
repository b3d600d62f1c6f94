package org.polaris.workbench.engine.quant;

/**
 * Turns {@link ActivationStats} into the range to quantize over. Ranges of non-negative tensors (ReLU outputs)
 * stay one-sided; others are clipped symmetrically around zero for entropy and MSE (then intersected with what
 * was seen), and by lower and upper percentiles for percentile.
 */
public final class RangeEstimator {

    /** A closed interval of real values. */
    public record Range(double min, double max) {
    }

    private RangeEstimator() {
    }

    public static Range estimate(ActivationStats s, Calibration c, IntType type) {
        if (!Double.isFinite(s.min()) || !Double.isFinite(s.max())) {
            return new Range(0, 0);
        }
        if (c.method() == Calibration.Method.MINMAX || !s.hasHistogram() || s.max() == s.min()) {
            return new Range(s.min(), s.max());
        }
        boolean oneSided = s.min() >= 0;
        return switch (c.method()) {
            case PERCENTILE -> percentile(s, c.percentile());
            case ENTROPY -> clip(s, entropyThreshold(withoutSpikes(withoutZeroSpike(s.absHistogram(), oneSided)),
                    s.absMax(), oneSided ? 256 : 128), oneSided);
            case MSE -> clip(s, mseThreshold(s.absHistogram(), s.absMax(), oneSided ? 255 : 254), oneSided);
            case MINMAX -> new Range(s.min(), s.max());
        };
    }

    /**
     * ReLU outputs are mostly exact zeros, which any range represents exactly; left in, that spike dominates the
     * divergence and drives the threshold far too low.
     */
    private static long[] withoutZeroSpike(long[] hist, boolean oneSided) {
        if (oneSided && hist.length > 0) {
            hist[0] = 0;
        }
        return hist;
    }

    /**
     * Flattens spikes: bins holding over {@link #SPIKE_RATIO} times the median of their {@link #SPIKE_RADIUS}
     * neighbours on each side get that median. A spike is one value repeated exactly, the response to a constant
     * input region (an image's uniform background, padding): on real images half of a layer's values can sit in a
     * few such bins. Left in, they dominate the divergence, and the threshold that fits them best clips the rare
     * large activations that carry the features (issue 14: a Fashion-MNIST CNN's stem ReLU clipped at 1.4 of 7.6,
     * 7% of its values; its ReLU6 at 1.1 of 6, 14%; top-1 fell 11 points). Any range represents a repeated value
     * to within half a step, so the spikes carry nothing the threshold should fit.
     */
    static long[] withoutSpikes(long[] hist) {
        long[] out = hist.clone();
        long[] window = new long[2 * SPIKE_RADIUS];
        for (int k = 0; k < hist.length; k++) {
            int m = 0;
            for (int j = Math.max(0, k - SPIKE_RADIUS); j <= Math.min(hist.length - 1, k + SPIKE_RADIUS); j++) {
                if (j != k) {
                    window[m++] = hist[j];
                }
            }
            if (m == 0) {
                continue;
            }
            java.util.Arrays.sort(window, 0, m);
            long median = window[m / 2];
            if (hist[k] > SPIKE_RATIO * median + SPIKE_SLACK) {
                out[k] = median;
            }
        }
        return out;
    }

    static final int SPIKE_RADIUS = 8;
    static final long SPIKE_RATIO = 4;
    /** Counts this small are noise, not spikes. */
    static final long SPIKE_SLACK = 10;

    private static Range clip(ActivationStats s, double t, boolean oneSided) {
        return oneSided ? new Range(0, Math.min(s.max(), t)) : new Range(Math.max(s.min(), -t), Math.min(s.max(), t));
    }

    static Range percentile(ActivationStats s, double p) {
        long[] h = s.signedHistogram();
        long total = 0;
        for (long v : h) total += v;
        if (total == 0) {
            return new Range(s.min(), s.max());
        }
        double width = (s.max() - s.min()) / h.length;
        double tail = (100 - p) / 100 * total;
        boolean oneSided = s.min() >= 0;
        double lo = s.min();
        if (!oneSided) {
            long acc = 0;
            for (int i = 0; i < h.length; i++) {
                acc += h[i];
                if (acc > tail) {
                    lo = s.min() + i * width;
                    break;
                }
            }
        }
        double hi = s.max();
        long acc = 0;
        for (int i = h.length - 1; i >= 0; i--) {
            acc += h[i];
            if (acc > tail) {
                hi = s.min() + (i + 1) * width;
                break;
            }
        }
        return new Range(lo, hi);
    }

    /**
     * The clipping threshold that minimizes KL(P || Q) between the reference distribution P (values above the
     * threshold folded into its last bin) and its quantization Q onto {@code levels} bins (TensorRT's method).
     * O(bins^2) on 2048 bins: a few milliseconds a tensor.
     */
    static double entropyThreshold(long[] hist, double absMax, int levels) {
        int n = hist.length;
        double width = absMax / n;
        if (n <= levels) {
            return absMax;
        }
        double bestKl = Double.POSITIVE_INFINITY;
        int best = n;
        double[] p = new double[n];
        double[] q = new double[n];
        long suffix = 0;
        long[] suffixFrom = new long[n + 1];
        for (int i = n - 1; i >= 0; i--) {
            suffix += hist[i];
            suffixFrom[i] = suffix;
        }
        for (int i = levels; i <= n; i++) {
            for (int k = 0; k < i; k++) {
                p[k] = hist[k];
            }
            p[i - 1] += suffixFrom[i];
            // Merge hist[0:i] into `levels` groups, then spread each group's mass over its non-empty bins.
            double perGroup = (double) i / levels;
            for (int g = 0; g < levels; g++) {
                int start = (int) Math.floor(g * perGroup);
                int end = g == levels - 1 ? i : (int) Math.floor((g + 1) * perGroup);
                double mass = 0;
                int nonEmpty = 0;
                for (int k = start; k < end; k++) {
                    mass += hist[k];
                    if (hist[k] != 0) nonEmpty++;
                }
                for (int k = start; k < end; k++) {
                    q[k] = hist[k] == 0 || nonEmpty == 0 ? 0 : mass / nonEmpty;
                }
            }
            double kl = kl(p, q, i);
            if (kl < bestKl) {
                bestKl = kl;
                best = i;
            }
        }
        return (best + 0.5) * width > absMax ? absMax : (best + 0.5) * width;
    }

    private static double kl(double[] p, double[] q, int n) {
        double sp = 0;
        double sq = 0;
        for (int k = 0; k < n; k++) {
            sp += p[k];
            sq += q[k];
        }
        if (sp == 0 || sq == 0) {
            return Double.POSITIVE_INFINITY;
        }
        double d = 0;
        for (int k = 0; k < n; k++) {
            if (p[k] == 0) continue;
            double pk = p[k] / sp;
            // A bin the quantized distribution leaves empty gets a floor instead of an infinite penalty.
            double qk = q[k] == 0 ? 1e-12 : q[k] / sq;
            d += pk * Math.log(pk / qk);
        }
        return d;
    }

    /**
     * The clipping threshold minimizing the expected squared error: clipping error of values beyond it plus
     * uniform rounding noise (step^2 / 12) of values inside, estimated from the histogram of |x|.
     */
    static double mseThreshold(long[] hist, double absMax, int steps) {
        int n = hist.length;
        double width = absMax / n;
        double best = absMax;
        double bestErr = Double.POSITIVE_INFINITY;
        for (int k = 1; k <= 200; k++) {
            double t = absMax * k / 200.0;
            double step = t / steps * (steps > 254 ? 1 : 2);
            double inside = step * step / 12;
            double err = 0;
            for (int b = 0; b < n; b++) {
                if (hist[b] == 0) continue;
                double c = (b + 0.5) * width;
                err += hist[b] * (c > t ? (c - t) * (c - t) : inside);
            }
            if (err < bestErr) {
                bestErr = err;
                best = t;
            }
        }
        return best;
    }
}
