package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.data.DataException;
import org.polaris.workbench.engine.data.DataSources;
import org.polaris.workbench.engine.data.Dataset;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.snn.AnnToSnn;
import org.polaris.workbench.engine.snn.Encoder;
import org.polaris.workbench.engine.snn.Network;
import org.polaris.workbench.engine.snn.NeuronParams;
import org.polaris.workbench.engine.snn.Population;
import org.polaris.workbench.engine.snn.Projection;
import org.polaris.workbench.engine.snn.SnnBench;
import org.polaris.workbench.engine.io.OutputPolicy;
import org.polaris.workbench.engine.io.OutputSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/** {@code polaris-workbench snn}: simulate spiking networks, convert a ReLU MLP, measure synaptic throughput. */
@Command(name = "snn", mixinStandardHelpOptions = true, description = "Spiking networks: run (a template or a converted "
        + "ONNX MLP) and bench (synaptic events per second).", subcommands = {SnnCommand.Run.class, SnnCommand.Bench.class})
public final class SnnCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    private static String json(Object o) throws Exception {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(o);
    }

    @Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Without --model: a template network (Poisson inputs -> LIF hidden layer -> 10 LIF outputs, "
                    + "random weights) for --steps steps. With --model M.onnx --convert: the ReLU MLP converted to "
                    + "integrate-and-fire neurons, evaluated on --data against the ANN at several step counts."},
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:simulated", "2:usage error (options, data files, --raster exists)", "3:unreadable model",
                    "8:an output could not be written (full disk, I/O error); nothing was left in place"})
    static final class Run implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--model", paramLabel = "MODEL.onnx", description = "ONNX ReLU MLP to convert (with --convert)")
        Path model;

        @Option(names = "--convert", description = "convert --model to a spiking network")
        boolean convert;

        @Bounds(min = 1, max = 2000000)
        @Option(names = "--neurons", defaultValue = "1000", paramLabel = "N", description = "template: hidden neurons (default 1000)")
        int neurons;

        @Bounds(min = 1, max = 100000)
        @Option(names = "--steps", defaultValue = "100", paramLabel = "T", description = "time steps of 1 ms (default 100)")
        int steps;

        @Option(names = "--encoding", defaultValue = "rate", paramLabel = "rate|poisson|latency",
                description = "input coding (default rate: deterministic constant rate)")
        String encoding;

        @Option(names = "--data", paramLabel = "PATH", description = "IDX images or image folder (converted models: required)")
        Path data;

        @Bounds(min = 1, max = 100000)
        @Option(names = "--samples", defaultValue = "500", paramLabel = "K", description = "samples to evaluate (default 500)")
        int samples;

        @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|gpu",
                description = "template: gpu runs the LIF updates of the hidden and output populations on the first OpenCL "
                        + "GPU (else the first OpenCL device); results equal the CPU's")
        String device;

        @Option(names = "--raster", paramLabel = "OUT.csv", description = "write the recorded spikes (step,population,neuron)")
        Path raster;

        @Option(names = "--force", description = "replace --raster OUT.csv if it exists")
        boolean force;

        @Option(names = "--json", description = "print one JSON object")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if (steps < 1 || steps > 100_000 || neurons < 1 || neurons > Population.MAX_NEURONS || samples < 1) {
                throw new CliException("--steps must be 1..100000, --neurons 1.." + Population.MAX_NEURONS + ", --samples >= 1", 2);
            }
            try {
                Encoder.parse(encoding, 0);
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage(), 2);
            }
            OutputPolicy policy = OutputPolicy.of(force, model, data);
            policy.preflight(raster);
            long t0 = System.nanoTime();
            Map<String, Object> j = new LinkedHashMap<>();
            PrintWriter out = spec.commandLine().getOut();
            if (model != null || convert) {
                if (model == null || !convert || data == null) {
                    throw new CliException("conversion needs --model M.onnx --convert and --data (its samples drive the "
                            + "normalization and the accuracy)", 2);
                }
                OnnxModel m = new OnnxModelReader().read(model);
                Dataset d;
                try {
                    d = DataSources.open(data, org.polaris.workbench.engine.data.Preprocessing.unitScale(), samples,
                            m.graph().feedInputs().get(0).type());
                } catch (DataException | IllegalArgumentException e) {
                    throw new CliException(e.getMessage(), 2);
                }
                List<AnnToSnn.Layer> ann;
                try {
                    ann = AnnToSnn.extract(m);
                } catch (IllegalArgumentException e) {
                    throw new CliException(e.getMessage(), 2);
                }
                AnnToSnn.Converted c = AnnToSnn.normalize(ann, d, Math.min(500, d.size()), 99.9);
                List<Integer> cps = new ArrayList<>();
                for (int s : new int[] {5, 10, 20, 50, 100, 200, 500, 1000}) if (s < steps) cps.add(s);
                cps.add(steps);
                AnnToSnn.Curve r;
                try (EnginePool pool = new EnginePool(Runtime.getRuntime().availableProcessors())) {
                    r = AnnToSnn.evaluate(ann, c, d, samples, cps.stream().mapToInt(Integer::intValue).toArray(), encoding,
                            pool, json ? (f, msg) -> { } : new ConsoleProgress(spec.commandLine().getErr()), CancellationToken.none());
                }
                int total = ann.get(0).in();
                for (AnnToSnn.Layer L : ann) total += L.out();
                j.put("steps", steps);
                j.put("neurons", total);
                j.put("samples", r.samples());
                j.put("encoding", encoding);
                j.put("eventSparsity", r.eventSparsity());
                j.put("synops", r.synopsPerSample());
                j.put("annMacs", r.annMacsPerSample());
                j.put("accuracy", r.accuracy()[r.accuracy().length - 1]);
                j.put("annAccuracy", r.annAccuracy());
                Map<String, Double> curve = new LinkedHashMap<>();
                for (int i = 0; i < r.steps().length; i++) curve.put(Integer.toString(r.steps()[i]), r.accuracy()[i]);
                j.put("accuracyBySteps", curve);
                j.put("energyNj", Map.of("snn", r.snnEnergyNj(), "ann", r.annEnergyNj(), "pjPerSynop", AnnToSnn.PJ_PER_SYNOP,
                        "pjPerMac", AnnToSnn.PJ_PER_MAC));
                j.put("wallMs", (System.nanoTime() - t0) / 1e6);
                if (!json) {
                    out.printf(Locale.ROOT, "Converted %s: %d neurons, %d samples, %s coding%n", model.getFileName(), total,
                            r.samples(), encoding);
                    out.printf(Locale.ROOT, "ANN accuracy %.2f%%; SNN by steps: %s%n", 100 * r.annAccuracy(), String.join(", ",
                            curve.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s: %.2f%%", e.getKey(), 100 * e.getValue())).toList()));
                    out.printf(Locale.ROOT, "Per sample: %.0f synaptic events vs %d ANN MACs; event sparsity %.1f%%; energy "
                                    + "estimate %.1f nJ vs %.1f nJ (%.1f pJ per event, %.1f pJ per MAC, Horowitz ISSCC 2014)%n",
                            r.synopsPerSample(), r.annMacsPerSample(), 100 * r.eventSparsity(), r.snnEnergyNj(), r.annEnergyNj(),
                            AnnToSnn.PJ_PER_SYNOP, AnnToSnn.PJ_PER_MAC);
                }
            } else {
                Network net = new Network(Network.DEFAULT_RECORD);
                int inputs = 100;
                Population in = net.add(new Population("input", inputs, Network.input()));
                Population hid = net.add(new Population("hidden", neurons, new NeuronParams(20, 0, 0, 1, 2, 1, false)));
                Population outp = net.add(new Population("output", 10, new NeuronParams(20, 0, 0, 1, 2, 1, false)));
                Random r = new Random(1);
                net.connect(Projection.random(in, hid, Math.min(neurons, 50), () -> r.nextDouble() * 0.3, 1, 2));
                net.connect(Projection.random(hid, outp, 10, () -> r.nextDouble() * 0.05, 1, 3));
                Encoder enc = Encoder.parse(encoding, 4);
                float[] rates = new float[inputs];
                for (int i = 0; i < inputs; i++) rates[i] = 0.02f + 0.1f * r.nextFloat();
                org.polaris.workbench.engine.opencl.ClRuntime rt = null;
                if (device.equals("gpu")) {
                    var d = org.polaris.workbench.engine.opencl.OpenCl.discover();
                    if (!d.available()) {
                        throw new CliException("--device gpu: no OpenCL device: " + d.problem(), 2);
                    }
                    rt = org.polaris.workbench.engine.opencl.ClRuntime.open(d.devices().stream().filter(x -> x.type().equals("gpu"))
                            .findFirst().orElse(d.devices().get(0)));
                    var k = new org.polaris.workbench.engine.opencl.ClKernels(rt);
                    hid.useDevice(k);
                    outp.useDevice(k);
                } else if (!device.equals("cpu")) {
                    throw new CliException("--device must be cpu or gpu", 2);
                }
                try {
                    for (int t = 0; t < steps; t++) net.step(enc, rates);
                } finally {
                    hid.useDevice(null);
                    outp.useDevice(null);
                    if (rt != null) rt.close();
                }
                j.put("device", device);
                Network.Stats st = net.stats();
                j.put("steps", steps);
                j.put("neurons", st.neurons());
                j.put("spikes", st.spikes());
                j.put("eventSparsity", st.eventSparsity());
                j.put("synops", st.synops());
                j.put("accuracy", null);
                j.put("meanRateHz", st.meanRateHz(1));
                j.put("wallMs", (System.nanoTime() - t0) / 1e6);
                if (raster != null) {
                    StringWriter w = new StringWriter();
                    net.recorder().writeCsv(w);
                    try (OutputSet o = new OutputSet(policy)) {
                        o.write(raster, w.toString().getBytes(StandardCharsets.UTF_8));
                        o.commit();
                    }
                }
                if (!json) {
                    out.printf(Locale.ROOT, "Template: %d neurons, %d steps: %d spikes (%.1f Hz mean), %d synaptic events, "
                                    + "event sparsity %.1f%%%s%n", st.neurons(), steps, st.spikes(), st.meanRateHz(1), st.synops(),
                            100 * st.eventSparsity(), raster == null ? "" : "; raster in " + raster);
                }
            }
            if (json) {
                out.println(json(j));
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "bench", mixinStandardHelpOptions = true,
            description = "Synaptic events per second: a recurrent LIF population with random fan-out at a target rate, one thread",
            exitCodeListHeading = "%nExit codes:%n", exitCodeList = {"0:measured", "2:usage error"})
    static final class Bench implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Bounds(min = 1, max = 2000000)
        @Option(names = "--neurons", defaultValue = "100000", paramLabel = "N")
        int neurons;

        @Bounds(min = 0, max = 10000)
        @Option(names = "--fanout", defaultValue = "100", paramLabel = "F")
        int fanout;

        @Bounds(min = 0, max = 1000)
        @Option(names = "--rate", defaultValue = "10", paramLabel = "HZ")
        double rate;

        @Bounds(min = 1, max = 1000000)
        @Option(names = "--steps", defaultValue = "1000", paramLabel = "T", description = "steps of 1 ms (default 1000)")
        int steps;

        @Option(names = "--json", description = "print one JSON object")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if (neurons < 1 || neurons > 2_000_000 || fanout < 0 || fanout > Math.min(neurons, 10_000)
                    || (long) neurons * fanout > 400_000_000L) {
                throw new CliException("--neurons 1..2,000,000, --fanout 0..10,000 (at most 4e8 synapses)", 2);
            }
            SnnBench.Result r;
            try {
                r = SnnBench.run(neurons, fanout, rate, steps, 1);
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage(), 2);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("neurons", r.neurons());
                j.put("fanout", r.fanout());
                j.put("steps", r.steps());
                j.put("targetHz", r.targetHz());
                j.put("measuredHz", r.measuredHz());
                j.put("spikes", r.spikes());
                j.put("synapticEvents", r.events());
                j.put("wallMs", r.wallMs());
                j.put("eventsPerSecond", r.eventsPerSecond());
                j.put("threads", 1);
                out.println(json(j));
            } else {
                out.printf(Locale.ROOT, "%,d neurons, fan-out %d, %d steps of 1 ms at %.2f Hz (target %.1f): %,d spikes, %,d "
                                + "synaptic events in %.1f ms = %.3g events/s on one thread%n", r.neurons(), r.fanout(), r.steps(),
                        r.measuredHz(), r.targetHz(), r.spikes(), r.events(), r.wallMs(), r.eventsPerSecond());
            }
            out.flush();
            return 0;
        }
    }
}
