package org.polaris.workbench.engine.snn;

/**
 * Membrane dynamics of a population. LIF: between spikes {@code v} decays toward {@code vRest} exactly,
 * {@code v(t+dt) = vRest + (v(t) - vRest) * exp(-dt / tauMem) + input}, where input is the voltage increment the step's
 * synaptic events deliver; at or above {@code vThresh} the neuron spikes, is set to {@code vReset} (or, with
 * {@code subtractReset}, loses {@code vThresh}) and ignores input for exactly {@code refractorySteps} steps. IF is the
 * same without leak ({@code tauMem} infinite), the neuron ANN-to-SNN conversion uses.
 *
 * @param tauMem membrane time constant in ms ({@code Double.POSITIVE_INFINITY} for IF)
 * @param dt time step in ms
 */
public record NeuronParams(double tauMem, double vRest, double vReset, double vThresh, int refractorySteps, double dt,
                           boolean subtractReset) {

    public NeuronParams {
        if (!(dt > 0) || !(tauMem > 0) || refractorySteps < 0 || !(vThresh > vReset) && !subtractReset) {
            throw new IllegalArgumentException("need dt > 0, tau_mem > 0, refractory >= 0 and v_thresh > v_reset");
        }
    }

    /** Typical cortical LIF: tau 20 ms, rest -65 mV, reset -70 mV, threshold -50 mV, 2 ms refractory, dt 1 ms. */
    public static NeuronParams lif() {
        return new NeuronParams(20, -65, -70, -50, 2, 1, false);
    }

    /** Integrate-and-fire with reset by subtraction and threshold 1, for converted ANNs. */
    public static NeuronParams integrateAndFire() {
        return new NeuronParams(Double.POSITIVE_INFINITY, 0, 0, 1, 0, 1, true);
    }

    /** Per-step decay factor {@code exp(-dt / tau)} (1 for IF). */
    public double decay() {
        return Double.isInfinite(tauMem) ? 1.0 : Math.exp(-dt / tauMem);
    }

    public NeuronParams withTau(double tau) {
        return new NeuronParams(tau, vRest, vReset, vThresh, refractorySteps, dt, subtractReset);
    }

    public NeuronParams withThreshold(double t) {
        return new NeuronParams(tauMem, vRest, vReset, t, refractorySteps, dt, subtractReset);
    }
}
