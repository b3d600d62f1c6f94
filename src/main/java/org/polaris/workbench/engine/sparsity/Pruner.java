package org.polaris.workbench.engine.sparsity;

import java.util.Arrays;

/**
 * Zeroes weights of one matrix, seen as {@code rows} output channels of {@code cols} inputs each, row-major.
 * Every method removes an exact count (ties broken by position), so the sparsity asked for is the sparsity made.
 * Callers lay weights out as rows first ({@link #toRows}, {@link #fromRows}).
 */
public final class Pruner {

    private Pruner() {
    }

    /** A pruned copy of {@code w} ([rows, cols]); {@code sparsity} is ignored by {@code nm}. */
    public static float[] prune(float[] w, int rows, int cols, PruneMethod method, double sparsity) {
        if (sparsity < 0 || sparsity >= 1 || Double.isNaN(sparsity)) {
            throw new IllegalArgumentException("sparsity must be in [0, 1), got " + sparsity);
        }
        float[] out = w.clone();
        switch (method.kind()) {
            case MAGNITUDE -> zeroSmallest(out, Math.round(sparsity * out.length));
            case NM -> nm(out, rows, cols, method.n(), method.m());
            case CHANNEL -> blocks(out, rows, cols, 1, cols, sparsity);
            case BLOCK -> blocks(out, rows, cols, method.blockRows(), method.blockCols(), sparsity);
            default -> throw new IllegalStateException(method.toString());
        }
        return out;
    }

    /** Zeroes the {@code count} entries with the smallest |w|, earlier positions first among equals. */
    static void zeroSmallest(float[] w, long count) {
        if (count <= 0) {
            return;
        }
        float t = threshold(w, count);
        long left = count;
        for (int i = 0; i < w.length && left > 0; i++) {
            if (Math.abs(w[i]) < t) {
                w[i] = 0f;
                left--;
            }
        }
        for (int i = 0; i < w.length && left > 0; i++) {
            // when t > 0 the entries zeroed above are below t, so they are not counted twice
            if (Math.abs(w[i]) == t) {
                w[i] = 0f;
                left--;
            }
        }
    }

    /** The count-th smallest |w| (1-based): everything strictly below it goes, then ties up to the count. */
    static float threshold(float[] w, long count) {
        float[] a = new float[w.length];
        for (int i = 0; i < w.length; i++) a[i] = Math.abs(w[i]);
        Arrays.sort(a);
        return a[(int) Math.min(a.length, count) - 1];
    }

    /**
     * Global magnitude scope: the threshold over several tensors that removes {@code count} weights in all, i.e. the
     * {@code count}-th smallest |w| over all of them. Found by a two-pass radix select over the bits of |w|
     * (non-negative floats order like their bit patterns), so it needs 512 KiB of counters instead of a sorted copy
     * of every weight: a 256 MiB model no longer needs twice its size to prune. Same result as sorting
     * ({@link #threshold} is the reference its test checks it against).
     */
    public static float globalThreshold(float[][] tensors, long count) {
        long total = 0;
        for (float[] t : tensors) total += t.length;
        if (count <= 0) {
            return Float.NEGATIVE_INFINITY;
        }
        long rank = Math.min(count, total);
        long[] high = new long[1 << 16];
        for (float[] t : tensors) {
            for (float v : t) high[Float.floatToRawIntBits(Math.abs(v)) >>> 16]++;
        }
        int h = 0;
        while (rank > high[h]) {
            rank -= high[h++];
        }
        long[] low = new long[1 << 16];
        for (float[] t : tensors) {
            for (float v : t) {
                int bits = Float.floatToRawIntBits(Math.abs(v));
                if (bits >>> 16 == h) low[bits & 0xffff]++;
            }
        }
        int l = 0;
        while (rank > low[l]) {
            rank -= low[l++];
        }
        return Float.intBitsToFloat(h << 16 | l);
    }

