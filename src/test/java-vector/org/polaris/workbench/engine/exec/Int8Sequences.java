package org.polaris.workbench.engine.exec;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The integer sequences the Vector API (and HotSpot's auto-vectorizer) can express for an int8 product
 * C[M, N] = A[M, K] x B[K, N] of zero-point-shifted codes, exact in int32, for the JMH comparison in
 * {@code KernelJmh} that shows why the engine runs quantized layers through its float GEMM instead. Each is the
 * best blocking found for its sequence (C tile in registers while K streams); M a multiple of 8, N of the widest
 * vector. Benchmark code, compiled with the incubator module (src/test/java-vector), never used by the engine.
 */
public final class Int8Sequences {

    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> SH = ShortVector.SPECIES_PREFERRED;
    private static final int W = I.length();

    private Int8Sequences() {
    }

    /** Codes held as int: 8 rows x 1 vector of C, an {@code IntVector.mul} and add per row and K step. */
    public static void intVector(int m, int n, int k, int[] a, int[] b, int[] c) {
        for (int i = 0; i < m; i += 8) {
            for (int j = 0; j < n; j += W) {
                IntVector c0 = IntVector.zero(I), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
                int a0 = i * k;
                for (int p = 0; p < k; p++) {
                    IntVector bv = IntVector.fromArray(I, b, p * n + j);
                    c0 = c0.add(bv.mul(a[a0 + p]));
                    c1 = c1.add(bv.mul(a[a0 + k + p]));
                    c2 = c2.add(bv.mul(a[a0 + 2 * k + p]));
                    c3 = c3.add(bv.mul(a[a0 + 3 * k + p]));
                    c4 = c4.add(bv.mul(a[a0 + 4 * k + p]));
                    c5 = c5.add(bv.mul(a[a0 + 5 * k + p]));
                    c6 = c6.add(bv.mul(a[a0 + 6 * k + p]));
                    c7 = c7.add(bv.mul(a[a0 + 7 * k + p]));
                }
                int o = i * n + j;
                c0.intoArray(c, o);
                c1.intoArray(c, o + n);
                c2.intoArray(c, o + 2 * n);
                c3.intoArray(c, o + 3 * n);
                c4.intoArray(c, o + 4 * n);
                c5.intoArray(c, o + 5 * n);
                c6.intoArray(c, o + 6 * n);
                c7.intoArray(c, o + 7 * n);
            }
        }
    }

    /**
     * Codes held as short: one {@code ShortVector.mul} gives twice the lanes (every product of a uint8 and an int8
     * code fits 16 bits), but each product vector must be widened to two int vectors (S2I) before it is added.
     */
    public static void shortVector(int m, int n, int k, short[] a, short[] b, int[] c) {
        int ws = SH.length();
        for (int i = 0; i < m; i += 2) {
            for (int j = 0; j < n; j += ws) {
                IntVector c0 = IntVector.zero(I), c1 = c0, c2 = c0, c3 = c0;
                for (int p = 0; p < k; p++) {
                    ShortVector bv = ShortVector.fromArray(SH, b, p * n + j);
                    ShortVector p0 = bv.mul(a[i * k + p]);
                    ShortVector p1 = bv.mul(a[(i + 1) * k + p]);
                    c0 = c0.add((IntVector) p0.convertShape(VectorOperators.S2I, I, 0));
                    c1 = c1.add((IntVector) p0.convertShape(VectorOperators.S2I, I, 1));
                    c2 = c2.add((IntVector) p1.convertShape(VectorOperators.S2I, I, 0));
                    c3 = c3.add((IntVector) p1.convertShape(VectorOperators.S2I, I, 1));
                }
                c0.intoArray(c, i * n + j);
                c1.intoArray(c, i * n + j + W);
                c2.intoArray(c, (i + 1) * n + j);
                c3.intoArray(c, (i + 1) * n + j + W);
            }
        }
    }

    /**
     * HotSpot's {@code MulAddS2I} idiom, {@code c[j] += x[2j] * y[2j] + x[2j + 1] * y[2j + 1]} on short arrays, which
     * C2 may compile to {@code vpmaddwd} (or {@code vpdpwssd} with VNNI) only when both operands are arrays walked
     * together: B is stored as interleaved pairs of rows and each pair of A codes is first expanded along the row.
     */
    public static void mulAddIdiom(int m, int n, int k, short[] a, short[] bPairs, short[] expanded, int[] c) {
        java.util.Arrays.fill(c, 0);
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p += 2) {
                short a0 = a[i * k + p];
                short a1 = a[i * k + p + 1];
                for (int j = 0; j < n; j++) {
                    expanded[2 * j] = a0;
                    expanded[2 * j + 1] = a1;
                }
                row(c, i * n, expanded, bPairs, p * n, n);
            }
        }
    }

    private static void row(int[] c, int cOff, short[] x, short[] y, int yOff, int n) {
        for (int j = 0; j < n; j++) {
            c[cOff + j] += x[2 * j] * y[yOff + 2 * j] + x[2 * j + 1] * y[yOff + 2 * j + 1];
        }
    }

    /** The lane counts these ran with, for the table. */
    public static String species() {
        return I.length() + " int / " + SH.length() + " short / " + FloatVector.SPECIES_PREFERRED.length() + " float lanes";
    }
}
