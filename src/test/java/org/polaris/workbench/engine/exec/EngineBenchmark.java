package org.polaris.workbench.engine.exec;

import org.polaris.workbench.engine.data.RandomDataset;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.ValueType;
import org.polaris.workbench.engine.onnx.OrtRuntime;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The engine's speed against ONNX Runtime in one JVM, single-threaded: GEMM GFLOPS against an ORT MatMul model,
 * batch-1 model latency, and the ONNX node-test pass count. Writes the engine section of docs/benchmarks.md.
 * Run: {@code ./mvnw -q test-compile exec:exec@bench-engine} (torchvision models come from bench-quant's export).
 */
public final class EngineBenchmark {

    private EngineBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        StringBuilder doc = new StringBuilder("## Engine (CPU executor) against ONNX Runtime\n\n");
        doc.append("Single thread for both, batch 1, medians after 2 s of warm-up, one JVM. GEMM kernel: ")
                .append(Gemm.kernelName()).append(" (the Vector API kernel is used when the JVM runs with ")
                .append("`--add-modules jdk.incubator.vector`, as the launchers, tests and this command do).\n\n");
        doc.append("Machine: ").append(org.polaris.workbench.bench.BenchDocAccess.machine()).append(".\n");
        doc.append("Command: `./mvnw -q test-compile exec:exec@bench-engine` (rewrites this section).\n\n");
        doc.append("| GEMM M x N x K | engine GFLOPS | ORT MatMul GFLOPS | engine / ORT |\n|---|---:|---:|---:|\n");
        try (EnginePool pool = new EnginePool(1)) {
            for (int[] s : new int[][] {{1024, 1024, 1024}, {64, 3136, 576}, {256, 196, 2304}, {1, 1000, 1280}}) {
                double ours = gemmGflops(pool, s[0], s[1], s[2]);
                double ort = ortGflops(s[0], s[1], s[2]);
                doc.append(String.format(Locale.ROOT, "| %d x %d x %d | %.1f | %.1f | %.0f%% |%n", s[0], s[1], s[2],
                        ours, ort, 100 * ours / ort));
            }
        }
        doc.append("\n| model | engine p50 ms | ORT p50 ms | engine / ORT |\n|---|---:|---:|---:|\n");
        Path samples = Path.of(System.getProperty("polaris.samples.dir", "samples"));
        List<Path> models = new ArrayList<>(List.of(samples.resolve("fashion-mnist/fashion_mlp.onnx"),
                samples.resolve("fashion-mnist/fashion_cnn.onnx"),
                samples.resolve("zoo/mobilenet_v1_0.25_224/mobilenet_v1_0.25_224.onnx")));
        for (String m : new String[] {"mobilenet_v2.onnx", "resnet18.onnx", "squeezenet1_1.onnx"}) {
            Path p = Path.of("target/bench-models").resolve(m);
            if (Files.exists(p)) {
                models.add(p);
            } else {
                doc.append("| ").append(m).append(" | skipped: run exec:exec@bench-quant first to export it | | |\n");
            }
        }
        for (Path p : models) {
            double[] t = latency(p);
            doc.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.2fx |%n", p.getFileName(), t[0], t[1], t[0] / t[1]));
            System.out.println("timed " + p.getFileName());
        }
        ConformanceNodeIT.Outcome o = ConformanceNodeIT.runAll();
        doc.append(String.format(Locale.ROOT, "%nONNX backend node tests (Debian libonnx-testdata 1.12) through the engine: "
                + "**%d passed**, %d failed, %d use ops the engine does not implement.%n", o.passed(), o.failed(), o.unsupported()));
        corpus(doc);
        org.polaris.workbench.bench.BenchDocAccess.replaceSection("engine", doc.toString());
        System.out.println(doc);
    }

    /**
     * The real-model corpus (target/corpus-models, from CorpusIT or bench-corpus) on the engine: agreement with ONNX
     * Runtime on the same inputs and batch-1 latency by the one benchmark method (both runtimes warmed up by time,
     * timed runs interleaved), single thread.
     */
    private static void corpus(StringBuilder doc) throws Exception {
        List<org.polaris.workbench.cli.CorpusIT.Case> cases = new ArrayList<>(org.polaris.workbench.cli.CorpusIT.CASES);
        cases.addAll(org.polaris.workbench.bench.CorpusCoverage.FULL);
        doc.append("\n### Real-model corpus on the engine\n\nEach model exported by CorpusIT / bench-corpus, the same "
                + "inputs on both runtimes; error is the largest absolute difference over the largest ORT magnitude, per "
                + "output, worst output shown; latency by `bench`'s method (time-based warm-up, interleaved blocks), "
                + "batch as the flags give it, 1 thread. p10-p90 in brackets. A detector's error compares rows in order: "
                + "FasterRCNN's random-weight scores are all equal, so its tied detections can come out in another "
                + "order on the two runtimes (on uniform [0,1) inputs they match within 1e-7).\n\n"
                + "| model | runs on engine | max rel. error | engine p50 ms | ORT p50 ms | engine / ORT |\n"
                + "|---|---|---:|---:|---:|---:|\n");
        double logSum = 0;
        int timed = 0;
        double worst = 0;
        for (org.polaris.workbench.cli.CorpusIT.Case c : cases) {
            Path p = Path.of("target/corpus-models").resolve(c.model() + ".onnx");
            if (!Files.exists(p)) {
                continue;
            }
            OnnxModel m = new OnnxModelReader().read(p);
            Map<String, Tensor> feeds = org.polaris.workbench.engine.data.DataSources.open(null,
                    org.polaris.workbench.cli.CorpusIT.request(c.flags()), 1, m.graph().feedInputs())
                    .feeds(0, 1, m.graph().feedInputs());
            org.polaris.workbench.engine.runtime.ModelRuntime engine;
            try {
                engine = org.polaris.workbench.engine.inference.Runtimes.open(
                        org.polaris.workbench.engine.inference.Runtimes.Kind.ENGINE, m, 1);
            } catch (UnsupportedOpsException e) {
                doc.append("| ").append(c.model()).append(" | no: ").append(String.join(", ",
                        new java.util.TreeSet<>(e.nodesByOp().keySet()))).append(" | | | | |\n");
                continue;
            }
            try (engine; org.polaris.workbench.engine.runtime.ModelRuntime ort = org.polaris.workbench.engine.inference
                    .Runtimes.open(org.polaris.workbench.engine.inference.Runtimes.Kind.ORT, m, 1)) {
                Map<String, Tensor> a = ort.run(feeds);
                Map<String, Tensor> b = engine.run(feeds);
                double err = 0;
                for (Map.Entry<String, Tensor> e : a.entrySet()) {
                    double[] x = e.getValue().toDoubles();
                    double[] y = b.get(e.getKey()).toDoubles();
                    double scale = 1e-12;
                    double diff = 0;
                    for (int i = 0; i < x.length; i++) {
                        scale = Math.max(scale, Math.abs(x[i]));
                        diff = Math.max(diff, Math.abs(x[i] - (i < y.length ? y[i] : Double.NaN)));
                    }
                    err = Math.max(err, x.length == y.length ? diff / scale : Double.POSITIVE_INFINITY);
                }
                int batch = 1; // every corpus flag set feeds one sample
                List<org.polaris.workbench.engine.inference.BenchResult> r = org.polaris.workbench.engine.inference
                        .Benchmark.run(List.of(new org.polaris.workbench.engine.inference.Benchmark.Config(engine, feeds,
                                batch, 1), new org.polaris.workbench.engine.inference.Benchmark.Config(ort, feeds, batch, 1)),
                        org.polaris.workbench.engine.inference.Benchmark.Warmup.of(3), 20,
                        org.polaris.workbench.engine.job.ProgressSink.NONE,
                        org.polaris.workbench.engine.job.CancellationToken.none());
                double ratio = r.get(0).p50Ms() / r.get(1).p50Ms();
                logSum += Math.log(ratio);
                timed++;
                worst = Math.max(worst, ratio);
                doc.append(String.format(Locale.ROOT, "| %s | yes | %.1e | %.3f [%.3f-%.3f] | %.3f [%.3f-%.3f] | %.2fx |%n",
                        c.model(), err, r.get(0).p50Ms(), r.get(0).p10Ms(), r.get(0).p90Ms(), r.get(1).p50Ms(),
                        r.get(1).p10Ms(), r.get(1).p90Ms(), ratio));
                System.out.println("corpus " + c.model() + " " + ratio);
            }
        }
        if (timed > 0) {
            doc.append(String.format(Locale.ROOT, "%nGeometric mean engine / ORT over %d models: **%.2fx**, worst %.2fx "
                    + "(targets: 1.5x and 2.5x).%n", timed, Math.exp(logSum / timed), worst));
        }
    }

    private static double gemmGflops(EnginePool pool, int m, int n, int k) {
        Random r = new Random(1);
        float[] a = new float[m * k];
        float[] b = new float[k * n];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat();
        for (int i = 0; i < b.length; i++) b[i] = r.nextFloat();
        float[] c = new float[m * n];
        int reps = (int) Math.max(3, 2e9 / (2.0 * m * n * k));
        for (int i = 0; i < reps; i++) Gemm.multiply(pool, m, n, k, a, 0, b, 0, c, 0);
        double[] t = new double[7];
        for (int rep = 0; rep < t.length; rep++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) Gemm.multiply(pool, m, n, k, a, 0, b, 0, c, 0);
            t[rep] = (System.nanoTime() - t0) / 1e9 / reps;
        }
        Arrays.sort(t);
        return 2.0 * m * n * k / t[t.length / 2] / 1e9;
    }

    private static double ortGflops(int m, int n, int k) throws Exception {
        Random r = new Random(1);
        float[] bv = new float[k * n];
        for (int i = 0; i < bv.length; i++) bv[i] = r.nextFloat();
        Graph g = new Graph("mm", List.of(new Node("mm", "MatMul", "", List.of("a", "b"), List.of("c"), List.<Attribute>of(), "")),
                List.of(new ValueInfo("a", ValueType.tensor(DataType.FLOAT, List.of(Dim.of(m), Dim.of(k))), "")),
                List.of(new ValueInfo("c", ValueType.tensor(DataType.FLOAT, List.of(Dim.of(m), Dim.of(n))), "")),
                List.of(), List.of(Tensor.ofFloats("b", new long[] {k, n}, bv)), "", null);
        OnnxModel model = new OnnxModel(7, Map.of("", 13L), "bench", "", "", 0, "", Map.of(), g, null, null, 0);
        float[] av = new float[m * k];
        for (int i = 0; i < av.length; i++) av[i] = r.nextFloat();
        Map<String, Tensor> feed = Map.of("a", Tensor.ofFloats("a", new long[] {m, k}, av));
        try (OrtRuntime ort = new OrtRuntime(OnnxModelWriter.toBytes(model), 1)) {
            int reps = (int) Math.max(3, 2e9 / (2.0 * m * n * k));
            for (int i = 0; i < reps; i++) ort.run(feed);
            double[] t = new double[7];
            for (int rep = 0; rep < t.length; rep++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < reps; i++) ort.run(feed);
                t[rep] = (System.nanoTime() - t0) / 1e9 / reps;
            }
            Arrays.sort(t);
            return 2.0 * m * n * k / t[t.length / 2] / 1e9;
        }
    }

    /** Median batch-1 latency of engine and ORT after 2 s of warm-up, alternating blocks of 10 runs. */
    private static double[] latency(Path file) throws Exception {
        OnnxModel m = new OnnxModelReader().read(file);
        ValueInfo in = m.graph().feedInputs().get(0);
        long[] dims = in.type().shape().stream().mapToLong(d -> d.isFixed() ? d.value() : 1).toArray();
        Tensor x = new RandomDataset(Arrays.copyOfRange(dims, 1, dims.length), 1, 5).batch(0, 1).withName(in.name());
        Map<String, Tensor> feed = Map.of(in.name(), x);
        try (EnginePool pool = new EnginePool(1);
             OrtRuntime ort = new OrtRuntime(Files.readAllBytes(file), 1)) {
            EngineSession engine = EngineSession.load(m, pool);
            // Warm-up by time, not count: small models need thousands of runs before the JIT has compiled the kernels.
            long warmEnd = System.nanoTime() + 2_000_000_000L;
            for (int i = 0; i < 10 || System.nanoTime() < warmEnd; i++) {
                engine.run(feed, false);
                ort.run(feed);
            }
            int blocks = 6;
            double[] te = new double[blocks * 10];
            double[] to = new double[blocks * 10];
            for (int b = 0; b < blocks; b++) {
                for (int i = 0; i < 10; i++) {
                    long t0 = System.nanoTime();
                    engine.run(feed, false);
                    te[b * 10 + i] = (System.nanoTime() - t0) / 1e6;
                }
                for (int i = 0; i < 10; i++) {
                    long t0 = System.nanoTime();
                    ort.run(feed);
                    to[b * 10 + i] = (System.nanoTime() - t0) / 1e6;
                }
            }
            Arrays.sort(te);
            Arrays.sort(to);
            return new double[] {te[te.length / 2], to[to.length / 2]};
        }
    }
}
