package org.polaris.workbench.engine.opencl;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.polaris.workbench.engine.opencl.KernelCheck.compare;
import static org.polaris.workbench.engine.opencl.KernelCheck.gauss;

/**
 * The LSTM and GRU kernels against the ONNX equations stepped in plain Java (double precision): a bidirectional LSTM
 * with biases, peepholes and initial states, a reversed one, and GRUs with and without {@code linear_before_reset};
 * part of {@link KernelCheck} through {@link LayerCheck}.
 */
final class RecurrentCheck {

    private RecurrentCheck() {
    }

    static List<KernelCheck.Check> run(ClRuntime rt, ClKernels k, Random r) {
        List<KernelCheck.Check> out = new ArrayList<>();
        // 70 hidden units: more than one per work-item, a partial last round
        for (var s : List.of(new ClKernels.Recurrence(5, 3, 7, 70, 2, false), new ClKernels.Recurrence(4, 2, 5, 9, 1, true))) {
            float[][] v = inputs(s, 4, r);
            float[][] want = lstm(s, v);
            float[][] got = new float[3][];
            int hs = s.dirs() * s.batch() * s.hidden();
            try (ClRuntime.Buffer x = rt.upload(v[0]); ClRuntime.Buffer w = rt.upload(v[1]); ClRuntime.Buffer rr = rt.upload(v[2]);
                 ClRuntime.Buffer b = rt.upload(v[3]); ClRuntime.Buffer p = rt.upload(v[4]); ClRuntime.Buffer h0 = rt.upload(v[5]);
                 ClRuntime.Buffer c0 = rt.upload(v[6]); ClRuntime.Buffer y = rt.allocate(4L * s.seq() * hs);
                 ClRuntime.Buffer yh = rt.allocate(4L * hs); ClRuntime.Buffer yc = rt.allocate(4L * hs)) {
                k.lstm(s, x, w, rr, b, p, h0, c0, y, yh, yc);
                got[0] = rt.readFloats(y, s.seq() * hs);
                got[1] = rt.readFloats(yh, hs);
                got[2] = rt.readFloats(yc, hs);
            }
            String name = String.format(java.util.Locale.ROOT, "lstm %s hidden %d", s.dirs() == 2 ? "bidirectional"
                    : s.reverse() ? "reverse" : "forward", s.hidden());
            out.add(compare(name + " Y", want[0], got[0], 1e-5));
            out.add(compare(name + " Y_c", want[2], got[2], 1e-5));
        }
        for (boolean lbr : new boolean[] {false, true}) {
            var s = new ClKernels.Recurrence(6, 2, 4, 33, 2, false);
            float[][] v = inputs(s, 3, r);
            float[] want = gru(s, v, lbr);
            int hs = s.dirs() * s.batch() * s.hidden();
            float[] got;
            try (ClRuntime.Buffer x = rt.upload(v[0]); ClRuntime.Buffer w = rt.upload(v[1]); ClRuntime.Buffer rr = rt.upload(v[2]);
                 ClRuntime.Buffer b = rt.upload(v[3]); ClRuntime.Buffer h0 = rt.upload(v[5]);
                 ClRuntime.Buffer y = rt.allocate(4L * s.seq() * hs); ClRuntime.Buffer yh = rt.allocate(4L * hs)) {
                k.gru(s, lbr, x, w, rr, b, h0, y, yh);
                got = rt.readFloats(y, s.seq() * hs);
            }
            out.add(compare("gru bidirectional" + (lbr ? " linear before reset" : ""), want, got, 1e-5));
        }
        return out;
    }

    /** x, W, R, B, P, h0, c0 in ONNX layouts, scaled so the gates neither saturate nor vanish. */
    private static float[][] inputs(ClKernels.Recurrence s, int gates, Random r) {
        int d = s.dirs(), h = s.hidden();
        return new float[][] {
                scale(gauss(s.seq() * s.batch() * s.input(), r), 1),
                scale(gauss(d * gates * h * s.input(), r), 0.4f),
                scale(gauss(d * gates * h * h, r), 1f / (float) Math.sqrt(h)),
                scale(gauss(d * 2 * gates * h, r), 0.3f),
                scale(gauss(d * 3 * h, r), 0.3f),
                scale(gauss(d * s.batch() * h, r), 0.5f),
                scale(gauss(d * s.batch() * h, r), 0.5f)};
    }

