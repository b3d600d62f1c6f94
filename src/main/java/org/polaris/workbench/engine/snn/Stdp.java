package org.polaris.workbench.engine.snn;

/**
 * Trace-based pair STDP on one projection. Each step traces decay ({@code x_pre} with tau+, {@code y_post} with tau-);
 * a presynaptic spike depresses its synapses by {@code A- * f(w) * y_post}, a postsynaptic spike potentiates its
 * incoming synapses by {@code A+ * g(w) * x_pre}; then the spiking neurons' traces grow by 1 (so a pre and post spike
 * in the same step do not pair). Additive: f = g = 1; multiplicative: g = wMax - w, f = w - wMin. Weights stay in
 * [wMin, wMax]. For a pre spike at t and a post spike at t + d (d > 0) the weight changes by A+ exp(-d dt / tau+),
 * for the reverse order by -A- exp(-d dt / tau-).
 */
public final class Stdp {

    private final Projection proj;
    private volatile double aPlus;
    private volatile double aMinus;
    private final float decayPlus;
    private final float decayMinus;
    private final float wMin;
    private final float wMax;
    private final boolean multiplicative;
    private final float[] x;
    private final float[] y;
    /** Incoming synapses of each post neuron: CSC offsets into {@link #cscSyn}. */
    private final int[] cscPtr;
    private final int[] cscSyn;
    private final int[] cscPre;

    public Stdp(Projection proj, double aPlus, double aMinus, double tauPlus, double tauMinus, double wMin, double wMax,
                boolean multiplicative) {
        this.proj = proj;
        this.aPlus = aPlus;
        this.aMinus = aMinus;
        double dt = proj.post().params().dt();
        this.decayPlus = (float) Math.exp(-dt / tauPlus);
        this.decayMinus = (float) Math.exp(-dt / tauMinus);
        this.wMin = (float) wMin;
        this.wMax = (float) wMax;
        this.multiplicative = multiplicative;
        this.x = new float[proj.pre().size()];
        this.y = new float[proj.post().size()];
        int m = proj.post().size();
        cscPtr = new int[m + 1];
        for (int j : proj.idx) cscPtr[j + 1]++;
        for (int j = 0; j < m; j++) cscPtr[j + 1] += cscPtr[j];
        cscSyn = new int[proj.idx.length];
        cscPre = new int[proj.idx.length];
        int[] fill = cscPtr.clone();
        for (int i = 0; i < proj.pre().size(); i++) {
            for (int p = proj.ptr[i]; p < proj.ptr[i + 1]; p++) {
                int at = fill[proj.idx[p]]++;
                cscSyn[at] = p;
                cscPre[at] = i;
            }
        }
    }

    /** Changes the learning rates (takes effect from the next step). */
    public void setRates(double plus, double minus) {
        if (!(plus >= 0 && minus >= 0)) throw new IllegalArgumentException("STDP rates must be >= 0");
        this.aPlus = plus;
        this.aMinus = minus;
    }

    public double aPlus() {
        return aPlus;
    }

    public double aMinus() {
        return aMinus;
    }

    void update() {
        for (int i = 0; i < x.length; i++) x[i] *= decayPlus;
        for (int j = 0; j < y.length; j++) y[j] *= decayMinus;
        float[] w = proj.w;
        Population pre = proj.pre();
        Population post = proj.post();
        int[] ps = pre.spikes();
        for (int q = 0; q < pre.spikeCount(); q++) {
            int i = ps[q];
            for (int p = proj.ptr[i]; p < proj.ptr[i + 1]; p++) {
                float f = multiplicative ? w[p] - wMin : 1f;
                w[p] = clamp(w[p] - (float) (aMinus * f * y[proj.idx[p]]));
            }
        }
        int[] qs = post.spikes();
        for (int q = 0; q < post.spikeCount(); q++) {
            int j = qs[q];
            for (int k = cscPtr[j]; k < cscPtr[j + 1]; k++) {
                int p = cscSyn[k];
                float g = multiplicative ? wMax - w[p] : 1f;
                w[p] = clamp(w[p] + (float) (aPlus * g * x[cscPre[k]]));
            }
        }
        for (int q = 0; q < pre.spikeCount(); q++) x[ps[q]] += 1f;
        for (int q = 0; q < post.spikeCount(); q++) y[qs[q]] += 1f;
    }

    private float clamp(float v) {
        return Math.max(wMin, Math.min(wMax, v));
    }

    void resetTraces() {
        java.util.Arrays.fill(x, 0f);
        java.util.Arrays.fill(y, 0f);
    }
}
