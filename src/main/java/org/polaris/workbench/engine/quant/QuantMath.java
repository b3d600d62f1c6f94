package org.polaris.workbench.engine.quant;

/**
 * Scale/zero-point arithmetic shared by every scheme. Quantization rounds half to even (as ONNX QuantizeLinear
 * does) and saturates; it never wraps around.
 */
public final class QuantMath {

    /** Smallest scale used when a range collapses to a point, so dequantization stays finite. */
    static final float MIN_SCALE = 1e-12f;

    private QuantMath() {
    }

    /** One scale and zero point. */
    public record Params(float scale, int zeroPoint) {
    }

    /**
     * Affine parameters covering {@code [min, max]}, widened to include 0 so that zero is exactly representable
     * (padding and ReLU outputs rely on it).
     */
    public static Params asymmetric(double min, double max, IntType t) {
        double lo = Math.min(min, 0);
        double hi = Math.max(max, 0);
        double scale = (hi - lo) / ((double) t.max() - t.min());
        if (!(scale > MIN_SCALE) || !Double.isFinite(scale)) {
            return new Params(Double.isFinite(scale) && scale > 0 ? (float) scale : 1f, t.signed() ? 0 : t.min());
        }
        long zp = Math.round(t.min() - lo / scale);
        return new Params((float) scale, t.saturate(zp));
    }

    /**
     * Symmetric parameters for {@code [-absMax, absMax]}: zero point 0 for signed types (using the restricted range
     * -127..127 for int8, so the grid is symmetric), mid-range for unsigned types.
     */
    public static Params symmetric(double absMax, IntType t) {
        int half = t.signed() ? t.max() : (t.max() - t.min()) / 2;
        double scale = absMax / half;
        if (!(scale > MIN_SCALE) || !Double.isFinite(scale)) {
            scale = 1;
        }
        int zp = t.signed() ? 0 : t.min() + (t.max() - t.min() + 1) / 2;
        return new Params((float) scale, zp);
    }

    public static int quantize(float x, float scale, int zeroPoint, IntType t) {
        double q = Math.rint(x / (double) scale) + zeroPoint;
        if (Double.isNaN(q)) {
            return t.saturate(zeroPoint);
        }
        return t.saturate((long) Math.max(Long.MIN_VALUE / 2, Math.min(Long.MAX_VALUE / 2, q)));
    }

    public static float dequantize(int q, float scale, int zeroPoint) {
        return (q - zeroPoint) * scale;
    }

    /** Signal-to-quantization-noise ratio in dB of {@code approx} against {@code exact}; +inf when identical. */
    public static double sqnrDb(float[] exact, float[] approx) {
        double signal = 0;
        double noise = 0;
        for (int i = 0; i < exact.length; i++) {
            signal += (double) exact[i] * exact[i];
            double d = (double) exact[i] - approx[i];
            noise += d * d;
        }
        if (noise == 0) {
            return Double.POSITIVE_INFINITY;
        }
        return 10 * Math.log10(signal / noise);
    }

    public static double cosine(double[] a, double[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        if (na == 0 && nb == 0) {
            return 1;
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }

    public static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        if (na == 0 && nb == 0) {
            return 1;
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }

    public static double maxAbsError(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    /** Rows beyond this are compared in order only (matching is quadratic). */
    static final int MATCH_ROWS = 4096;

    /**
     * Cosine of two {@code rows}-row tensors whose row order carries no meaning, such as a detector's boxes (near-tied
     * scores may swap two detections): the better of the in-order cosine and the cosine after giving each row of
     * {@code a}, in order, the nearest row of {@code b} not yet taken.
     */
    public static double cosineAnyRowOrder(double[] a, double[] b, int rows) {
        double ordered = cosine(a, b);
        if (rows < 2 || rows > MATCH_ROWS || a.length != b.length || a.length % rows != 0) {
            return ordered;
        }
        return Math.max(ordered, cosine(a, matchRows(a, b, rows)));
    }

    /** {@code b}'s rows reordered so that row i is the nearest (Euclidean) row to {@code a}'s row i not taken before. */
    static double[] matchRows(double[] a, double[] b, int rows) {
        int per = a.length / rows;
        boolean[] taken = new boolean[rows];
        double[] out = new double[b.length];
        for (int i = 0; i < rows; i++) {
            int best = -1;
            double bestD = Double.POSITIVE_INFINITY;
            for (int j = 0; j < rows; j++) {
                if (taken[j]) continue;
                double d = 0;
                for (int k = 0; k < per && d < bestD; k++) {
                    double x = a[i * per + k] - b[j * per + k];
                    d += x * x;
                }
                if (d < bestD || best < 0) {
                    bestD = d;
                    best = j;
                }
            }
            taken[best] = true;
            System.arraycopy(b, best * per, out, i * per, per);
        }
        return out;
    }
}