    private static float[] scale(float[] v, float by) {
        for (int i = 0; i < v.length; i++) v[i] *= by;
        return v;
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    /** {@code bias + m[row] . v} for row {@code row} of a [rows][len] matrix at {@code off}. */
    private static double dot(float[] m, int off, int row, int len, double[] v, double bias) {
        double s = bias;
        for (int k = 0; k < len; k++) s += m[off + row * len + k] * v[k];
        return s;
    }

    private static double[] xAt(ClKernels.Recurrence s, float[] x, int t, int bt) {
        double[] v = new double[s.input()];
        for (int k = 0; k < v.length; k++) v[k] = x[(t * s.batch() + bt) * s.input() + k];
        return v;
    }

    /** Y, Y_h, Y_c of an LSTM (gates i, o, f, c). */
    private static float[][] lstm(ClKernels.Recurrence s, float[][] v) {
        int h = s.hidden(), in = s.input(), g = 4 * h;
        float[] y = new float[s.seq() * s.dirs() * s.batch() * h];
        float[] yh = new float[s.dirs() * s.batch() * h];
        float[] yc = new float[yh.length];
        for (int d = 0; d < s.dirs(); d++) {
            for (int bt = 0; bt < s.batch(); bt++) {
                double[] hv = new double[h];
                double[] cv = new double[h];
                int hc = (d * s.batch() + bt) * h;
                for (int j = 0; j < h; j++) {
                    hv[j] = v[5][hc + j];
                    cv[j] = v[6][hc + j];
                }
                for (int step = 0; step < s.seq(); step++) {
                    int t = s.reverse() || d == 1 ? s.seq() - 1 - step : step;
                    double[] xv = xAt(s, v[0], t, bt);
                    double[] hn = new double[h];
                    double[] cn = new double[h];
                    for (int j = 0; j < h; j++) {
                        double[] gate = new double[4];
                        for (int q = 0; q < 4; q++) {
                            int row = q * h + j;
                            gate[q] = dot(v[1], d * g * in, row, in, xv, v[3][d * 2 * g + row] + v[3][d * 2 * g + g + row])
                                    + dot(v[2], d * g * h, row, h, hv, 0);
                        }
                        double i = sigmoid(gate[0] + v[4][d * 3 * h + j] * cv[j]);
                        double f = sigmoid(gate[2] + v[4][d * 3 * h + 2 * h + j] * cv[j]);
                        cn[j] = f * cv[j] + i * Math.tanh(gate[3]);
                        double o = sigmoid(gate[1] + v[4][d * 3 * h + h + j] * cn[j]);
                        hn[j] = o * Math.tanh(cn[j]);
                    }
                    hv = hn;
                    cv = cn;
                    for (int j = 0; j < h; j++) y[((t * s.dirs() + d) * s.batch() + bt) * h + j] = (float) hv[j];
                }
                for (int j = 0; j < h; j++) {
                    yh[hc + j] = (float) hv[j];
                    yc[hc + j] = (float) cv[j];
                }
            }
        }
        return new float[][] {y, yh, yc};
    }

    /** Y of a GRU (gates z, r, h). */
    private static float[] gru(ClKernels.Recurrence s, float[][] v, boolean linearBeforeReset) {
        int h = s.hidden(), in = s.input(), g = 3 * h;
        float[] y = new float[s.seq() * s.dirs() * s.batch() * h];
        for (int d = 0; d < s.dirs(); d++) {
            int wb = d * 2 * g, rb = wb + g;
            for (int bt = 0; bt < s.batch(); bt++) {
                double[] hv = new double[h];
                for (int j = 0; j < h; j++) hv[j] = v[5][(d * s.batch() + bt) * h + j];
                for (int step = 0; step < s.seq(); step++) {
                    int t = s.reverse() || d == 1 ? s.seq() - 1 - step : step;
                    double[] xv = xAt(s, v[0], t, bt);
                    double[] z = new double[h];
                    double[] rr = new double[h];
                    for (int j = 0; j < h; j++) {
                        z[j] = sigmoid(dot(v[1], d * g * in, j, in, xv, v[3][wb + j] + v[3][rb + j])
                                + dot(v[2], d * g * h, j, h, hv, 0));
                        rr[j] = sigmoid(dot(v[1], d * g * in, h + j, in, xv, v[3][wb + h + j] + v[3][rb + h + j])
                                + dot(v[2], d * g * h, h + j, h, hv, 0));
                    }
                    double[] rh = new double[h];
                    for (int j = 0; j < h; j++) rh[j] = rr[j] * hv[j];
                    double[] hn = new double[h];
                    for (int j = 0; j < h; j++) {
                        double gx = dot(v[1], d * g * in, 2 * h + j, in, xv, v[3][wb + 2 * h + j]);
                        double rec = linearBeforeReset
                                ? rr[j] * dot(v[2], d * g * h, 2 * h + j, h, hv, v[3][rb + 2 * h + j])
                                : dot(v[2], d * g * h, 2 * h + j, h, rh, v[3][rb + 2 * h + j]);
                        hn[j] = (1 - z[j]) * Math.tanh(gx + rec) + z[j] * hv[j];
                    }
                    hv = hn;
                    for (int j = 0; j < h; j++) y[((t * s.dirs() + d) * s.batch() + bt) * h + j] = (float) hv[j];
                }
            }
        }
        return y;
    }
}
