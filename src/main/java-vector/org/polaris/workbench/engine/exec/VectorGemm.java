package org.polaris.workbench.engine.exec;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD GEMM micro-kernel (Vector API, incubating in JDK 17-25): an 8 x 2-vector tile of C stays in registers
 * while a K block streams through, so every pair of loaded B vectors feeds sixteen fused multiply-adds. Columns
 * left over at the right edge (fewer than a vector) go through the same kernel on zero-padded copies, since masked
 * loads are slow on JDK 17 and scalar code there cost a third of the time on 14x14 feature maps. Compiled apart
 * from the rest (the module is not visible under --release) and loaded only when the JVM has the module.
 */
final class VectorGemm implements Gemm.RowKernel {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int W = S.length();

    /** Zero-padded right-edge copies of a B block (K block x W) and of a 4-row C tile (4 x W), per thread. */
    private static final ThreadLocal<float[][]> EDGE = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[4 * W]});

    @Override
    public int tileColumns() {
        return 2 * W;
    }

    @Override
    public void rows(int r0, int r1, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
                     int j0, int j1, int kb, int kEnd) {
        int jv = j0 + (j1 - j0) / W * W;
        int i = r0;
        for (; i + 7 < r1; i += 8) {
            int j = j0;
            for (; j + 2 * W <= jv; j += 2 * W) {
                tile8x2(i, j, n, k, a, aOff, b, bOff, c, cOff, kb, kEnd);
            }
            for (; j < jv; j += W) {
                tile4x1(i, j, n, k, a, aOff, b, bOff, c, cOff, kb, kEnd);
                tile4x1(i + 4, j, n, k, a, aOff, b, bOff, c, cOff, kb, kEnd);
            }
        }
        for (; i + 3 < r1; i += 4) {
            int j = j0;
            for (; j + 2 * W <= jv; j += 2 * W) {
                tile4x2(i, j, n, k, a, aOff, b, bOff, c, cOff, kb, kEnd);
            }
            for (; j < jv; j += W) {
                tile4x1(i, j, n, k, a, aOff, b, bOff, c, cOff, kb, kEnd);
            }
        }
        int quadEnd = i;
        for (; i < r1; i++) {
            oneRow(aOff + i * k, cOff + i * n, n, a, b, bOff, c, j0, jv, kb, kEnd);
        }
        if (jv < j1) {
            if (quadEnd > r0) {
                edge(r0, quadEnd, n, k, a, aOff, b, bOff, c, cOff, jv, j1, kb, kEnd);
            }
            if (quadEnd < r1) {
                Gemm.scalarRows(quadEnd, r1, n, k, a, aOff, b, bOff, c, cOff, jv, j1, kb, kEnd);
            }
        }
    }

    /**
     * A lone row (a batch-1 Linear layer, a recurrent step): B streams row by row (four at a time) while the row of C
     * stays in L1; walking B down its columns instead touched a new cache line on every load. A method of its own, so
     * the JIT compiles and inlines its vector operations apart from the tile loops (inside {@link #rows} they fell
     * back to the Vector API's scalar emulation).
     */
    private static void oneRow(int ai, int ci, int n, float[] a, float[] b, int bOff, float[] c, int j0, int jv,
                               int kb, int kEnd) {
        int p = kb;
        // eight rows of B per pass over the row of C: one load and store of C feeds eight multiply-adds
        for (; p + 7 < kEnd; p += 8) {
            FloatVector v0 = FloatVector.broadcast(S, a[ai + p]), v1 = FloatVector.broadcast(S, a[ai + p + 1]);
            FloatVector v2 = FloatVector.broadcast(S, a[ai + p + 2]), v3 = FloatVector.broadcast(S, a[ai + p + 3]);
            FloatVector v4 = FloatVector.broadcast(S, a[ai + p + 4]), v5 = FloatVector.broadcast(S, a[ai + p + 5]);
            FloatVector v6 = FloatVector.broadcast(S, a[ai + p + 6]), v7 = FloatVector.broadcast(S, a[ai + p + 7]);
            int b0 = bOff + p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
            int b4 = b3 + n, b5 = b4 + n, b6 = b5 + n, b7 = b6 + n;
            for (int j = j0; j < jv; j += W) {
                FloatVector acc = FloatVector.fromArray(S, c, ci + j);
                FloatVector acc2 = FloatVector.fromArray(S, b, b4 + j).mul(v4);
                acc = FloatVector.fromArray(S, b, b0 + j).fma(v0, acc);
                acc2 = FloatVector.fromArray(S, b, b5 + j).fma(v5, acc2);
                acc = FloatVector.fromArray(S, b, b1 + j).fma(v1, acc);
                acc2 = FloatVector.fromArray(S, b, b6 + j).fma(v6, acc2);
                acc = FloatVector.fromArray(S, b, b2 + j).fma(v2, acc);
                acc2 = FloatVector.fromArray(S, b, b7 + j).fma(v7, acc2);
                acc = FloatVector.fromArray(S, b, b3 + j).fma(v3, acc);
                acc.add(acc2).intoArray(c, ci + j);
            }
        }
        for (; p + 3 < kEnd; p += 4) {
            FloatVector v0 = FloatVector.broadcast(S, a[ai + p]), v1 = FloatVector.broadcast(S, a[ai + p + 1]);
            FloatVector v2 = FloatVector.broadcast(S, a[ai + p + 2]), v3 = FloatVector.broadcast(S, a[ai + p + 3]);
            int b0 = bOff + p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
            for (int j = j0; j < jv; j += W) {
                FloatVector acc = FloatVector.fromArray(S, c, ci + j);
                acc = FloatVector.fromArray(S, b, b0 + j).fma(v0, acc);
                acc = FloatVector.fromArray(S, b, b1 + j).fma(v1, acc);
                acc = FloatVector.fromArray(S, b, b2 + j).fma(v2, acc);
                acc = FloatVector.fromArray(S, b, b3 + j).fma(v3, acc);
                acc.intoArray(c, ci + j);
            }
        }
        for (; p < kEnd; p++) {
            FloatVector v = FloatVector.broadcast(S, a[ai + p]);
            int bi = bOff + p * n;
            for (int j = j0; j < jv; j += W) {
                FloatVector.fromArray(S, b, bi + j).fma(v, FloatVector.fromArray(S, c, ci + j)).intoArray(c, ci + j);
            }
        }
    }

    /** Columns [jv, j1), narrower than a vector, of rows [r0, r1) (a multiple of 4), through padded copies. */
    private static void edge(int r0, int r1, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c,
                             int cOff, int jv, int j1, int kb, int kEnd) {
        int rem = j1 - jv;
        float[][] buf = EDGE.get();
        int kLen = kEnd - kb;
        if (buf[0].length < kLen * W) {
            buf[0] = new float[kLen * W];
        }
        float[] bp = buf[0];
        float[] cp = buf[1];
        for (int p = 0; p < kLen; p++) {
            System.arraycopy(b, bOff + (kb + p) * n + jv, bp, p * W, rem);
            java.util.Arrays.fill(bp, p * W + rem, p * W + W, 0f);
        }
        for (int i = r0; i < r1; i += 4) {
            for (int r = 0; r < 4; r++) {
                System.arraycopy(c, cOff + (i + r) * n + jv, cp, r * W, rem);
            }
            // B rows have stride W in the copy: p * W - kb * W addresses row p - kb; C rows of the tile likewise.
            tile4x1(i, 0, W, k, a, aOff, bp, -kb * W, cp, -i * W, kb, kEnd);
            for (int r = 0; r < 4; r++) {
                System.arraycopy(cp, r * W, c, cOff + (i + r) * n + jv, rem);
            }
        }
    }

    /**
     * Every tap's product into one block of C held in registers ({@link Gemm.RowKernel#rowsTaps}): whole 8- and 4-row
     * tiles two vectors wide; other rows and widths take the default, one product per tap. With few rows per tap (an
     * 8-channel layer has 8 per tap), the per-tap products loaded and stored their C tile once for every 8 k-steps.
     */
    @Override
    public void rowsTaps(int r0, int r1, int n, int k, int m, float[] a, int[] bOffs, float[] b, float[] c, int j0,
                         int j1, int kb, int kEnd) {
        if ((j1 - j0) % (2 * W) != 0) {
            Gemm.RowKernel.super.rowsTaps(r0, r1, n, k, m, a, bOffs, b, c, j0, j1, kb, kEnd);
            return;
        }
        int i = r0;
        for (; i + 7 < r1; i += 8) {
            for (int j = j0; j < j1; j += 2 * W) {
                tile8x2Taps(i, j, n, k, m, a, bOffs, b, c, kb, kEnd);
            }
        }
        for (; i + 3 < r1; i += 4) {
            for (int j = j0; j < j1; j += 2 * W) {
                tile4x2Taps(i, j, n, k, m, a, bOffs, b, c, kb, kEnd);
            }
        }
        if (i < r1) {
            Gemm.RowKernel.super.rowsTaps(i, r1, n, k, m, a, bOffs, b, c, j0, j1, kb, kEnd);
        }
    }

    private static void tile8x2Taps(int i, int j, int n, int k, int m, float[] a, int[] offs, float[] b,
                                    float[] c, int kb, int kEnd) {
        int c0 = i * n + j;
        FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + W);
        FloatVector x10 = FloatVector.fromArray(S, c, c0 + n), x11 = FloatVector.fromArray(S, c, c0 + n + W);
        FloatVector x20 = FloatVector.fromArray(S, c, c0 + 2 * n), x21 = FloatVector.fromArray(S, c, c0 + 2 * n + W);
        FloatVector x30 = FloatVector.fromArray(S, c, c0 + 3 * n), x31 = FloatVector.fromArray(S, c, c0 + 3 * n + W);
        FloatVector x40 = FloatVector.fromArray(S, c, c0 + 4 * n), x41 = FloatVector.fromArray(S, c, c0 + 4 * n + W);
        FloatVector x50 = FloatVector.fromArray(S, c, c0 + 5 * n), x51 = FloatVector.fromArray(S, c, c0 + 5 * n + W);
        FloatVector x60 = FloatVector.fromArray(S, c, c0 + 6 * n), x61 = FloatVector.fromArray(S, c, c0 + 6 * n + W);
        FloatVector x70 = FloatVector.fromArray(S, c, c0 + 7 * n), x71 = FloatVector.fromArray(S, c, c0 + 7 * n + W);
        // one loop over every (tap, k) step: with a loop per tap inside, HotSpot 17 boxed the sixteen accumulators
        int len = kEnd - kb, steps = offs.length * len;
        int t = 0, p = 0;
        int ai = i * k + kb, bi = offs[0] + kb * n + j;
        for (int q = 0; q < steps; q++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + W);
            FloatVector v = FloatVector.broadcast(S, a[ai]);
            x00 = b0.fma(v, x00);
            x01 = b1.fma(v, x01);
            v = FloatVector.broadcast(S, a[ai + k]);
            x10 = b0.fma(v, x10);
            x11 = b1.fma(v, x11);
            v = FloatVector.broadcast(S, a[ai + 2 * k]);
            x20 = b0.fma(v, x20);
            x21 = b1.fma(v, x21);
            v = FloatVector.broadcast(S, a[ai + 3 * k]);
            x30 = b0.fma(v, x30);
            x31 = b1.fma(v, x31);
            v = FloatVector.broadcast(S, a[ai + 4 * k]);
            x40 = b0.fma(v, x40);
            x41 = b1.fma(v, x41);
            v = FloatVector.broadcast(S, a[ai + 5 * k]);
            x50 = b0.fma(v, x50);
            x51 = b1.fma(v, x51);
            v = FloatVector.broadcast(S, a[ai + 6 * k]);
            x60 = b0.fma(v, x60);
            x61 = b1.fma(v, x61);
            v = FloatVector.broadcast(S, a[ai + 7 * k]);
            x70 = b0.fma(v, x70);
            x71 = b1.fma(v, x71);
            ai++;
            bi += n;
            if (++p == len && ++t < offs.length) {
                p = 0;
                ai = t * m * k + i * k + kb;
                bi = offs[t] + kb * n + j;
            }
        }
        x00.intoArray(c, c0);
        x01.intoArray(c, c0 + W);
        x10.intoArray(c, c0 + n);
        x11.intoArray(c, c0 + n + W);
        x20.intoArray(c, c0 + 2 * n);
        x21.intoArray(c, c0 + 2 * n + W);
        x30.intoArray(c, c0 + 3 * n);
        x31.intoArray(c, c0 + 3 * n + W);
        x40.intoArray(c, c0 + 4 * n);
        x41.intoArray(c, c0 + 4 * n + W);
        x50.intoArray(c, c0 + 5 * n);
        x51.intoArray(c, c0 + 5 * n + W);
        x60.intoArray(c, c0 + 6 * n);
        x61.intoArray(c, c0 + 6 * n + W);
        x70.intoArray(c, c0 + 7 * n);
        x71.intoArray(c, c0 + 7 * n + W);
    }

    private static void tile4x2Taps(int i, int j, int n, int k, int m, float[] a, int[] offs, float[] b,
                                    float[] c, int kb, int kEnd) {
        int c0 = i * n + j, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
        FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + W);
        FloatVector x10 = FloatVector.fromArray(S, c, c1), x11 = FloatVector.fromArray(S, c, c1 + W);
        FloatVector x20 = FloatVector.fromArray(S, c, c2), x21 = FloatVector.fromArray(S, c, c2 + W);
        FloatVector x30 = FloatVector.fromArray(S, c, c3), x31 = FloatVector.fromArray(S, c, c3 + W);
        int len = kEnd - kb, steps = offs.length * len;
        int t = 0, p = 0;
        int ai = i * k + kb, bi = offs[0] + kb * n + j;
        for (int q = 0; q < steps; q++) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + W);
            FloatVector v = FloatVector.broadcast(S, a[ai]);
            x00 = b0.fma(v, x00);
            x01 = b1.fma(v, x01);
            v = FloatVector.broadcast(S, a[ai + k]);
            x10 = b0.fma(v, x10);
            x11 = b1.fma(v, x11);
            v = FloatVector.broadcast(S, a[ai + 2 * k]);
            x20 = b0.fma(v, x20);
            x21 = b1.fma(v, x21);
            v = FloatVector.broadcast(S, a[ai + 3 * k]);
            x30 = b0.fma(v, x30);
            x31 = b1.fma(v, x31);
            ai++;
            bi += n;
            if (++p == len && ++t < offs.length) {
                p = 0;
                ai = t * m * k + i * k + kb;
                bi = offs[t] + kb * n + j;
            }
        }
        x00.intoArray(c, c0);
        x01.intoArray(c, c0 + W);
        x10.intoArray(c, c1);
        x11.intoArray(c, c1 + W);
        x20.intoArray(c, c2);
        x21.intoArray(c, c2 + W);
        x30.intoArray(c, c3);
        x31.intoArray(c, c3 + W);
    }

    /** 8 rows x 2 vectors: 16 accumulators, so each pair of B loads feeds sixteen multiply-adds. */
    private static void tile8x2(int i, int j, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c,
                                int cOff, int kb, int kEnd) {
        int c0 = cOff + i * n + j;
        FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + W);
        FloatVector x10 = FloatVector.fromArray(S, c, c0 + n), x11 = FloatVector.fromArray(S, c, c0 + n + W);
        FloatVector x20 = FloatVector.fromArray(S, c, c0 + 2 * n), x21 = FloatVector.fromArray(S, c, c0 + 2 * n + W);
        FloatVector x30 = FloatVector.fromArray(S, c, c0 + 3 * n), x31 = FloatVector.fromArray(S, c, c0 + 3 * n + W);
        FloatVector x40 = FloatVector.fromArray(S, c, c0 + 4 * n), x41 = FloatVector.fromArray(S, c, c0 + 4 * n + W);
        FloatVector x50 = FloatVector.fromArray(S, c, c0 + 5 * n), x51 = FloatVector.fromArray(S, c, c0 + 5 * n + W);
        FloatVector x60 = FloatVector.fromArray(S, c, c0 + 6 * n), x61 = FloatVector.fromArray(S, c, c0 + 6 * n + W);
        FloatVector x70 = FloatVector.fromArray(S, c, c0 + 7 * n), x71 = FloatVector.fromArray(S, c, c0 + 7 * n + W);
        int a0 = aOff + i * k;
        for (int p = kb; p < kEnd; p++) {
            int bi = bOff + p * n + j;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + W);
            FloatVector v = FloatVector.broadcast(S, a[a0 + p]);
            x00 = b0.fma(v, x00);
            x01 = b1.fma(v, x01);
            v = FloatVector.broadcast(S, a[a0 + k + p]);
            x10 = b0.fma(v, x10);
            x11 = b1.fma(v, x11);
            v = FloatVector.broadcast(S, a[a0 + 2 * k + p]);
            x20 = b0.fma(v, x20);
            x21 = b1.fma(v, x21);
            v = FloatVector.broadcast(S, a[a0 + 3 * k + p]);
            x30 = b0.fma(v, x30);
            x31 = b1.fma(v, x31);
            v = FloatVector.broadcast(S, a[a0 + 4 * k + p]);
            x40 = b0.fma(v, x40);
            x41 = b1.fma(v, x41);
            v = FloatVector.broadcast(S, a[a0 + 5 * k + p]);
            x50 = b0.fma(v, x50);
            x51 = b1.fma(v, x51);
            v = FloatVector.broadcast(S, a[a0 + 6 * k + p]);
            x60 = b0.fma(v, x60);
            x61 = b1.fma(v, x61);
            v = FloatVector.broadcast(S, a[a0 + 7 * k + p]);
            x70 = b0.fma(v, x70);
            x71 = b1.fma(v, x71);
        }
        x00.intoArray(c, c0);
        x01.intoArray(c, c0 + W);
        x10.intoArray(c, c0 + n);
        x11.intoArray(c, c0 + n + W);
        x20.intoArray(c, c0 + 2 * n);
        x21.intoArray(c, c0 + 2 * n + W);
        x30.intoArray(c, c0 + 3 * n);
        x31.intoArray(c, c0 + 3 * n + W);
        x40.intoArray(c, c0 + 4 * n);
        x41.intoArray(c, c0 + 4 * n + W);
        x50.intoArray(c, c0 + 5 * n);
        x51.intoArray(c, c0 + 5 * n + W);
        x60.intoArray(c, c0 + 6 * n);
        x61.intoArray(c, c0 + 6 * n + W);
        x70.intoArray(c, c0 + 7 * n);
        x71.intoArray(c, c0 + 7 * n + W);
    }

    private static void tile4x2(int i, int j, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c,
                                int cOff, int kb, int kEnd) {
        int c0 = cOff + i * n + j, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
        FloatVector x00 = FloatVector.fromArray(S, c, c0), x01 = FloatVector.fromArray(S, c, c0 + W);
        FloatVector x10 = FloatVector.fromArray(S, c, c1), x11 = FloatVector.fromArray(S, c, c1 + W);
        FloatVector x20 = FloatVector.fromArray(S, c, c2), x21 = FloatVector.fromArray(S, c, c2 + W);
        FloatVector x30 = FloatVector.fromArray(S, c, c3), x31 = FloatVector.fromArray(S, c, c3 + W);
        int a0 = aOff + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        for (int p = kb; p < kEnd; p++) {
            int bi = bOff + p * n + j;
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + W);
            FloatVector v = FloatVector.broadcast(S, a[a0 + p]);
            x00 = b0.fma(v, x00);
            x01 = b1.fma(v, x01);
            v = FloatVector.broadcast(S, a[a1 + p]);
            x10 = b0.fma(v, x10);
            x11 = b1.fma(v, x11);
            v = FloatVector.broadcast(S, a[a2 + p]);
            x20 = b0.fma(v, x20);
            x21 = b1.fma(v, x21);
            v = FloatVector.broadcast(S, a[a3 + p]);
            x30 = b0.fma(v, x30);
            x31 = b1.fma(v, x31);
        }
        x00.intoArray(c, c0);
        x01.intoArray(c, c0 + W);
        x10.intoArray(c, c1);
        x11.intoArray(c, c1 + W);
        x20.intoArray(c, c2);
        x21.intoArray(c, c2 + W);
        x30.intoArray(c, c3);
        x31.intoArray(c, c3 + W);
    }

    private static void tile4x1(int i, int j, int n, int k, float[] a, int aOff, float[] b,
                                int bOff, float[] c, int cOff, int kb, int kEnd) {
        int c0 = cOff + i * n + j, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
        FloatVector x0 = FloatVector.fromArray(S, c, c0);
        FloatVector x1 = FloatVector.fromArray(S, c, c1);
        FloatVector x2 = FloatVector.fromArray(S, c, c2);
        FloatVector x3 = FloatVector.fromArray(S, c, c3);
        int a0 = aOff + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        for (int p = kb; p < kEnd; p++) {
            FloatVector bv = FloatVector.fromArray(S, b, bOff + p * n + j);
            x0 = bv.fma(FloatVector.broadcast(S, a[a0 + p]), x0);
            x1 = bv.fma(FloatVector.broadcast(S, a[a1 + p]), x1);
            x2 = bv.fma(FloatVector.broadcast(S, a[a2 + p]), x2);
            x3 = bv.fma(FloatVector.broadcast(S, a[a3 + p]), x3);
        }
        x0.intoArray(c, c0);
        x1.intoArray(c, c1);
        x2.intoArray(c, c2);
        x3.intoArray(c, c3);
    }
}
