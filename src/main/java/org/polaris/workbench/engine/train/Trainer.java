package org.polaris.workbench.engine.train;

import org.polaris.workbench.engine.job.CancellationToken;

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

    /** One optimizer step: the global step of all, the batch's loss and accuracy, the learning rate used. */
    public record Step(long step, long total, double loss, double accuracy, double lr) {
    }

    /** Told of every step, mask update and finished epoch (stop through the {@link TrainControl}). */
    public interface Listener {
        void epoch(Epoch e);

        default void step(Step s) {
        }

        /** The mask updates (RigL drops and regrowths, GMP prunes) made by the step just taken. */
        default void maskUpdates(List<SparseTraining.MaskUpdate> updates) {
        }
    }

    /** Where a resumed run starts: epochs already done (their records) and the optimizer's step count. */
    public record Resume(int epochsDone, long optimizerStep, List<Epoch> epochs) {
        public static final Resume START = new Resume(0, 0, List.of());

        public Resume {
            epochs = List.copyOf(epochs);
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

    /** Steps of one epoch. */
    public static long stepsPerEpoch(int samples, Options o) {
        return (samples + o.batch() - 1) / o.batch();
    }

    public static List<Epoch> train(TrainableModel m, TrainData train, TrainData eval, Options o, Listener listener,
                                    CancellationToken cancel) {
        return train(m, train, eval, o, null, listener, cancel);
    }

    /** As {@link #train(TrainableModel, TrainData, TrainData, Options, Listener, CancellationToken)}, sparsifying as it goes. */
    public static List<Epoch> train(TrainableModel m, TrainData train, TrainData eval, Options o, SparseTraining sparse,
                                    Listener listener, CancellationToken cancel) {
        return train(m, train, eval, o, sparse, optimizer(o), Resume.START, listener, new TrainControl(cancel));
    }

    /** The optimizer the options ask for. */
    public static Optimizer optimizer(Options o) {
        return new Optimizer(o.optimizer(), o.momentum(), o.weightDecay());
    }

    /** Samples quantization-aware training calibrates on, as many as {@code quantize} uses by default. */
    public static final int QAT_CALIBRATION_SAMPLES = 200;

    /**
     * Trains from {@code from} (a checkpoint's epochs, or the start) to {@code o.epochs()}. The shuffle and every
     * random draw are seeded per epoch, so a run resumed at an epoch boundary gives the same weights as one that was
     * never stopped. Under QAT the activation ranges are re-calibrated before each epoch.
     */
    public static List<Epoch> train(TrainableModel m, TrainData train, TrainData eval, Options o, SparseTraining sparse,
                                    Optimizer opt, Resume from, Listener listener, TrainControl control) {
        int n = train.count();
        int per = train.perSample();
        long stepsPerEpoch = stepsPerEpoch(n, o);
        long total = stepsPerEpoch * o.epochs();
        long step = stepsPerEpoch * from.epochsDone();
        opt.setStepCount(from.optimizerStep());
        List<Param> params = m.params();
        java.util.ArrayList<Epoch> out = new java.util.ArrayList<>(from.epochs());
        int[] y = new int[o.batch()];
        float[] x = new float[o.batch() * per];
        for (int e = from.epochsDone() + 1; e <= o.epochs(); e++) {
            long t0 = System.nanoTime();
            int[] order = permutation(n, new SplittableRandom(o.seed() * 1_000_003L + e));
            m.startEpoch(e);
            if (m.qat() != null) m.calibrateQat(train, QAT_CALIBRATION_SAMPLES);
            double lossSum = 0;
            long hits = 0;
            for (int start = 0; start < n; start += o.batch()) {
                control.checkpoint();
                int b = Math.min(o.batch(), n - start);
                if (b != o.batch()) {
                    x = new float[b * per];
                    y = new int[b];
                }
                for (int i = 0; i < b; i++) {
                    int s = order[start + i];
                    System.arraycopy(train.x(), s * per, x, i * per, per);
                    y[i] = train.labels()[s];
                }
                m.zeroGrad();
                int[] correct = new int[1];
                double loss = m.lossAndDenseGradients(x, y, b, correct);
                int before = sparse == null ? 0 : sparse.updateCount();
                if (sparse != null) sparse.onDenseGradients(step + 1, total);
                m.maskGradients();
                double lr = rate(o, step, total);
                opt.step(params, lr);
                step++;
                if (sparse != null) {
                    sparse.afterStep(step, total);
                    if (sparse.updateCount() > before) listener.maskUpdates(sparse.updatesSince(before));
                }
                lossSum += loss * b;
                hits += correct[0];
                listener.step(new Step(step, total, loss, (double) correct[0] / b, lr));
            }
            if (x.length != o.batch() * per) {
                x = new float[o.batch() * per];
                y = new int[o.batch()];
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
