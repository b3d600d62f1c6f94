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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The engine's speed against ONNX Runtime in one JVM: GEMM GFLOPS against an ORT MatMul model through preallocated
 * buffers on both sides (results checked), model and corpus latency at 1 and 2 threads by the bench method with a
 * steady-state warm-up, and the ONNX node-test pass count. Writes the engine section of docs/benchmarks.md.
 * Run: {@code ./mvnw -q test-compile exec:exec@bench-engine} (torchvision models come from bench-quant's export).
 */
public final class EngineBenchmark {

    private EngineBenchmark() {
    }

    /** Threads each model is timed with (both runtimes the same). */
    private static final int[] THREADS = {1, 2};

    /** Timed runs per configuration, after the warm-up. */
    private static final int TIMED_RUNS = 60;

    public static void main(String[] args) throws Exception {
        StringBuilder doc = new StringBuilder("## Engine (CPU executor) against ONNX Runtime\n\n");
        doc.append("One JVM, both runtimes given the same inputs and thread count. Latency by the `bench` method with a ")
                .append("steady-state warm-up (each configuration at least 5 s, then until its median settles and the ")
                .append("JIT has compiled nothing for a block; at most 20 s), then " + TIMED_RUNS + " timed runs each, ")
                .append("interleaved in blocks of 10, each after a 30 ms pause so the other runtime's threads have ")
                .append("stopped spinning (this shared 2-core machine's noise comes in bursts: with 20 runs ")
                .append("one burst moved a model's ratio by a third). engine / ORT is the median over blocks of the ratio ")
                .append("of the engine's block median to ORT's block median (the two blocks of a pair ran within about a ")
                .append("second of each other, so a slow spell that spans both cancels out), in brackets the quartiles of ")
                .append("those block ratios. ")
                .append("GEMM kernel: ").append(Gemm.kernelName()).append(" (the Vector API kernel is used when the JVM ")
                .append("runs with `--add-modules jdk.incubator.vector`, as the launchers, tests and this command do).\n\n");
        doc.append("Machine: ").append(org.polaris.workbench.bench.BenchDocAccess.machine()).append(".\n");
        doc.append("Command: `./mvnw -q test-compile exec:exec@bench-engine` (rewrites this section).\n\n");
        doc.append("GEMM, single thread: the engine's kernel into a preallocated C; ONNX Runtime's MatMul with its input ")
                .append("and a pinned output created once, so neither side allocates while timed; the two results are ")
                .append("compared (largest difference over the largest magnitude).\n\n")
                .append("| GEMM M x N x K | engine GFLOPS | ORT MatMul GFLOPS | engine / ORT | results differ by |\n")
                .append("|---|---:|---:|---:|---:|\n");
        try (EnginePool pool = new EnginePool(1)) {
            for (int[] s : new int[][] {{1024, 1024, 1024}, {64, 3136, 576}, {256, 196, 2304}, {1, 1000, 1280},
                    {3136, 384, 96}}) {
                double[] g = gemm(pool, s[0], s[1], s[2]);
                doc.append(String.format(Locale.ROOT, "| %d x %d x %d | %.1f | %.1f | %.0f%% | %.1e |%n", s[0], s[1],
                        s[2], g[0], g[1], 100 * g[0] / g[1], g[2]));
            }
        }
        doc.append("\n| model | batch | engine p50 ms, 1 thread | ORT | engine / ORT | engine p50 ms, 2 threads | ORT "
                + "| engine / ORT |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        Path samples = Path.of(System.getProperty("polaris.samples.dir", "samples"));
        List<Path> models = new ArrayList<>(List.of(samples.resolve("fashion-mnist/fashion_mlp.onnx"),
                samples.resolve("fashion-mnist/fashion_cnn.onnx"),
                samples.resolve("zoo/mobilenet_v1_0.25_224/mobilenet_v1_0.25_224.onnx")));
        for (String m : new String[] {"mobilenet_v2.onnx", "resnet18.onnx", "squeezenet1_1.onnx"}) {
            Path p = Path.of("target/bench-models").resolve(m);
            if (Files.exists(p)) {
                models.add(p);
            } else {
                doc.append("| ").append(m).append(" | skipped: run exec:exec@bench-quant first to export it | | | | | | |\n");
            }
        }
        // the public int8 model (QOperator: QLinearConv, QLinearAdd, QLinearMatMul) from ../shared/models
        Path int8 = Path.of("../shared/models/mobilenetv2-12-int8/mobilenetv2-12-int8.onnx");
        if (Files.exists(int8)) {
            models.add(int8);
        } else {
            doc.append("| mobilenetv2-12-int8.onnx | skipped: not found beside this checkout (../shared/models) | | | | | | |\n");
        }
        for (Path p : models) {
            OnnxModel m = new OnnxModelReader().read(p);
            ValueInfo in = m.graph().feedInputs().get(0);
            boolean dynamicBatch = !in.type().shape().get(0).isFixed();
            for (int batch : dynamicBatch ? new int[] {1, 8} : new int[] {1}) {
                long[] dims = in.type().shape().stream().mapToLong(d -> d.isFixed() ? d.value() : 1).toArray();
                Tensor x = new RandomDataset(Arrays.copyOfRange(dims, 1, dims.length), batch, 5).batch(0, batch)
                        .withName(in.name());
                Timed r = timeBoth(m, Map.of(in.name(), x), batch);
                doc.append(String.format(Locale.ROOT, "| %s | %d |", p.getFileName(), batch)).append(r.cells(0))
                        .append(r.cells(1)).append('\n');
                System.out.println("timed " + p.getFileName() + " batch " + batch);
            }
        }
        doc.append("\n**Why int8 stays slower.** ONNX Runtime runs an int8 layer's product with 8-bit dot-product "
                + "instructions (AVX-512 VNNI `vpdpbusd` on this CPU: 64 multiply-adds per instruction, four times a "
                + "float FMA's 16), so its int8 MobileNetV2 takes about half as long as its float one. The Vector API "
                + "(JDK 17 to 25) has no such operation. The Kernels (JMH) section times every integer sequence it, or "
                + "HotSpot's auto-vectorizer, can express on a 3136 x 64 x 576 int8 product against MatMulInteger: "
                + "`IntVector.mul` + `add` on widened codes, `ShortVector.mul` with the two widenings each product "
                + "vector needs, and the `MulAddS2I` loop idiom are all slower than the float GEMM on the codes, which "
                + "is what the engine runs (exact while partial sums stay within 2^24; wider layers are cut into exact "
                + "chunks). So an int8 model on the engine takes about as long as its float twin, and its ratio to ONNX "
                + "Runtime is roughly the float ratio times ONNX Runtime's int8 speed-up (about 4x on that product).\n");
        ConformanceNodeIT.Outcome o = ConformanceNodeIT.runAll();
        doc.append(String.format(Locale.ROOT, "%nONNX backend node tests (Debian libonnx-testdata 1.12) through the engine: "
                + "**%d passed**, %d failed, %d use ops the engine does not implement.%n", o.passed(), o.failed(), o.unsupported()));
        corpus(doc);
        org.polaris.workbench.bench.BenchDocAccess.replaceSection("engine", doc.toString());
        System.out.println(doc);
    }

    /**
     * Engine and ORT p50 (ms) at 1 and 2 threads, and the paired engine/ORT ratio of each thread count, each pair
     * timed together by {@link org.polaris.workbench.engine.inference.Benchmark} with the steady-state warm-up.
     */
    private record Timed(double[] engineMs, double[] ortMs, org.polaris.workbench.engine.inference.Benchmark.PairedRatio[] ratio) {

        /** "| engine ms | ORT ms | ratio (spread) |" for thread count t. */
        String cells(int t) {
            var r = ratio[t];
            return String.format(Locale.ROOT, " %.3f | %.3f | %.2fx (%.2f-%.2f) |", engineMs[t], ortMs[t], r.median(),
                    r.low(), r.high());
        }
    }

    private static Timed timeBoth(OnnxModel m, Map<String, Tensor> feeds, int batch) throws Exception {
        return timeBoth(m, feeds, batch, TIMED_RUNS);
    }

    private static Timed timeBoth(OnnxModel m, Map<String, Tensor> feeds, int batch, int runs) throws Exception {
        Timed out = new Timed(new double[THREADS.length], new double[THREADS.length],
                new org.polaris.workbench.engine.inference.Benchmark.PairedRatio[THREADS.length]);
        for (int t = 0; t < THREADS.length; t++) {
            try (org.polaris.workbench.engine.runtime.ModelRuntime engine = org.polaris.workbench.engine.inference
                    .Runtimes.open(org.polaris.workbench.engine.inference.Runtimes.Kind.ENGINE, m, THREADS[t]);
                 org.polaris.workbench.engine.runtime.ModelRuntime ort = org.polaris.workbench.engine.inference
                    .Runtimes.open(org.polaris.workbench.engine.inference.Runtimes.Kind.ORT, m, THREADS[t])) {
                List<org.polaris.workbench.engine.inference.BenchResult> r = org.polaris.workbench.engine.inference
                        .Benchmark.run(List.of(
                                new org.polaris.workbench.engine.inference.Benchmark.Config(engine, feeds, batch, THREADS[t]),
                                new org.polaris.workbench.engine.inference.Benchmark.Config(ort, feeds, batch, THREADS[t])),
                        org.polaris.workbench.engine.inference.Benchmark.Warmup.steady(3), runs,
                        org.polaris.workbench.engine.job.ProgressSink.NONE,
                        org.polaris.workbench.engine.job.CancellationToken.none());
                out.engineMs()[t] = r.get(0).p50Ms();
                out.ortMs()[t] = r.get(1).p50Ms();
                out.ratio()[t] = org.polaris.workbench.engine.inference.Benchmark.pairedRatio(r.get(0), r.get(1));
            }
        }
        return out;
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
                + "output, worst output shown; latency as above, batch as the flags give it (one sample). A detector's error compares rows in order: "
                + "FasterRCNN's random-weight scores are all equal, so its tied detections can come out in another "
                + "order on the two runtimes (on uniform [0,1) inputs they match within 1e-7).\n\n"
                + "| model | runs on engine | max rel. error | engine p50 ms, 1 thread | ORT | engine / ORT "
                + "| engine p50 ms, 2 threads | ORT | engine / ORT |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        Ratios ratios = new Ratios();
        List<Batched> batched = new ArrayList<>();
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
                        new java.util.TreeSet<>(e.nodesByOp().keySet()))).append(" | | | | | | | |\n");
                continue;
            }
            double err = 0;
            try (engine; org.polaris.workbench.engine.runtime.ModelRuntime ort = org.polaris.workbench.engine.inference
                    .Runtimes.open(org.polaris.workbench.engine.inference.Runtimes.Kind.ORT, m, 1)) {
                Map<String, Tensor> a = ort.run(feeds);
                Map<String, Tensor> b = engine.run(feeds);
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
            }
            Timed r = timeBoth(m, feeds, 1); // every corpus flag set feeds one sample
            // batch 8 where every input stacks samples along a dynamic first dimension (the recurrent models' states
            // carry the batch in their second dimension: left out)
            if (m.graph().feedInputs().stream().allMatch(v -> v.type().shape() != null && !v.type().shape().isEmpty()
                    && !v.type().shape().get(0).isFixed())) {
                batched.add(new Batched(c, m, r.engineMs()[0]));
            }
            ratios.add(r);
            doc.append(String.format(Locale.ROOT, "| %s | yes | %.1e |", c.model(), err)).append(r.cells(0))
                    .append(r.cells(1)).append('\n');
            System.out.println("corpus " + c.model() + " " + r.ratio()[0].median() + " " + r.ratio()[1].median());
        }
        doc.append(ratios.summary("", "; targets 1.5x, none over 2.5x"));
        corpusBatch8(doc, batched);
    }

    /** A corpus model whose every input has a dynamic batch dimension, and its batch-1 engine milliseconds. */
    private record Batched(org.polaris.workbench.cli.CorpusIT.Case c, OnnxModel model, double engineMs) {
    }

    /** The paired engine/ORT ratios of a table's models per thread count: geometric mean and worst. */
    private static final class Ratios {
        private final double[] logSum = new double[THREADS.length];
        private final double[] worst = new double[THREADS.length];
        private int models;

        void add(Timed r) {
            for (int t = 0; t < THREADS.length; t++) {
                double ratio = r.ratio()[t].median();
                logSum[t] += Math.log(ratio);
                worst[t] = Math.max(worst[t], ratio);
            }
            models++;
        }

        /** "Geometric mean engine / ORT{at} over N models: ...{targets}." or nothing without a model. */
        String summary(String at, String targets) {
            return models == 0 ? "" : String.format(Locale.ROOT, "%nGeometric mean engine / ORT%s over %d models: **%.2fx** "
                    + "at 1 thread (worst %.2fx), **%.2fx** at 2 threads (worst %.2fx)%s.%n", at, models,
                    Math.exp(logSum[0] / models), worst[0], Math.exp(logSum[1] / models), worst[1], targets);
        }
    }

    /** Batch-1 engine milliseconds above which a model's batch-8 row is left out (a timed batch would take >0.5 s). */
    private static final double BATCH8_MAX_MS = 60;
    private static final int BATCH8_RUNS = 20;

    /**
     * The corpus models whose inputs have a dynamic batch dimension, at batch 8: the same feeds stacked eight
     * samples deep, {@value #BATCH8_RUNS} timed runs (two blocks) per configuration.
     */
    private static void corpusBatch8(StringBuilder doc, List<Batched> batched) throws Exception {
        if (batched.isEmpty()) {
            return;
        }
        doc.append("\n#### The corpus at batch 8\n\nThe models above whose inputs have a dynamic batch dimension, fed eight "
                + "samples (the same flags, batch 8), " + BATCH8_RUNS + " timed runs per configuration in blocks of 10 "
                + "after the same warm-up; models slower than " + (int) BATCH8_MAX_MS + " ms at batch 1 are left out "
                + "(a timed batch would take half a second or more).\n\n"
                + "| model | engine p50 ms, 1 thread | ORT | engine / ORT | engine p50 ms, 2 threads | ORT | engine / ORT |\n"
                + "|---|---:|---:|---:|---:|---:|---:|\n");
        Ratios ratios = new Ratios();
        for (Batched b : batched) {
            org.polaris.workbench.cli.CorpusIT.Case c = b.c();
            OnnxModel m = b.model();
            if (b.engineMs() > BATCH8_MAX_MS) {
                doc.append(String.format(Locale.ROOT, "| %s | left out: %.0f ms at batch 1 | | | | | |%n", c.model(), b.engineMs()));
                continue;
            }
            Map<String, Tensor> feeds = org.polaris.workbench.engine.data.DataSources.open(null,
                    org.polaris.workbench.cli.CorpusIT.request(c.flags()), 8, m.graph().feedInputs())
                    .feeds(0, 8, m.graph().feedInputs());
            Timed r = timeBoth(m, feeds, 8, BATCH8_RUNS);
            ratios.add(r);
            doc.append("| ").append(c.model()).append(" |").append(r.cells(0)).append(r.cells(1)).append('\n');
            System.out.println("corpus batch 8 " + c.model() + " " + r.ratio()[0].median() + " " + r.ratio()[1].median());
        }
        doc.append(ratios.summary(" at batch 8", ""));
    }

    /** {engine GFLOPS, ORT GFLOPS, relative difference of their results} for C = A x B, single thread. */
    private static double[] gemm(EnginePool pool, int m, int n, int k) throws Exception {
        Random r = new Random(1);
        float[] a = new float[m * k];
        float[] b = new float[k * n];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = r.nextFloat() - 0.5f;
        float[] c = new float[m * n];
        Gemm.multiply(pool, m, n, k, a, 0, b, 0, c, 0);
        float[] engineResult = c.clone();
        int reps = (int) Math.max(3, 2e9 / (2.0 * m * n * k));
        double engine = gflops(m, n, k, reps, () -> Gemm.multiply(pool, m, n, k, a, 0, b, 0, c, 0));

        Graph g = new Graph("mm", List.of(new Node("mm", "MatMul", "", List.of("a", "b"), List.of("c"), List.<Attribute>of(), "")),
                List.of(new ValueInfo("a", ValueType.tensor(DataType.FLOAT, List.of(Dim.of(m), Dim.of(k))), "")),
                List.of(new ValueInfo("c", ValueType.tensor(DataType.FLOAT, List.of(Dim.of(m), Dim.of(n))), "")),
                List.of(), List.of(Tensor.ofFloats("b", new long[] {k, n}, b)), "", null);
        OnnxModel model = new OnnxModel(7, Map.of("", 13L), "bench", "", "", 0, "", Map.of(), g, null, null, 0);
        ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        try (ai.onnxruntime.OrtSession.SessionOptions opts = new ai.onnxruntime.OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            opts.setInterOpNumThreads(1);
            java.nio.FloatBuffer in = java.nio.ByteBuffer.allocateDirect(4 * a.length)
                    .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer().put(a);
            in.rewind();
            java.nio.FloatBuffer outBuf = java.nio.ByteBuffer.allocateDirect(4 * m * n)
                    .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
            try (ai.onnxruntime.OrtSession session = env.createSession(OnnxModelWriter.toBytes(model), opts);
                 ai.onnxruntime.OnnxTensor x = ai.onnxruntime.OnnxTensor.createTensor(env, in, new long[] {m, k});
                 ai.onnxruntime.OnnxTensor y = ai.onnxruntime.OnnxTensor.createTensor(env, outBuf, new long[] {m, n})) {
                Map<String, ai.onnxruntime.OnnxTensor> feed = Map.of("a", x);
                Map<String, ai.onnxruntime.OnnxTensor> pinned = Map.of("c", y);
                session.run(feed, pinned).close();
                double diff = 0;
                double scale = 1e-30;
                for (int i = 0; i < m * n; i++) {
                    scale = Math.max(scale, Math.abs(outBuf.get(i)));
                    diff = Math.max(diff, Math.abs(outBuf.get(i) - engineResult[i]));
                }
                if (diff / scale > 1e-4) {
                    throw new IllegalStateException("engine and ORT GEMM disagree: " + diff / scale);
                }
                double ort = gflops(m, n, k, reps, () -> {
                    try {
                        session.run(feed, pinned).close();
                    } catch (ai.onnxruntime.OrtException e) {
                        throw new IllegalStateException(e);
                    }
                });
                return new double[] {engine, ort, diff / scale};
            }
        }
    }

    /** Median GFLOPS of 7 timed rounds of {@code reps} products, after as many rounds of warm-up. */
    private static double gflops(int m, int n, int k, int reps, Runnable product) {
        for (int i = 0; i < 7 * reps; i++) product.run();
        double[] t = new double[7];
        for (int rep = 0; rep < t.length; rep++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) product.run();
            t[rep] = (System.nanoTime() - t0) / 1e9 / reps;
        }
        Arrays.sort(t);
        return 2.0 * m * n * k / t[t.length / 2] / 1e9;
    }
}
