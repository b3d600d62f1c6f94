package org.polaris.workbench.ui.train;

import org.polaris.workbench.engine.train.SparseTraining;
import org.polaris.workbench.engine.train.Trainer;
import org.polaris.workbench.engine.train.TrainingLog;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the Train pane draws, computed from a {@link TrainingLog.Snapshot}: loss and batch accuracy as trailing
 * means (over a twentieth of the steps so far) at most {@link #POINTS} points, evaluation accuracy per epoch, each layer's sparsity, and the mask
 * churn of one layer (drops and regrowths per update and group of output units).
 */
public record TrainCurves(double[] steps, double[] loss, double[] accuracy, double[] epochSteps, double[] evalAccuracy,
                          List<LayerRow> layers, long lastStep, long totalSteps) {

    /** Most points a curve has (the ring holds more steps; each point averages its share). */
    public static final int POINTS = 600;

    /** One layer's sparsity now (after the last epoch or mask update) and its target. */
    public record LayerRow(String layer, double sparsity, double target, int updates, long churned) {
    }

    /** Drops and regrowths of one layer: {@code dropped[u][g]} weights of group {@code g} at update {@code u}. */
    public record Churn(String layer, long[] steps, int[][] dropped, int[][] regrown, int max) {
        public int updates() {
            return steps.length;
        }

        public int groups() {
            return dropped.length == 0 ? 0 : dropped[0].length;
        }
    }

    public static final TrainCurves EMPTY = new TrainCurves(new double[0], new double[0], new double[0], new double[0],
            new double[0], List.of(), 0, 0);

    static TrainCurves of(TrainingLog.Snapshot s) {
        Map<String, Double> targets = s.started() == null ? Map.of() : s.started().targets();
        long stepsPerEpoch = s.started() == null ? 0 : s.started().stepsPerEpoch();
        int n = s.steps().length;
        // a trailing mean over a twentieth of the run so far (at least one step, at most 200): one batch is noisy
        int window = Math.max(1, Math.min(200, n / 20));
        float[] l = trailingMean(s.loss(), window);
        float[] a = trailingMean(s.accuracy(), window);
        int per = Math.max(1, (n + POINTS - 1) / POINTS);
        int points = (n + per - 1) / per;
        double[] x = new double[points];
        double[] lp = new double[points];
        double[] ap = new double[points];
        for (int p = 0; p < points; p++) {
            int i = Math.min(n - 1, (p + 1) * per - 1);
            x[p] = s.steps()[i];
            lp[p] = l[i];
            ap[p] = a[i];
        }
        List<Trainer.Epoch> epochs = s.epochs();
        double[] ex = new double[epochs.size()];
        double[] ea = new double[epochs.size()];
        for (int i = 0; i < epochs.size(); i++) {
            ex[i] = epochs.get(i).epoch() * (double) stepsPerEpoch;
            ea[i] = epochs.get(i).evalAccuracy();
        }
        return new TrainCurves(x, lp, ap, ex, ea, layers(s, targets), s.lastStep(), s.totalSteps());
    }

    private static float[] trailingMean(float[] v, int window) {
        float[] out = new float[v.length];
        double sum = 0;
        for (int i = 0; i < v.length; i++) {
            sum += v[i];
            if (i >= window) sum -= v[i - window];
            out[i] = (float) (sum / Math.min(i + 1, window));
        }
        return out;
    }

    private static List<LayerRow> layers(TrainingLog.Snapshot s, Map<String, Double> targets) {
        Map<String, Double> now = new LinkedHashMap<>();
        targets.keySet().forEach(k -> now.put(k, 0.0));
        if (!s.epochs().isEmpty()) now.putAll(s.epochs().get(s.epochs().size() - 1).sparsity());
        Map<String, int[]> counts = new LinkedHashMap<>();
        Map<String, Long> churn = new LinkedHashMap<>();
        for (SparseTraining.MaskUpdate u : s.updates()) {
            now.put(u.layer(), u.sparsity()); // newer than the last epoch's record while an epoch runs
            counts.computeIfAbsent(u.layer(), k -> new int[1])[0]++;
            churn.merge(u.layer(), (long) u.dropped() + u.regrown(), Long::sum);
        }
        List<LayerRow> rows = new ArrayList<>();
        for (Map.Entry<String, Double> e : now.entrySet()) {
            rows.add(new LayerRow(e.getKey(), e.getValue(), targets.getOrDefault(e.getKey(), Double.NaN),
                    counts.getOrDefault(e.getKey(), new int[1])[0], churn.getOrDefault(e.getKey(), 0L)));
        }
        return rows;
    }

    /** The churn of {@code layer} over all updates in the snapshot, or null when it has none. */
    static Churn churn(TrainingLog.Snapshot s, String layer) {
        List<SparseTraining.MaskUpdate> mine = s.updates().stream().filter(u -> u.layer().equals(layer)).toList();
        if (mine.isEmpty()) return null;
        long[] steps = new long[mine.size()];
        int[][] d = new int[mine.size()][];
        int[][] r = new int[mine.size()][];
        int max = 0;
        for (int i = 0; i < mine.size(); i++) {
            SparseTraining.MaskUpdate u = mine.get(i);
            steps[i] = u.step();
            d[i] = u.droppedByGroup().clone();
            r[i] = u.regrownByGroup().clone();
            for (int g = 0; g < d[i].length; g++) max = Math.max(max, Math.max(d[i][g], r[i][g]));
        }
        return new Churn(layer, steps, d, r, max);
    }
}
