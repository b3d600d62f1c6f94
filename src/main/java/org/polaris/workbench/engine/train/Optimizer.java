package org.polaris.workbench.engine.train;

import java.util.List;
import java.util.Locale;

/**
 * SGD with momentum and AdamW (decoupled weight decay), over a model's {@link Param}s. A masked weight stays zero
 * after every step, whatever its optimizer state.
 */
public final class Optimizer {

    public enum Kind {
        SGD, ADAMW;

        public static Kind parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "sgd" -> SGD;
                case "adamw", "adam" -> ADAMW;
                default -> throw new IllegalArgumentException("unknown optimizer '" + s + "': use sgd or adamw");
            };
        }
    }

    private final Kind kind;
    private final double momentum;
    private final double weightDecay;
    private final double beta1 = 0.9;
    private final double beta2 = 0.999;
    private final double eps = 1e-8;
    private long step;

    public Optimizer(Kind kind, double momentum, double weightDecay) {
        this.kind = kind;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
    }

    /** Steps taken so far (AdamW's bias correction reads it; a checkpoint keeps it). */
    public long stepCount() {
        return step;
    }

    void setStepCount(long steps) {
        step = steps;
    }

    /** One update of every parameter from its gradient at learning rate {@code lr}. */
    public void step(List<Param> params, double lr) {
        step++;
        for (Param p : params) {
            if (!p.trainable) continue;
            // decay weights, not biases (1-D parameters), as usual
            double decay = p.shape.length > 1 ? weightDecay : 0;
            if (p.m1 == null) p.m1 = new float[p.value.length];
            if (kind == Kind.SGD) {
                for (int i = 0; i < p.value.length; i++) {
                    double g = p.grad[i] + decay * p.value[i];
                    p.m1[i] = (float) (momentum * p.m1[i] + g);
                    p.value[i] -= (float) (lr * p.m1[i]);
                }
            } else {
                if (p.m2 == null) p.m2 = new float[p.value.length];
                double c1 = 1 - Math.pow(beta1, step);
                double c2 = 1 - Math.pow(beta2, step);
                for (int i = 0; i < p.value.length; i++) {
                    double g = p.grad[i];
                    p.m1[i] = (float) (beta1 * p.m1[i] + (1 - beta1) * g);
                    p.m2[i] = (float) (beta2 * p.m2[i] + (1 - beta2) * g * g);
                    double update = (p.m1[i] / c1) / (Math.sqrt(p.m2[i] / c2) + eps);
                    p.value[i] -= (float) (lr * (update + decay * p.value[i]));
                }
            }
            p.applyMask();
        }
    }

    /** Forgets the optimizer state of weight {@code i} of {@code p} (RigL resets regrown weights). */
    public static void resetState(Param p, int i) {
        if (p.m1 != null) p.m1[i] = 0;
        if (p.m2 != null) p.m2[i] = 0;
    }
}
