package org.polaris.workbench.engine.sparsity;

import java.util.List;
import java.util.Locale;

/**
 * Per-layer sparsities that together remove a global fraction of the weights.
 * <ul>
 *   <li>{@code uniform}: every layer loses the target fraction</li>
 *   <li>{@code erk}: Erdős–Rényi-Kernel, density proportional to (sum of dims) / (product of dims), so small layers
 *       (first and last) stay denser; layers that would exceed full density are kept dense</li>
 *   <li>{@code sensitivity}: greedy over a {@link SensitivityScan}: repeatedly take the next scanned level of the layer
 *       that loses the least accuracy per weight removed, until the target is reached</li>
 * </ul>
 */
public final class Allocation {

    public enum Strategy { UNIFORM, ERK, SENSITIVITY;

        public static Strategy parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown allocation '" + s + "': use uniform, erk or sensitivity");
            }
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private Allocation() {
    }

    public static double[] uniform(int layers, double target) {
        double[] s = new double[layers];
        java.util.Arrays.fill(s, target);
        return s;
    }

    /** ERK sparsities for weights of the given shapes, removing {@code target} of all their weights. */
    public static double[] erk(List<long[]> shapes, double target) {
        int n = shapes.size();
        double[] count = new double[n];
        double[] eps = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            long[] d = shapes.get(i);
            double prod = 1;
            double sum = 0;
            for (long x : d) {
                prod *= x;
                sum += x;
            }
            count[i] = prod;
            eps[i] = sum / prod;
            total += prod;
        }
        boolean[] dense = new boolean[n];
        double[] density = new double[n];
        for (int round = 0; round <= n; round++) {
            double keepBudget = (1 - target) * total;
            double weighted = 0;
            for (int i = 0; i < n; i++) {
                if (dense[i]) keepBudget -= count[i];
                else weighted += eps[i] * count[i];
            }
            double c = weighted == 0 ? 0 : keepBudget / weighted;
            boolean changed = false;
            for (int i = 0; i < n; i++) {
                density[i] = dense[i] ? 1 : c * eps[i];
                if (!dense[i] && density[i] > 1) {
                    dense[i] = true;
                    changed = true;
                }
            }
            if (!changed) break;
        }
        double[] s = new double[n];
        for (int i = 0; i < n; i++) s[i] = Math.min(0.999, Math.max(0, 1 - density[i]));
        return s;
    }

    /**
     * Greedy sensitivity allocation over scanned curves (each starting at sparsity 0). Returns per-layer sparsities in
     * curve order; the sum removed reaches {@code target} of all weights when the scanned levels allow it.
     */
    public static double[] sensitivity(SensitivityScan.Result scan, double target) {
        List<SensitivityScan.Curve> curves = scan.curves();
        int n = curves.size();
        int[] at = new int[n];
        double[] size = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            double p = 1;
            for (long d : curves.get(i).shape()) p *= d;
            size[i] = p;
            total += p;
        }
        double removed = 0;
        int last = -1;
        while (removed < target * total - 1e-9) {
            int best = -1;
            double bestCost = Double.MAX_VALUE;
            for (int i = 0; i < n; i++) {
                List<SensitivityScan.Point> pts = curves.get(i).points();
                if (at[i] + 1 >= pts.size()) continue;
                SensitivityScan.Point a = pts.get(at[i]);
                SensitivityScan.Point b = pts.get(at[i] + 1);
                double gain = (b.sparsity() - a.sparsity()) * size[i];
                // loss relative to the unpruned model, so a layer cannot hide a big drop behind an earlier one
                double loss = Math.max(0, pts.get(0).accuracy() - b.accuracy()) + 1e-6;
                double cost = loss / gain;
                if (cost < bestCost) {
                    bestCost = cost;
                    best = i;
                }
            }
            if (best < 0) break;
            List<SensitivityScan.Point> pts = curves.get(best).points();
            removed += (pts.get(at[best] + 1).sparsity() - pts.get(at[best]).sparsity()) * size[best];
            at[best]++;
            last = best;
        }
        double[] s = new double[n];
        for (int i = 0; i < n; i++) s[i] = curves.get(i).points().get(at[i]).sparsity();
        if (last >= 0 && removed > target * total) {
            // the last step overshot: take back the excess from that layer (between two scanned levels)
            s[last] = Math.max(0, s[last] - (removed - target * total) / size[last]);
        }
        return s;
    }
}
