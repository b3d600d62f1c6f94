package org.polaris.workbench.engine.snn;

/**
 * Reads a class out of an output population's spikes over a window: {@code rate} (most spikes), {@code first}
 * (earliest first spike), {@code weighted} (spikes weighted by {@code exp(-t / tau)}, early spikes count more).
 * Ties go to the lower index; with no output spike at all the result is -1.
 */
public final class Decoder {

    public enum Kind { RATE, FIRST, WEIGHTED }

    private final Kind kind;
    private final double tau;
    private final double[] score;
    private final int[] first;

    public Decoder(Kind kind, int outputs, double tauSteps) {
        this.kind = kind;
        this.tau = tauSteps;
        this.score = new double[outputs];
        this.first = new int[outputs];
        reset();
    }

    public void reset() {
        java.util.Arrays.fill(score, 0);
        java.util.Arrays.fill(first, Integer.MAX_VALUE);
    }

    /** Records the output population's spikes of step {@code t}. */
    public void observe(int t, Population out) {
        int[] s = out.spikes();
        for (int q = 0; q < out.spikeCount(); q++) {
            int i = s[q];
            first[i] = Math.min(first[i], t);
            score[i] += kind == Kind.WEIGHTED ? Math.exp(-t / tau) : 1;
        }
    }

    public int decision() {
        int best = -1;
        for (int i = 0; i < score.length; i++) {
            boolean fired = first[i] != Integer.MAX_VALUE;
            if (!fired) continue;
            if (best < 0) {
                best = i;
                continue;
            }
            boolean better = kind == Kind.FIRST ? first[i] < first[best] : score[i] > score[best];
            if (better) best = i;
        }
        return best;
    }
}
