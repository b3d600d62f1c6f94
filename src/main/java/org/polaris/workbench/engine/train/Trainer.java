package org.polaris.workbench.engine.train;

import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.CancelledException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Mini-batch training of a {@link TrainableModel}: seeded shuffling per epoch, a learning-rate schedule over all
 * steps, evaluation after each epoch. The same seed gives the same weights, whatever the pool's thread count (each
 * GEMM output is summed by one thread in a fixed order).
 */
public final class Trainer {

    public enum Schedule {
        CONSTANT, COSINE, STEP;

        public static Schedule parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown schedule '" + s + "': use cosine, step or constant");
            }
        }
    }

    /** How to train. */
    public record Options(int epochs, int batch, double lr, Optimizer.Kind optimizer, double momentum, double weightDecay,
                          Schedule schedule, long seed) {
        public Options {
            if (epochs < 1 || batch < 1 || !(lr > 0)) throw new IllegalArgumentException("epochs, batch and lr must be positive");
        }
    }

    /** One epoch's record: mean loss, accuracies, each layer's sparsity, wall time. */
    public record Epoch(int epoch, double loss, double trainAccuracy, double evalAccuracy, Map<String, Double> sparsity,
                        long millis) {
    }

    /** Told of every finished epoch (and may stop nothing: cancel through the token). */
    public interface Listener {
        void epoch(Epoch e);

        /** After each optimizer step, with the global step and the batch loss. */
        default void step(long step, double loss) {
        }
    }

    private Trainer() {
    }

    /** Learning rate at {@code step} of {@code total}. */
    static double rate(Options o, long step, long total) {
        return switch (o.schedule()) {
            case CONSTANT -> o.lr();
            case COSINE -> o.lr() * 0.5 * (1 + Math.cos(Math.PI * step / Math.max(1, total)));
            case STEP -> o.lr() * Math.pow(0.1, Math.floor(3.0 * step / Math.max(1, total)));
        };
    }

    public static List<Epoch> train(TrainableModel m, TrainData train, TrainData eval, Options o, Listener listener,
                                    CancellationToken cancel) {
        return train(m, train, eval, o, null, listener, cancel);
    }

    /** As {@link #train(TrainableModel, TrainData, TrainData, Options, Listener, CancellationToken)}, sparsifying as it goes. */
    public static List<Epoch> train(TrainableModel m, TrainData train, TrainData eval, Options o, SparseTraining sparse,
                                    Listener listener, CancellationToken cancel) {
        Optimizer opt = new Optimizer(o.optimizer(), o.momentum(), o.weightDecay());
        int n = train.count();
        int per = train.perSample();
        long stepsPerEpoch = (n + o.batch() - 1) / o.batch();
        long total = stepsPerEpoch * o.epochs();
        long step = 0;
        List<Param> params = m.params();
        java.util.ArrayList<Epoch> out = new java.util.ArrayList<>();
        for (int e = 1; e <= o.epochs(); e++) {
            long t0 = System.nanoTime();
            int[] order = permutation(n, new SplittableRandom(o.seed() * 1_000_003L + e));
            double lossSum = 0;
            long hits = 0;
            for (int start = 0; start < n; start += o.batch()) {
                if (cancel.isCancelled()) throw new CancelledException();
                int b = Math.min(o.batch(), n - start);
                float[] x = new float[b * per];
                int[] y = new int[b];
                for (int i = 0; i < b; i++) {
                    int s = order[start + i];
                    System.arraycopy(train.x(), s * per, x, i * per, per);
                    y[i] = train.labels()[s];
                }
                m.zeroGrad();
                int[] correct = new int[1];
                double loss = m.lossAndDenseGradients(x, y, b, correct);
                if (sparse != null) sparse.onDenseGradients(step + 1, total);
                m.maskGradients();
                opt.step(params, rate(o, step, total));
                step++;
                if (sparse != null) sparse.afterStep(step, total);
                lossSum += loss * b;
                hits += correct[0];
                listener.step(step, loss);
            }
            Map<String, Double> sparsity = new LinkedHashMap<>();
            for (Param p : params) {
                if (p.shape.length > 1) sparsity.put(p.name, p.sparsity());
            }
            double evalAcc = eval == null ? Double.NaN : accuracy(m, eval, 256);
            Epoch ep = new Epoch(e, lossSum / n, (double) hits / n, evalAcc, sparsity, (System.nanoTime() - t0) / 1_000_000);
            out.add(ep);
            listener.epoch(ep);
        }
        return out;
    }

    /** Share of samples whose largest score is their label. */
    public static double accuracy(TrainableModel m, TrainData d, int batch) {
        long hits = 0;
        int per = d.perSample();
        int classes = m.classes();
        for (int start = 0; start < d.count(); start += batch) {
            int b = Math.min(batch, d.count() - start);
            float[] x = java.util.Arrays.copyOfRange(d.x(), start * per, (start + b) * per);
            float[] logits = m.forward(x, b, false);
            for (int i = 0; i < b; i++) {
                int arg = 0;
                for (int c = 1; c < classes; c++) {
                    if (logits[i * classes + c] > logits[i * classes + arg]) arg = c;
                }
                if (arg == d.labels()[start + i]) hits++;
            }
        }
        return d.count() == 0 ? Double.NaN : (double) hits / d.count();
    }

    private static int[] permutation(int n, SplittableRandom r) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