    /** {@link #pruneBelow} on {@code w} itself, for callers that own the array. */
    public static float[] pruneBelowInPlace(float[] w, float threshold, long ties) {
        long left = ties;
        for (int i = 0; i < w.length; i++) {
            float a = Math.abs(w[i]);
            if (a < threshold) {
                w[i] = 0f;
            } else if (a == threshold && left > 0) {
                w[i] = 0f;
                left--;
            }
        }
        return w;
    }

    /** Below-threshold weights go; {@code ties} of them equal to the threshold go too, first positions first. */
    public static float[] pruneBelow(float[] w, float threshold, long ties) {
        return pruneBelowInPlace(w.clone(), threshold, ties);
    }

    private static void nm(float[] w, int rows, int cols, int n, int m) {
        int[] order = new int[m];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g + m <= cols; g += m) {
                int base = r * cols + g;
                // keep the n largest |w| of the group: zero the m - n smallest (selection by repeated minimum)
                for (int i = 0; i < m; i++) order[i] = i;
                for (int k = 0; k < m - n; k++) {
                    int min = k;
                    for (int j = k + 1; j < m; j++) {
                        if (Math.abs(w[base + order[j]]) < Math.abs(w[base + order[min]])) min = j;
                    }
                    int tmp = order[k];
                    order[k] = order[min];
                    order[min] = tmp;
                    w[base + order[k]] = 0f;
                }
            }
        }
    }

    /** Tiles of br x bc (edge tiles smaller) with the smallest L2 norm, round(sparsity * tiles) of them. */
    private static void blocks(float[] w, int rows, int cols, int br, int bc, double sparsity) {
        int tr = (rows + br - 1) / br, tc = (cols + bc - 1) / bc;
        double[] score = new double[tr * tc];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double v = w[r * cols + c];
                score[(r / br) * tc + c / bc] += v * v;
            }
        }
        long count = Math.round(sparsity * score.length);
        if (count <= 0) {
            return;
        }
        Integer[] idx = new Integer[score.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> a.equals(b) ? 0 : score[a] != score[b] ? Double.compare(score[a], score[b]) : Integer.compare(a, b));
        boolean[] drop = new boolean[score.length];
        for (int i = 0; i < count; i++) drop[idx[i]] = true;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                if (drop[(r / br) * tc + c / bc]) w[r * cols + c] = 0f;
            }
        }
    }

    /** Weights laid out with the output-channel axis first: {@code [out, everything else]}. */
    public static float[] toRows(float[] w, long[] dims, int outAxis) {
        if (outAxis == 0) {
            return w;
        }
        int[] rc = rowsCols(dims, outAxis);
        int rows = rc[0], cols = rc[1];
        // outAxis is the last axis of a 2-D [K, N] weight: transpose
        float[] t = new float[w.length];
        for (int k = 0; k < cols; k++) {
            for (int n = 0; n < rows; n++) {
                t[n * cols + k] = w[k * rows + n];
            }
        }
        return t;
    }

    public static float[] fromRows(float[] rowsFirst, long[] dims, int outAxis) {
        if (outAxis == 0) {
            return rowsFirst;
        }
        int[] rc = rowsCols(dims, outAxis);
        int rows = rc[0], cols = rc[1];
        float[] w = new float[rowsFirst.length];
        for (int n = 0; n < rows; n++) {
            for (int k = 0; k < cols; k++) {
                w[k * rows + n] = rowsFirst[n * cols + k];
            }
        }
        return w;
    }

    /** {rows, cols} of the rows-first view. Only axis 0, or the last axis of a 2-D weight, are output axes. */
    public static int[] rowsCols(long[] dims, int outAxis) {
        long total = 1;
        for (long d : dims) total *= d;
        if (outAxis != 0 && !(dims.length == 2 && outAxis == 1)) {
            throw new IllegalArgumentException("output axis " + outAxis + " of a rank-" + dims.length + " weight");
        }
        int rows = Math.toIntExact(dims[outAxis]);
        return new int[] {rows, Math.toIntExact(total / Math.max(1, rows))};
    }
}
