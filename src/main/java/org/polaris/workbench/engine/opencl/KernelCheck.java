package org.polaris.workbench.engine.opencl;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Runs every OpenCL kernel on one device against a plain-Java computation of the same thing, on odd sizes, and
 * reports the largest error per kernel: what {@code polaris-workbench gpu check} and the real-GPU check script run,
 * so a user's own card (and driver) is verified, not just the CI's PoCL.
 */
public final class KernelCheck {

    /** @param maxError largest absolute difference, relative to the largest reference value (0 for exact kernels) */
    public record Check(String kernel, boolean ok, double maxError, String detail) {
    }

    private KernelCheck() {
    }

    public static List<Check> run(ClDevice device) {
        List<Check> out = new ArrayList<>();
        try (ClRuntime rt = ClRuntime.open(device)) {
            ClKernels k = new ClKernels(rt);
            Random r = new Random(7);
            int m = 67, n = 45, kk = 129;
            float[] a = gauss(m * kk, r);
            float[] b = gauss(kk * n, r);
            float[] want = gemm(a, b, m, n, kk);
            out.add(compare("sgemm naive", want, k.sgemm(a, b, m, n, kk, null), 1e-5 * Math.sqrt(kk)));
            for (ClKernels.SgemmParams p : SgemmTuner.candidates(device)) {
                out.add(compare("sgemm " + p, want, k.sgemm(a, b, m, n, kk, p), 1e-5 * Math.sqrt(kk)));
            }
            float[] x = gauss(4099, r);
            float[] y = gauss(4099, r);
            float[] relu = new float[x.length];
            float[] add = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                relu[i] = Math.max(0f, x[i]);
                add[i] = x[i] + y[i];
            }
            out.add(compare("relu", relu, k.relu(x), 0));
            out.add(compare("add", add, k.add(x, y), 0));
            int rows = 37, cols = 19;
            float[] logits = java.util.Arrays.copyOf(x, rows * cols);
            float[] sm = new float[logits.length];
            for (int i = 0; i < rows; i++) {
                double mx = Double.NEGATIVE_INFINITY, s = 0;
                for (int c = 0; c < cols; c++) mx = Math.max(mx, logits[i * cols + c]);
                for (int c = 0; c < cols; c++) s += Math.exp(logits[i * cols + c] - mx);
                for (int c = 0; c < cols; c++) sm[i * cols + c] = (float) (Math.exp(logits[i * cols + c] - mx) / s);
            }
            out.add(compare("softmax", sm, k.softmaxRows(logits, rows, cols), 1e-5));
            out.add(csr(k, r));
            out.add(int8(k, r));
            out.add(lif(k, r));
        } catch (RuntimeException e) {
            out.add(new Check("runtime", false, Double.NaN, e.getMessage()));
        }
        return out;
    }

    private static Check csr(ClKernels k, Random r) {
        int rows = 101, cols = 53, batch = 7;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = r.nextFloat() < 0.85 ? 0f : (float) r.nextGaussian();
        int nnz = 0;
        for (float v : w) if (v != 0f) nnz++;
        int[] ptr = new int[rows + 1];
        int[] idx = new int[nnz];
        float[] vals = new float[nnz];
        int at = 0;
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < cols; c++) {
                if (w[i * cols + c] != 0f) {
                    idx[at] = c;
                    vals[at++] = w[i * cols + c];
                }
            }
            ptr[i + 1] = at;
        }
        float[] xT = gauss(cols * batch, r);
        float[] want = new float[rows * batch];
        for (int i = 0; i < rows; i++) {
            for (int b = 0; b < batch; b++) {
                double s = 0;
                for (int c = 0; c < cols; c++) s += (double) w[i * cols + c] * xT[c * batch + b];
                want[i * batch + b] = (float) s;
            }
        }
        return compare("csr spmm", want, k.csrSpmm(rows, ptr, idx, vals, xT, batch), 1e-5);
    }

    private static Check int8(ClKernels k, Random r) {
        int m = 13, n = 17, kk = 515;
        byte[] a = new byte[m * kk];
        byte[] b = new byte[kk * n];
        r.nextBytes(a);
        r.nextBytes(b);
        a[0] = -128;
        b[0] = -128;
        int[] got = k.gemmInt8(a, b, m, n, kk);
        long worst = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int s = 0;
                for (int p = 0; p < kk; p++) s += a[i * kk + p] * b[p * n + j];
                worst = Math.max(worst, Math.abs((long) s - got[i * n + j]));
            }
        }
        return new Check("int8 gemm", worst == 0, worst, worst == 0 ? "exact int32 sums" : "differs by " + worst);
    }

    private static Check lif(ClKernels k, Random r) {
        float[] v = gauss(1023, r);
        float[] in = gauss(1023, r);
        float[] ref = v.clone();
        int[] spikes = k.lifStep(v, in, 0.95f, 1.0f, 0.0f);
        int wrong = 0;
        int fired = 0;
        for (int i = 0; i < ref.length; i++) {
            float nv = ref[i] * 0.95f + in[i];
            boolean s = nv >= 1.0f;
            if ((spikes[i] == 1) != s || v[i] != (s ? 0f : nv)) wrong++;
            if (s) fired++;
        }
        return new Check("lif step", wrong == 0, wrong, fired + " of " + ref.length + " neurons fired; " + wrong + " differ");
    }

    private static Check compare(String name, float[] want, float[] got, double tol) {
        double scale = 0;
        for (float w : want) scale = Math.max(scale, Math.abs(w));
        double worst = 0;
        for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got[i]));
        double rel = worst / Math.max(1e-30, scale);
        boolean ok = got.length == want.length && (tol == 0 ? worst == 0 : rel <= tol);
        return new Check(name, ok, rel, String.format(java.util.Locale.ROOT, "%d values, max error %.3g, largest magnitude %.3g",
                want.length, worst, scale));
    }

    static float[] gemm(float[] a, float[] b, int m, int n, int kk) {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < kk; p++) s += (double) a[i * kk + p] * b[p * n + j];
                c[i * n + j] = (float) s;
            }
        }
        return c;
    }

    private static float[] gauss(int n, Random r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }
}
