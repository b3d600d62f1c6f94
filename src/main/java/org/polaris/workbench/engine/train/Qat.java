package org.polaris.workbench.engine.train;

import org.polaris.workbench.engine.quant.ActivationStats;
import org.polaris.workbench.engine.quant.IntType;
import org.polaris.workbench.engine.quant.QuantMath;
import org.polaris.workbench.engine.quant.QuantOptions;
import org.polaris.workbench.engine.quant.RangeEstimator;
import org.polaris.workbench.engine.quant.WeightQuantizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Quantization-aware training: the forward pass sees what the static INT8 quantizer will make of the model, and the
 * backward pass lets the gradient through (the straight-through estimator). Weights are rounded to int8 per output
 * channel, symmetric, as {@link WeightQuantizer} does; every tensor that gets an activation Q/DQ pair in the
 * quantizer's plan (pass-through pooling and reshapes share their input's pair, so the rounding sits where the pair
 * does) is rounded to the quantizer's activation type over the range its calibration method picks from the float
 * model on the same calibration samples. Gradients are zero where an activation was clipped (Jacob et al. 2018).
 */
public final class Qat {

    private final QuantOptions options;
    private final List<FakeQuant> points = new ArrayList<>();
    private final List<Weight> weights = new ArrayList<>();
    private boolean active;

    /** A weight and its output-channel axis. */
    record Weight(Param p, int axis) {
    }

    Qat(QuantOptions options) {
        if (options.mode() != QuantOptions.Mode.STATIC || options.bits() != 8) {
            throw new IllegalArgumentException("quantization-aware training simulates static INT8 only");
        }
        this.options = options;
    }

    FakeQuant point(String tensor) {
        FakeQuant f = new FakeQuant(tensor, options);
        points.add(f);
        return f;
    }

    void weight(Param p, int axis) {
        if (weights.stream().anyMatch(w -> w.p() == p)) return; // a shared weight is rounded once
        weights.add(new Weight(p, axis));
    }

    /** Whether the forward pass rounds (off while calibrating and while checking the written float model). */
    void active(boolean on) {
        active = on;
        points.forEach(f -> f.rounding = on);
    }

    boolean active() {
        return active;
    }

    /** Swaps every weight for its int8 rounding; returns the float values to {@link #restore}. */
    float[][] roundWeights() {
        float[][] saved = new float[weights.size()][];
        if (!active) return saved;
        for (int i = 0; i < weights.size(); i++) {
            Param p = weights.get(i).p();
            saved[i] = p.value.clone();
            long[] dims = java.util.Arrays.stream(p.shape).asLongStream().toArray();
            float[] q = WeightQuantizer.perChannel(p.value, dims, options.perChannel() ? weights.get(i).axis() : -1,
                    IntType.INT8, true).dequantized();
            System.arraycopy(q, 0, p.value, 0, q.length);
        }
        return saved;
    }

    void restore(float[][] saved) {
        for (int i = 0; i < saved.length; i++) {
            if (saved[i] != null) System.arraycopy(saved[i], 0, weights.get(i).p().value, 0, saved[i].length);
        }
    }

    /** The activation points' current parameters (for reports and tests). */
    public List<Point> points() {
        return points.stream().map(f -> new Point(f.tensor, f.scale, f.zeroPoint, f.lo, f.hi)).toList();
    }

    /** One activation quantization point: the tensor into a layer, its scale and zero point, its float range. */
    public record Point(String tensor, float scale, int zeroPoint, double min, double max) {
    }

    /**
     * Re-estimates every activation range from the float model on {@code x} ({@code n} samples), the two passes the
     * quantizer's calibrator makes: the range, then (for percentile, entropy, MSE) a histogram over it.
     */
    void calibrate(TrainableModel m, float[] x, int n, int batch) {
        boolean was = active;
        active(false);
        try {
            points.forEach(f -> f.stats = new ActivationStats());
            int per = x.length / Math.max(1, n);
            for (int pass = 0; pass < (options.calibration().needsHistogram() ? 2 : 1); pass++) {
                for (FakeQuant f : points) f.observing = pass == 0 ? Observe.RANGE : Observe.HISTOGRAM;
                for (int s = 0; s < n; s += batch) {
                    int b = Math.min(batch, n - s);
                    m.forward(java.util.Arrays.copyOfRange(x, s * per, (s + b) * per), b, false);
                }
            }
            for (FakeQuant f : points) {
                f.observing = Observe.NONE;
                RangeEstimator.Range r = RangeEstimator.estimate(f.stats, options.calibration(), options.activationType());
                QuantMath.Params p = options.symmetricActivations()
                        ? QuantMath.symmetric(Math.max(Math.abs(r.min()), Math.abs(r.max())), options.activationType())
                        : QuantMath.asymmetric(r.min(), r.max(), options.activationType());
                f.set(p);
                f.stats = null;
            }
        } finally {
            active(was);
        }
    }

    enum Observe { NONE, RANGE, HISTOGRAM }

    /** Rounds its input to the activation grid in the forward pass; passes the gradient inside the range. */
    static final class FakeQuant implements Layer {
        final String tensor;
        final IntType type;
        boolean rounding;
        Observe observing = Observe.NONE;
        ActivationStats stats;
        float scale = Float.NaN;
        int zeroPoint;
        double lo;
        double hi;
        private float[] y;
        private boolean[] inside;

        FakeQuant(String tensor, QuantOptions o) {
            this.tensor = tensor;
            this.type = o.activationType();
        }

        void set(QuantMath.Params p) {
            scale = p.scale();
            zeroPoint = p.zeroPoint();
            lo = QuantMath.dequantize(type.min(), scale, zeroPoint);
            hi = QuantMath.dequantize(type.max(), scale, zeroPoint);
        }

        @Override
        public String node() {
            return tensor;
        }

        @Override
        public int[] outShape(int[] in) {
            return in.clone();
        }

        @Override
        public float[] forward(float[] x, int batch, boolean training) {
            if (observing == Observe.RANGE) stats.observeRange(x);
            if (observing == Observe.HISTOGRAM) stats.observeHistogram(x);
            if (!rounding || Float.isNaN(scale)) {
                inside = null;
                return x;
            }
            y = Layers.reuse(y, x.length);
            if (training) inside = inside != null && inside.length == x.length ? inside : new boolean[x.length];
            for (int i = 0; i < x.length; i++) {
                int q = QuantMath.quantize(x[i], scale, zeroPoint, type);
                y[i] = QuantMath.dequantize(q, scale, zeroPoint);
                if (training) inside[i] = x[i] >= lo && x[i] <= hi;
            }
            if (!training) inside = null;
            return y;
        }

        @Override
        public float[] backward(float[] dy, int batch) {
            if (inside == null) return dy;
            float[] dx = new float[dy.length];
            for (int i = 0; i < dy.length; i++) dx[i] = inside[i] ? dy[i] : 0;
            return dx;
        }
    }
}
