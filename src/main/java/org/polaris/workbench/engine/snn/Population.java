package org.polaris.workbench.engine.snn;

import java.util.Arrays;

/**
 * A population of neurons as structure-of-arrays state: membrane potentials and refractory counters. One
 * {@link #step} integrates the step's input and returns the ids of the neurons that spiked.
 */
public final class Population {

    public static final int MAX_NEURONS = 10_000_000;

    private final String name;
    private final int size;
    private NeuronParams params;
    private float decay;
    final float[] v;
    final int[] refractory;
    /** Input delivered this step (synaptic events plus any constant current), cleared after each step. */
    final float[] input;
    /** Constant input added every step (biases of a converted layer, a tonic drive), or null. */
    private float[] bias;
    private int[] spiked;
    private int spikedCount;
    private long totalSpikes;

    public Population(String name, int size, NeuronParams params) {
        if (size < 1 || size > MAX_NEURONS) {
            throw new IllegalArgumentException("population size must be 1.." + MAX_NEURONS + ", got " + size);
        }
        this.name = name;
        this.size = size;
        this.v = new float[size];
        this.refractory = new int[size];
        this.input = new float[size];
        this.spiked = new int[size];
        setParams(params);
        reset();
    }

    public void setParams(NeuronParams p) {
        this.params = p;
        this.decay = (float) p.decay();
    }

    public NeuronParams params() {
        return params;
    }

    public String name() {
        return name;
    }

    public int size() {
        return size;
    }

    public void reset() {
        Arrays.fill(v, (float) params.vRest());
        Arrays.fill(refractory, 0);
        Arrays.fill(input, 0f);
        spikedCount = 0;
        totalSpikes = 0;
        if (device != null) useDevice(device);
    }

    /** Membrane potential of neuron {@code i}. */
    public float v(int i) {
        return v[i];
    }

    /** Input added to every neuron every step ({@code null} for none); length must be the population size. */
    public void setBias(float[] b) {
        if (b != null && b.length != size) throw new IllegalArgumentException("bias needs " + size + " values");
        this.bias = b;
        if (device != null) useDevice(device); // the device copy follows
    }

    /** Adds {@code amount} to neuron {@code i}'s input for this step. */
    public void inject(int i, float amount) {
        input[i] += amount;
    }

    /** Neurons per chunk when a step is split over the engine pool. */
    static final int CHUNK = 16_384;
    private int[][] chunkSpikes;
    private int[] chunkCounts;

    /**
     * As {@link #step()}, the neurons split in chunks over {@code pool} (populations of at least two chunks); the
     * spikes come out in neuron order, the same as one thread gives.
     */
    public void step(org.polaris.workbench.engine.job.EnginePool pool) {
        int chunks = (size + CHUNK - 1) / CHUNK;
        if (pool == null || pool.threads() < 2 || chunks < 2 || device != null) {
            step();
            return;
        }
        if (chunkSpikes == null) {
            chunkSpikes = new int[chunks][CHUNK];
            chunkCounts = new int[chunks];
        }
        pool.parallelFor(chunks, 1, c -> chunkCounts[c] = integrate(c * CHUNK, Math.min(size, (c + 1) * CHUNK), chunkSpikes[c], 0));
        int total = 0;
        for (int c = 0; c < chunks; c++) total += chunkCounts[c];
        int at = 0;
        for (int c = 0; c < chunks; c++) {
            System.arraycopy(chunkSpikes[c], 0, spiked, at, chunkCounts[c]);
            at += chunkCounts[c];
        }
        spikedCount = total;
        totalSpikes += total;
    }

    /** Integrates neurons [from, to), writing spiking ids into {@code out} from {@code at}; returns how many. */
    private int integrate(int from, int to, int[] out, int at) {
        float rest = (float) params.vRest();
        float thresh = (float) params.vThresh();
        float resetV = (float) params.vReset();
        boolean subtract = params.subtractReset();
        int refr = params.refractorySteps();
        int n = 0;
        for (int i = from; i < to; i++) {
            if (refractory[i] > 0) {
                refractory[i]--;
                input[i] = 0f;
                continue;
            }
            float in = bias == null ? input[i] : input[i] + bias[i];
            float nv = rest + (v[i] - rest) * decay + in;
            input[i] = 0f;
            if (nv >= thresh) {
                nv = subtract ? nv - thresh : resetV;
                refractory[i] = refr;
                out[at + n++] = i;
            }
            v[i] = nv;
        }
        return n;
    }

    private org.polaris.workbench.engine.opencl.ClKernels device;
    private org.polaris.workbench.engine.opencl.ClKernels.LifState deviceState;
    private int[] flags;

    /**
     * Runs this population's updates on an OpenCL device from now on (the state moves there; {@code null} moves it
     * back). Each step uploads the input and reads back spikes and potentials, so it pays only for large populations
     * on a real GPU; results equal the CPU step bit for bit.
     */
    public void useDevice(org.polaris.workbench.engine.opencl.ClKernels k) {
        if (deviceState != null) {
            deviceState.close();
            deviceState = null;
        }
        device = k;
        if (k != null) {
            deviceState = k.lifState(v, refractory, bias);
            flags = new int[size];
        }
    }

    public boolean onDevice() {
        return device != null;
    }

    /** Integrates one step; the spikes are then {@link #spikes()} (valid until the next step). */
    public void step() {
        if (device != null) {
            device.lifFull(deviceState, input, decay, (float) params.vRest(), (float) params.vThresh(),
                    (float) params.vReset(), params.subtractReset(), params.refractorySteps(), flags, v);
            Arrays.fill(input, 0f);
            int n = 0;
            for (int i = 0; i < size; i++) {
                if (flags[i] != 0) spiked[n++] = i;
            }
            spikedCount = n;
            totalSpikes += n;
            return;
        }
        spikedCount = integrate(0, size, spiked, 0);
        totalSpikes += spikedCount;
    }

    /** Ids of the neurons that spiked in the last step (the array is reused; read {@link #spikeCount()} entries). */
    public int[] spikes() {
        return spiked;
    }

    public int spikeCount() {
        return spikedCount;
    }

    public long totalSpikes() {
        return totalSpikes;
    }
}
