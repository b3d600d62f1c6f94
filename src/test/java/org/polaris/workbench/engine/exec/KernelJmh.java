package org.polaris.workbench.engine.exec;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Dim;
import org.polaris.workbench.engine.model.Graph;
import org.polaris.workbench.engine.model.Node;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.engine.model.ValueType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * JMH benchmarks of the engine's kernels, scalar against vector against ONNX Runtime in one run: each kernel in a
 * fork with the Vector API kernels and in a fork with the scalar ones forced ({@code -Dpolaris.scalar=true}), and
 * ONNX Runtime's own op on the same data through preallocated tensors (single thread everywhere). {@link #main}
 * runs them and rewrites the kernels section of docs/benchmarks.md:
 * {@code ./mvnw -q test-compile exec:exec@bench-jmh}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class KernelJmh {

    private static final String VECTOR = "--add-modules=jdk.incubator.vector";

    /** The element-wise kernels' data: 256K floats. */
    @State(Scope.Thread)
    public static class Lanes {
        float[] x;
        float[] y;

        @Setup(Level.Trial)
        public void setUp() {
            Random r = new Random(1);
            x = new float[1 << 18];
            y = new float[x.length];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian() * 3;
        }
    }

    /** A GEMM's operands, the engine's pool and ONNX Runtime's MatMul session with preallocated tensors. */
    @State(Scope.Thread)
    public static class Gemms {

        /** GEMM M x N x K: a square one, a convolution's im2col product, a batch-1 Linear layer. */
        @Param({"256x256x256", "64x3136x576", "1x1000x1280"})
        public String gemm;

        int m;
        int n;
        int k;
        float[] a;
        float[] b;
        float[] c;
        EnginePool pool;
        OrtSession session;
        OnnxTensor ortIn;
        OnnxTensor ortOut;
        Map<String, OnnxTensor> ortFeed;
        Map<String, OnnxTensor> ortPinned;

        @Setup(Level.Trial)
        public void setUp() throws OrtException {
            String[] s = gemm.split("x");
            m = Integer.parseInt(s[0]);
            n = Integer.parseInt(s[1]);
            k = Integer.parseInt(s[2]);
            Random r = new Random(1);
            a = new float[m * k];
            b = new float[k * n];
            c = new float[m * n];
            for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
            for (int i = 0; i < b.length; i++) b[i] = r.nextFloat() - 0.5f;
            pool = new EnginePool(1);
            Graph g = new Graph("mm", List.of(new Node("mm", "MatMul", "", List.of("a", "b"), List.of("c"), List.<Attribute>of(), "")),
                    List.of(new ValueInfo("a", ValueType.tensor(DataType.FLOAT, List.of(Dim.of(m), Dim.of(k))), "")),
                    List.of(new ValueInfo("c", ValueType.tensor(DataType.FLOAT, List.of(Dim.of(m), Dim.of(n))), "")),
                    List.of(), List.of(Tensor.ofFloats("b", new long[] {k, n}, b)), "", null);
            OnnxModel model = new OnnxModel(7, Map.of("", 13L), "bench", "", "", 0, "", Map.of(), g, null, null, 0);
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
                opts.setIntraOpNumThreads(1);
                opts.setInterOpNumThreads(1);
                session = env.createSession(OnnxModelWriter.toBytes(model), opts);
            }
            FloatBuffer in = ByteBuffer.allocateDirect(4 * a.length).order(ByteOrder.nativeOrder()).asFloatBuffer().put(a);
            in.rewind();
            FloatBuffer out = ByteBuffer.allocateDirect(4 * c.length).order(ByteOrder.nativeOrder()).asFloatBuffer();
            ortIn = OnnxTensor.createTensor(env, in, new long[] {m, k});
            ortOut = OnnxTensor.createTensor(env, out, new long[] {m, n});
            ortFeed = Map.of("a", ortIn);
            ortPinned = Map.of("c", ortOut);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws OrtException {
            ortIn.close();
            ortOut.close();
            session.close();
            pool.close();
        }
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = VECTOR)
    public float[] gemmVector(Gemms g) {
        Gemm.multiply(g.pool, g.m, g.n, g.k, g.a, 0, g.b, 0, g.c, 0);
        return g.c;
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {VECTOR, "-Dpolaris.scalar=true"})
    public float[] gemmScalar(Gemms g) {
        Gemm.multiply(g.pool, g.m, g.n, g.k, g.a, 0, g.b, 0, g.c, 0);
        return g.c;
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = VECTOR)
    public void gemmOnnxRuntime(Gemms g) throws OrtException {
        g.session.run(g.ortFeed, g.ortPinned).close();
    }

    /** Sigmoid over 256K floats (the SiLU of EfficientNet), SIMD lanes vs the scalar loop. */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = VECTOR)
    public float[] sigmoidVector(Lanes l) {
        FloatMath.LANES.apply(FloatMath.Unary.SIGMOID, l.x, l.y, 0, l.x.length);
        return l.y;
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {VECTOR, "-Dpolaris.scalar=true"})
    public float[] sigmoidScalar(Lanes l) {
        FloatMath.LANES.apply(FloatMath.Unary.SIGMOID, l.x, l.y, 0, l.x.length);
        return l.y;
    }

    /** GELU (erf form) over 256K floats, the ConvNeXt activation. */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = VECTOR)
    public float[] geluVector(Lanes l) {
        FloatMath.LANES.apply(FloatMath.Unary.GELU, l.x, l.y, 0, l.x.length);
        return l.y;
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {VECTOR, "-Dpolaris.scalar=true"})
    public float[] geluScalar(Lanes l) {
        FloatMath.LANES.apply(FloatMath.Unary.GELU, l.x, l.y, 0, l.x.length);
        return l.y;
    }

    /** Runs every benchmark above and rewrites the kernels section of docs/benchmarks.md. */
    public static void main(String[] args) throws Exception {
        Collection<RunResult> results = new Runner(new OptionsBuilder().include(KernelJmh.class.getName() + "\\.")
                .shouldFailOnError(true).build()).run();
        // kernel -> (variant -> microseconds) per parameter
        Map<String, Map<String, Double>> gemm = new TreeMap<>();
        Map<String, Map<String, Double>> lanes = new TreeMap<>();
        for (RunResult r : results) {
            String method = r.getParams().getBenchmark().substring(r.getParams().getBenchmark().lastIndexOf('.') + 1);
            double us = r.getPrimaryResult().getScore();
            if (method.startsWith("gemm")) {
                String variant = method.substring(4);
                gemm.computeIfAbsent(r.getParams().getParam("gemm"), p -> new TreeMap<>()).put(variant, us);
            } else {
                String kernel = method.replace("Vector", "").replace("Scalar", "");
                lanes.computeIfAbsent(kernel, p -> new TreeMap<>()).put(method.endsWith("Vector") ? "Vector" : "Scalar", us);
            }
        }
        StringBuilder doc = new StringBuilder("## Kernels (JMH)\n\n");
        doc.append("JMH 1.37, one fork per kernel and variant, 3 x 1 s warm-up and 5 x 1 s measurement, average time, single "
                + "thread: the engine's kernel with the Vector API, the same code with the scalar kernels forced "
                + "(`-Dpolaris.scalar=true`), and ONNX Runtime's MatMul on the same data through a preallocated input "
                + "and pinned output.\n\n");
        doc.append("Machine: ").append(org.polaris.workbench.bench.BenchDocAccess.machine()).append(".\n");
        doc.append("Command: `./mvnw -q test-compile exec:exec@bench-jmh` (rewrites this section).\n\n");
        doc.append("| GEMM M x N x K | scalar us | vector us | ORT us | vector GFLOPS | ORT GFLOPS | vector / ORT time |\n"
                + "|---|---:|---:|---:|---:|---:|---:|\n");
        List<String> shapes = new ArrayList<>(gemm.keySet());
        for (String shape : shapes) {
            Map<String, Double> v = gemm.get(shape);
            String[] s = shape.split("x");
            double flop = 2.0 * Long.parseLong(s[0]) * Long.parseLong(s[1]) * Long.parseLong(s[2]);
            doc.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.2fx |%n", shape,
                    v.get("Scalar"), v.get("Vector"), v.get("OnnxRuntime"), flop / v.get("Vector") / 1e3,
                    flop / v.get("OnnxRuntime") / 1e3, v.get("Vector") / v.get("OnnxRuntime")));
        }
        doc.append("\n| element-wise kernel, 262,144 floats | scalar us | vector us | scalar / vector |\n|---|---:|---:|---:|\n");
        for (Map.Entry<String, Map<String, Double>> e : lanes.entrySet()) {
            Map<String, Double> v = e.getValue();
            doc.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.1fx |%n", e.getKey(), v.get("Scalar"),
                    v.get("Vector"), v.get("Scalar") / v.get("Vector")));
        }
        org.polaris.workbench.bench.BenchDocAccess.replaceSection("jmh", doc.toString());
        System.out.println(doc);
    }
}
