package org.polaris.workbench.engine.opencl;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every OpenCL kernel against its plain-Java reference, on the first OpenCL device (PoCL on the CPU in CI; a real
 * GPU where one is installed). Without an OpenCL platform the tests are skipped, saying why.
 */
class ClKernelsTest {

    @TempDir
    static Path cache;

    private static ClRuntime rt;
    private static ClKernels k;

    @BeforeAll
    static void open() {
        OpenCl.Discovery d = OpenCl.discover();
        Assumptions.assumeTrue(d.available(), () -> "skipped: no OpenCL device (" + d.problem() + ")");
        System.setProperty("polaris.cache.dir", cache.toString());
        ClDevice dev = d.devices().stream().filter(x -> x.type().equals("gpu")).findFirst().orElse(d.devices().get(0));
        rt = ClRuntime.open(dev);
        k = new ClKernels(rt);
    }

    @AfterAll
    static void close() {
        if (rt != null) rt.close();
        System.clearProperty("polaris.cache.dir");
    }

    private static float[] random(int n, Random r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    static float[] gemmReference(float[] a, float[] b, int m, int n, int kk) {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < kk; p++) acc += (double) a[i * kk + p] * b[p * n + j];
                c[i * n + j] = (float) acc;
            }
        }
        return c;
    }

    private static void assertClose(float[] want, float[] got, int k, String what) {
        assertThat(got).hasSameSizeAs(want);
        for (int i = 0; i < want.length; i++) {
            assertThat((double) got[i]).as("%s [%d]", what, i)
                    .isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-5 * Math.sqrt(k) * (1 + Math.abs(want[i]))));
        }
    }

    @Test
    void sgemmNaiveAndEveryTiledConfigurationMatchTheReferenceOnOddSizes() {
        Random r = new Random(1);
        int[][] shapes = {{1, 1, 1}, {7, 13, 5}, {33, 17, 29}, {64, 64, 64}, {100, 37, 61}};
        for (int[] s : shapes) {
            float[] a = random(s[0] * s[2], r);
            float[] b = random(s[2] * s[1], r);
            float[] want = gemmReference(a, b, s[0], s[1], s[2]);
            assertClose(want, k.sgemm(a, b, s[0], s[1], s[2], null), s[2], "naive " + java.util.Arrays.toString(s));
            for (ClKernels.SgemmParams p : SgemmTuner.candidates(rt.device())) {
                assertClose(want, k.sgemm(a, b, s[0], s[1], s[2], p), s[2], p + " " + java.util.Arrays.toString(s));
            }
        }
    }

    @Test
    void elementwiseSoftmaxSparseInt8AndLifMatchTheirReferences() {
        Random r = new Random(2);
        float[] x = random(1001, r);
        float[] y = random(1001, r);
        float[] relu = k.relu(x);
        float[] add = k.add(x, y);
        for (int i = 0; i < x.length; i++) {
            assertThat(relu[i]).isEqualTo(Math.max(x[i], 0f));
            assertThat(add[i]).isEqualTo(x[i] + y[i]);
        }
        int rows = 13, cols = 10;
        float[] sm = k.softmaxRows(java.util.Arrays.copyOf(x, rows * cols), rows, cols);
        for (int i = 0; i < rows; i++) {
            double m = Double.NEGATIVE_INFINITY, s = 0;
            for (int c = 0; c < cols; c++) m = Math.max(m, x[i * cols + c]);
            for (int c = 0; c < cols; c++) s += Math.exp(x[i * cols + c] - m);
            for (int c = 0; c < cols; c++) {
                assertThat((double) sm[i * cols + c]).isCloseTo(Math.exp(x[i * cols + c] - m) / s,
                        org.assertj.core.data.Offset.offset(1e-6));
            }
        }
        // CSR against the dense reference on a prime-sized matrix with an empty row
        int sr = 31, sc = 37, batch = 5;
        float[] w = new float[sr * sc];
        for (int i = 0; i < w.length; i++) w[i] = r.nextFloat() < 0.8 ? 0f : (float) r.nextGaussian();
        for (int c = 0; c < sc; c++) w[c] = 0f;
        int nnz = 0;
        for (float v : w) if (v != 0f) nnz++;
        int[] ptr = new int[sr + 1];
        int[] idx = new int[nnz];
        float[] vals = new float[nnz];
        int at = 0;
        for (int i = 0; i < sr; i++) {
            for (int c = 0; c < sc; c++) if (w[i * sc + c] != 0f) { idx[at] = c; vals[at++] = w[i * sc + c]; }
            ptr[i + 1] = at;
        }
        float[] xT = random(sc * batch, r);
        float[] got = k.csrSpmm(sr, ptr, idx, vals, xT, batch);
        for (int i = 0; i < sr; i++) {
            for (int b = 0; b < batch; b++) {
                double acc = 0;
                for (int c = 0; c < sc; c++) acc += (double) w[i * sc + c] * xT[c * batch + b];
                assertThat((double) got[i * batch + b]).isCloseTo(acc, org.assertj.core.data.Offset.offset(1e-4));
            }
        }
        // int8 codes at full scale: exact int32 sums
        int m = 9, n = 11, kk = 300;
        byte[] a8 = new byte[m * kk];
        byte[] b8 = new byte[kk * n];
        r.nextBytes(a8);
        r.nextBytes(b8);
        a8[0] = -128;
        b8[0] = -128;
        int[] c8 = k.gemmInt8(a8, b8, m, n, kk);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int acc = 0;
                for (int p = 0; p < kk; p++) acc += a8[i * kk + p] * b8[p * n + j];
                assertThat(c8[i * n + j]).isEqualTo(acc);
            }
        }
        // LIF: the GPU step equals the Java step, spikes and resets included
        float[] v = random(257, r);
        float[] in = random(257, r);
        float[] vRef = v.clone();
        int[] spikes = k.lifStep(v, in, 0.9f, 1.0f, 0.0f);
        int fired = 0;
        for (int i = 0; i < v.length; i++) {
            float nv = vRef[i] * 0.9f + in[i];
            boolean s = nv >= 1.0f;
            assertThat(spikes[i]).isEqualTo(s ? 1 : 0);
            assertThat(v[i]).isEqualTo(s ? 0.0f : nv);
            if (s) fired++;
        }
        assertThat(fired).isBetween(1, 256);
    }

    @Test
    void convolutionsAndPoolingMatchDirectLoopsAndTheFullCheckPasses() {
        Random r = new Random(4);
        // odd sizes, stride 2, asymmetric kernel, dilation: against the direct definition
        ClKernels.Conv g = new ClKernels.Conv(3, 2, 2, 1, 1, 0, 1, 2);
        int n = 2, c = 4, h = 13, w = 10, m = 7;
        int oh = g.outH(h, 1), ow = g.outW(w, 0);
        float[] x = random(n * c * h * w, r);
        float[] wt = random(m * c * 6, r);
        float[] bias = random(m, r);
        float[] want = LayerCheck.convGrouped(x, wt, bias, new ClKernels.Window(n, c, h, w, m, 1, g, oh, ow));
        assertClose(want, k.conv2d(x, n, c, h, w, wt, m, bias, g, oh, ow, null), c * 6, "conv naive");
        assertClose(want, k.conv2d(x, n, c, h, w, wt, m, bias, g, oh, ow, new ClKernels.SgemmParams(8, 2)),
                c * 6, "conv tiled");
        assertThat(KernelCheck.run(rt.device())).allSatisfy(chk -> assertThat(chk.ok()).as("%s: %s", chk.kernel(), chk.detail()).isTrue());
    }

    @Test
    void tunedSgemmIsCachedAndProgramBinariesAreReused() throws Exception {
        SgemmTuner.Result r = SgemmTuner.tune(k, 128, 1, ProgressSink.NONE, CancellationToken.none());
        assertThat(r.trials()).isNotEmpty();
        assertThat(r.bestMs()).isPositive();
        ClKernels.SgemmParams best = SgemmTuner.best(k);
        assertThat(Files.readString(SgemmTuner.cacheFile())).contains(rt.device().name(), "\"tile\"");
        assertThat(SgemmTuner.best(k)).isEqualTo(best); // from the cache now
        // a second runtime on the same device loads compiled programs from disk instead of compiling them
        k.relu(new float[] {1f});
        try (ClRuntime again = ClRuntime.open(rt.device())) {
            new ClKernels(again).relu(new float[] {-1f, 2f});
            assertThat(again.buildCounts()[1]).isGreaterThanOrEqualTo(1);
            assertThat(again.buildCounts()[0]).isZero();
        }
    }
}
