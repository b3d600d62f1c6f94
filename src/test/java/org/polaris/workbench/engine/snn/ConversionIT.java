package org.polaris.workbench.engine.snn;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.opencl.ClKernels;
import org.polaris.workbench.engine.opencl.ClRuntime;
import org.polaris.workbench.engine.opencl.OpenCl;
import org.polaris.workbench.testutil.TestData;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Fashion-MNIST MLP converted to a spiking network, and the simulator against the OpenCL LIF kernel. */
class ConversionIT {

    @Test
    void convertedMlpReachesTheAnnWithinTwoPointsAndTheCurveRises() throws Exception {
        var m = new OnnxModelReader().read(TestData.FASHION_MLP);
        var data = IdxDataset.open(TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz"),
                Preprocessing.unitScale(), 400);
        List<AnnToSnn.Layer> ann = AnnToSnn.extract(m);
        assertThat(ann).extracting(AnnToSnn.Layer::out).containsExactly(128, 64, 10);
        AnnToSnn.Converted c = AnnToSnn.normalize(ann, data, 400, 99.9);
        for (double s : c.scales()) assertThat(s).isPositive();
        AnnToSnn.Curve r;
        try (EnginePool pool = new EnginePool(2)) {
            r = AnnToSnn.evaluate(ann, c, data, 400, new int[] {5, 20, 100}, "rate", pool, ProgressSink.NONE,
                    CancellationToken.none());
        }
        assertThat(r.annAccuracy()).isGreaterThan(0.8);
        assertThat(r.accuracy()[0]).isLessThan(r.accuracy()[1]); // more steps, better rate estimates
        assertThat(r.accuracy()[1]).isGreaterThan(r.annAccuracy() - 0.02);
        assertThat(r.accuracy()[2]).isGreaterThan(r.annAccuracy() - 0.02);
        assertThat(r.synopsPerSample()).isPositive();
        assertThat(r.eventSparsity()).isBetween(0.0, 1.0);
        // a CNN is refused by name
        var cnn = new OnnxModelReader().read(TestData.FASHION_CNN);
        assertThatThrownBy(() -> AnnToSnn.extract(cnn)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Conv");
    }

    @Test
    void aPopulationOnTheOpenClDeviceStepsBitForBitLikeTheCpu() {
        OpenCl.Discovery d = OpenCl.discover();
        org.junit.jupiter.api.Assumptions.assumeTrue(d.available(), () -> "skipped: no OpenCL device (" + d.problem() + ")");
        int n = 5_000;
        NeuronParams p = new NeuronParams(12, -65, -70, -50, 2, 0.5, false);
        Population cpu = new Population("cpu", n, p);
        Population dev = new Population("dev", n, p);
        float[] bias = new float[n];
        Random r = new Random(8);
        for (int i = 0; i < n; i++) bias[i] = r.nextFloat() * 0.5f;
        cpu.setBias(bias);
        dev.setBias(bias);
        try (ClRuntime rt = ClRuntime.open(d.devices().get(0))) {
            dev.useDevice(new ClKernels(rt));
            assertThat(dev.onDevice()).isTrue();
            for (int t = 0; t < 60; t++) {
                for (int i = 0; i < n; i++) {
                    float in = (float) (r.nextGaussian() * 3);
                    cpu.inject(i, in);
                    dev.inject(i, in);
                }
                cpu.step();
                dev.step();
                assertThat(dev.spikeCount()).as("step %d", t).isEqualTo(cpu.spikeCount());
                assertThat(java.util.Arrays.copyOf(dev.spikes(), dev.spikeCount()))
                        .containsExactly(java.util.Arrays.copyOf(cpu.spikes(), cpu.spikeCount()));
            }
            for (int i = 0; i < n; i++) assertThat(dev.v(i)).isEqualTo(cpu.v(i));
            assertThat(cpu.totalSpikes()).isPositive();
            dev.useDevice(null);
        }
    }

    @Test
    void openClLifStepEqualsTheSimulator() {
        OpenCl.Discovery d = OpenCl.discover();
        org.junit.jupiter.api.Assumptions.assumeTrue(d.available(), () -> "skipped: no OpenCL device (" + d.problem() + ")");
        int n = 10_000;
        NeuronParams p = new NeuronParams(20, 0, 0, 1, 0, 1, false);
        Population pop = new Population("x", n, p);
        Random r = new Random(3);
        float[] v = new float[n];
        float[] in = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextFloat();
            in[i] = (float) (r.nextGaussian() * 0.3);
            pop.v[i] = v[i];
            pop.inject(i, in[i]);
        }
        pop.step();
        try (ClRuntime rt = ClRuntime.open(d.devices().get(0))) {
            int[] spikes = new ClKernels(rt).lifStep(v, in, (float) p.decay(), 1f, 0f);
            int fired = 0;
            for (int i = 0; i < n; i++) {
                assertThat(v[i]).as("v[%d]", i).isEqualTo(pop.v(i));
                fired += spikes[i];
            }
            assertThat(fired).isEqualTo(pop.spikeCount()).isPositive();
        }
    }
}
