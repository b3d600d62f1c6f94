package org.polaris.workbench.engine.snn;

import java.util.Random;

/**
 * Turns values in [0, 1] (pixel intensities, normalized features) into input spikes. The input population is an
 * integrate-and-fire layer with threshold 1 (see {@link Network#input}); an encoder injects 1 for every spike.
 */
public interface Encoder {

    /** Injects this step's spikes for {@code values} into {@code input}. */
    void encode(int step, float[] values, Population input);

    /** Starts a new sample (phases, first-spike times). */
    default void reset() {
    }

    /** Poisson: a spike with probability {@code value * maxRate * dt} each step, independent across steps. */
    static Encoder poisson(double maxRateHz, double dtMs, long seed) {
        Random r = new Random(seed);
        double scale = maxRateHz * dtMs / 1000.0;
        return (step, values, input) -> {
            for (int i = 0; i < values.length; i++) {
                if (r.nextDouble() < values[i] * scale) input.inject(i, 1f);
            }
        };
    }

    /** Constant rate: deterministic, a spike whenever the accumulated phase passes 1 ({@code value} spikes per step). */
    static Encoder constantRate() {
        return new Encoder() {
            private float[] phase = new float[0];

            @Override
            public void encode(int step, float[] values, Population input) {
                if (phase.length != values.length) phase = new float[values.length];
                for (int i = 0; i < values.length; i++) {
                    phase[i] += values[i];
                    if (phase[i] >= 1f) {
                        phase[i] -= 1f;
                        input.inject(i, 1f);
                    }
                }
            }

            @Override
            public void reset() {
                java.util.Arrays.fill(phase, 0f);
            }
        };
    }

    /** Latency (time to first spike): one spike at step {@code round((1 - value) * (window - 1))}; zeros never fire. */
    static Encoder latency(int window) {
        return (step, values, input) -> {
            for (int i = 0; i < values.length; i++) {
                if (values[i] > 0 && step == Math.round((1 - values[i]) * (window - 1))) input.inject(i, 1f);
            }
        };
    }

    static Encoder parse(String name, long seed) {
        return switch (name) {
            case "poisson" -> poisson(1000, 1, seed);
            case "rate", "constant" -> constantRate();
            case "latency" -> latency(100);
            default -> throw new IllegalArgumentException("unknown encoding '" + name + "': use poisson, rate or latency");
        };
    }
}
