package org.polaris.workbench.engine.snn;

import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.testutil.TestData;

import java.util.List;
import java.util.Locale;

/** Writes the SNN section of docs/benchmarks.md: {@code ./mvnw -q test-compile exec:exec@bench-snn}. */
public final class SnnBenchmark {

    private SnnBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        StringBuilder doc = new StringBuilder("## Spiking networks (`snn run`, `snn bench`)\n\n");
        doc.append("Machine: ").append(org.polaris.workbench.bench.BenchDocAccess.machine()).append(".\n");
        doc.append("Command: `./mvnw -q test-compile exec:exec@bench-snn` (rewrites this section); ad hoc: ")
                .append("`polaris-workbench snn bench`, `polaris-workbench snn run --model samples/fashion-mnist/fashion_mlp.onnx ")
                .append("--convert --data samples/fashion-mnist/t10k-2000-images-idx3-ubyte.gz --samples 2000 --steps 200`.\n\n");

        doc.append("### Synaptic throughput\n\n");
        doc.append("| neurons | fan-out | target Hz | measured Hz | steps | synaptic events | wall ms | events/s (1 thread) |\n");
        doc.append("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        double best = 0;
        for (int rep = 0; rep < 3; rep++) {
            SnnBench.Result r = SnnBench.run(100_000, 100, 10, 1000, 1 + rep);
            best = Math.max(best, r.eventsPerSecond());
            doc.append(String.format(Locale.ROOT, "| %,d | %d | %.0f | %.2f | %d | %,d | %.1f | %.3g |%n", r.neurons(), r.fanout(),
                    r.targetHz(), r.measuredHz(), r.steps(), r.events(), r.wallMs(), r.eventsPerSecond()));
        }
        doc.append(String.format(Locale.ROOT, "%nTarget: >= 1e8 synaptic events per second per core for 100,000 neurons, "
                + "fan-out 100, ~10 Hz: %.3g (single thread).%n%n", best));

        doc.append("### Fashion-MNIST MLP converted to a spiking network\n\n");
        var m = new OnnxModelReader().read(TestData.FASHION_MLP);
        var data = IdxDataset.open(TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz"), Preprocessing.unitScale(), 2000);
        List<AnnToSnn.Layer> ann = AnnToSnn.extract(m);
        AnnToSnn.Converted c = AnnToSnn.normalize(ann, data, 500, 99.9);
        int[] steps = {5, 10, 20, 50, 100, 200};
        doc.append("784-128-64-10 ReLU MLP from samples/, integrate-and-fire neurons (threshold 1, reset by subtraction), ")
                .append("99.9th-percentile normalization on 500 images, membrane read-out; 2,000 labelled test images.\n\n");
        doc.append("| coding | ANN | 5 steps | 10 | 20 | 50 | 100 | 200 | synaptic events / image | ANN MACs / image | event sparsity | energy SNN / ANN (nJ) |\n");
        doc.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String enc : new String[] {"rate", "poisson"}) {
            AnnToSnn.Curve r;
            try (EnginePool pool = new EnginePool(Runtime.getRuntime().availableProcessors())) {
                r = AnnToSnn.evaluate(ann, c, data, 2000, steps, enc, pool, ProgressSink.NONE, CancellationToken.none());
            }
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %s | %.2f%% ", enc, 100 * r.annAccuracy()));
            for (double a : r.accuracy()) row.append(String.format(Locale.ROOT, "| %.2f%% ", 100 * a));
            row.append(String.format(Locale.ROOT, "| %,.0f | %,d | %.1f%% | %.0f / %.0f |%n", r.synopsPerSample(), r.annMacsPerSample(),
                    100 * r.eventSparsity(), r.snnEnergyNj(), r.annEnergyNj()));
            doc.append(row);
        }
        doc.append(String.format(Locale.ROOT, "%nEnergy per operation: %.1f pJ per multiply-accumulate, %.1f pJ per synaptic "
                + "accumulate (32-bit float, 45 nm; M. Horowitz, ISSCC 2014); memory traffic not counted. Each input fires at its "
                + "intensity every step, so over 200 steps this SNN performs about 50 times the ANN's operations: no energy "
                + "saving is claimed for it.%n%n",
                AnnToSnn.PJ_PER_MAC, AnnToSnn.PJ_PER_SYNOP));

        doc.append("### STDP learns a repeated pattern\n\n");
        StdpDemo.Result s = StdpDemo.run(20_000, 20, 50, 5, 3);
        doc.append(String.format(Locale.ROOT, "100 Poisson inputs at 5 Hz; inputs 0-19 also fire together every 50 ms; one LIF "
                        + "neuron, pair STDP (A+ 0.01, A- 0.015, tau+ 20 ms, tau- 30 ms, additive, weights in [0, 1]), 20 s: mean "
                        + "pattern weight %.2f -> %.2f, noise weight %.2f -> %.2f, %d output spikes (`StdpDemo`, asserted in "
                        + "SnnTest).%n", s.patternWeightBefore(), s.patternWeightAfter(), s.noiseWeightBefore(), s.noiseWeightAfter(),
                s.outputSpikes()));
        org.polaris.workbench.bench.BenchDocAccess.replaceSection("snn", doc.toString());
        System.out.println(doc);
    }
}
