package org.polaris.workbench.engine.exec;

import ai.onnxruntime.OnnxJavaType;
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

        /**
         * GEMM M x N x K: a square one, a convolution's im2col product (weights x columns, as the engine runs it, and
         * pixels x weights, as the int8 rows below run it), a batch-1 Linear layer.
         */
        @Param({"256x256x256", "64x3136x576", "3136x64x576", "1x1000x1280"})
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
            session = singleThreaded(g);
            OrtEnvironment env = OrtEnvironment.getEnvironment();
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

    /**
     * An int8 convolution's product, pixels x weights: 3136 x 576 uint8 activation codes (zero point 128, the
     * im2col of a 3x3 layer of 64 channels on 56 x 56) times 576 x 64 int8 weight codes, exact int32 sums.
     * ONNX Runtime runs it as MatMulInteger (its u8s8 kernel: AVX-512 VNNI {@code vpdpbusd} on this CPU, 64
     * multiply-adds per instruction); the engine as QLinearConv does (codes to floats, then the float GEMM on the
     * cached float weights, exact while partial sums stay within 2^24, as they do here).
     */
    @State(Scope.Thread)
    public static class Int8Gemm {
        static final int M = 3136;
        static final int N = 64;
        static final int K = 576;
        byte[] a;
        float[] af;
        float[] bf;
        float[] c;
        EnginePool pool;
        OrtSession session;
        OnnxTensor ortIn;
        OnnxTensor ortOut;
        Map<String, OnnxTensor> ortFeed;
        Map<String, OnnxTensor> ortPinned;

        @Setup(Level.Trial)
        public void setUp() throws OrtException {
            Random r = new Random(3);
            a = new byte[M * K];
            byte[] b = new byte[K * N];
            r.nextBytes(a);
            for (int i = 0; i < b.length; i++) b[i] = (byte) (r.nextInt(255) - 127);
            af = new float[M * K];
            bf = new float[K * N];
            for (int i = 0; i < b.length; i++) bf[i] = b[i];
            c = new float[M * N];
            pool = new EnginePool(1);
            Tensor weights = new Tensor("b", DataType.INT8, new long[] {K, N}, b, List.of(), null, "");
            Tensor zero = new Tensor("az", DataType.UINT8, new long[] {}, new byte[] {(byte) 128}, List.of(), null, "");
            Graph g = new Graph("mmi", List.of(new Node("mm", "MatMulInteger", "", List.of("a", "b", "az"), List.of("c"),
                    List.<Attribute>of(), "")),
                    List.of(new ValueInfo("a", ValueType.tensor(DataType.UINT8, List.of(Dim.of(M), Dim.of(K))), "")),
                    List.of(new ValueInfo("c", ValueType.tensor(DataType.INT32, List.of(Dim.of(M), Dim.of(N))), "")),
                    List.of(), List.of(weights, zero), "", null);
            session = singleThreaded(g);
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            ByteBuffer in = ByteBuffer.allocateDirect(a.length).order(ByteOrder.nativeOrder()).put(a);
            in.rewind();
            ByteBuffer out = ByteBuffer.allocateDirect(4 * M * N).order(ByteOrder.nativeOrder());
            ortIn = OnnxTensor.createTensor(env, in, new long[] {M, K}, OnnxJavaType.UINT8);
            ortOut = OnnxTensor.createTensor(env, out.asIntBuffer(), new long[] {M, N});
            ortFeed = Map.of("a", ortIn);
            ortPinned = Map.of("c", ortOut);
            // both runtimes must give the same exact sums before anything is timed
            engine();
            try {
                session.run(ortFeed, ortPinned).close();
            } catch (OrtException e) {
                throw new IllegalStateException(e);
            }
            java.nio.IntBuffer sums = ortOut.getIntBuffer();
            for (int i = 0; i < c.length; i++) {
                if (sums.get(i) != (int) c[i]) {
                    throw new IllegalStateException("int8 GEMM: engine " + c[i] + " vs ORT " + sums.get(i) + " at " + i);
                }
            }
            try {
                integerSequences(b);
                intVector.invokeExact(M, N, K, ai, bi, ci);
                check("IntVector", sums);
                java.util.Arrays.fill(ci, 0);
                shortVector.invokeExact(M, N, K, as, bs, ci);
                check("ShortVector", sums);
                mulAddIdiom.invokeExact(M, N, K, as, bPairs, expanded, ci);
                check("MulAddS2I", sums);
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }

        /** Shifted codes as int and short, B as interleaved row pairs, for the integer sequences. */
        int[] ai;
        int[] bi;
        short[] as;
        short[] bs;
        short[] bPairs;
        short[] expanded;
        int[] ci;
        java.lang.invoke.MethodHandle intVector;
        java.lang.invoke.MethodHandle shortVector;
        java.lang.invoke.MethodHandle mulAddIdiom;

        /** The integer sequences (src/test/java-vector, compiled after this class: looked up, not linked). */
        void integerSequences(byte[] b) throws ReflectiveOperationException {
            ai = new int[M * K];
            as = new short[M * K];
            for (int i = 0; i < ai.length; i++) {
                ai[i] = (a[i] & 0xff) - 128;
                as[i] = (short) ai[i];
            }
            bi = new int[K * N];
            bs = new short[K * N];
            bPairs = new short[K * N];
            for (int i = 0; i < bi.length; i++) {
                bi[i] = b[i];
                bs[i] = b[i];
            }
            for (int p = 0; p < K; p += 2) {
                for (int j = 0; j < N; j++) {
                    bPairs[p * N + 2 * j] = b[p * N + j];
                    bPairs[p * N + 2 * j + 1] = b[(p + 1) * N + j];
                }
            }
            expanded = new short[2 * N];
            ci = new int[M * N];
            Class<?> seq = Class.forName("org.polaris.workbench.engine.exec.Int8Sequences");
            var lookup = java.lang.invoke.MethodHandles.publicLookup();
            intVector = lookup.findStatic(seq, "intVector", java.lang.invoke.MethodType.methodType(void.class,
                    int.class, int.class, int.class, int[].class, int[].class, int[].class));
            shortVector = lookup.findStatic(seq, "shortVector", java.lang.invoke.MethodType.methodType(void.class,
                    int.class, int.class, int.class, short[].class, short[].class, int[].class));
            mulAddIdiom = lookup.findStatic(seq, "mulAddIdiom", java.lang.invoke.MethodType.methodType(void.class,
                    int.class, int.class, int.class, short[].class, short[].class, short[].class, int[].class));
        }

        /** Throws unless the integer sums equal ORT's. */
        void check(String what, java.nio.IntBuffer want) {
            for (int i = 0; i < ci.length; i++) {
                if (ci[i] != want.get(i)) {
                    throw new IllegalStateException("int8 GEMM " + what + ": " + ci[i] + " vs ORT " + want.get(i) + " at " + i);
                }
            }
        }

        float[] engine() {
            int done = QLinearKernels.LANES.codesToFloats(a, a.length, true, 128, af);
            for (int i = done; i < a.length; i++) af[i] = (a[i] & 0xff) - 128;
            java.util.Arrays.fill(c, 0f);
            Gemm.multiply(pool, M, N, K, af, 0, bf, 0, c, 0);
            return c;
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
    public float[] int8Vector(Int8Gemm g) {
        return g.engine();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = VECTOR)
    public int[] int8IntVector(Int8Gemm g) throws Throwable {
        g.intVector.invokeExact(Int8Gemm.M, Int8Gemm.N, Int8Gemm.K, g.ai, g.bi, g.ci);
        return g.ci;
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = VECTOR)
    public int[] int8ShortVector(Int8Gemm g) throws Throwable {
        g.shortVector.invokeExact(Int8Gemm.M, Int8Gemm.N, Int8Gemm.K, g.as, g.bs, g.ci);
        return g.ci;
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = VECTOR)
    public int[] int8MulAddS2I(Int8Gemm g) throws Throwable {
        g.mulAddIdiom.invokeExact(Int8Gemm.M, Int8Gemm.N, Int8Gemm.K, g.as, g.bPairs, g.expanded, g.ci);
        return g.ci;
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = VECTOR)
    public void int8OnnxRuntime(Int8Gemm g) throws OrtException {
        g.session.run(g.ortFeed, g.ortPinned).close();
    }

    /** An ONNX Runtime session of graph {@code g} on one thread (intra- and inter-op). */
    static OrtSession singleThreaded(Graph g) throws OrtException {
        OnnxModel model = new OnnxModel(7, Map.of("", 13L), "bench", "", "", 0, "", Map.of(), g, null, null, 0);
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            opts.setInterOpNumThreads(1);
            return OrtEnvironment.getEnvironment().createSession(OnnxModelWriter.toBytes(model), opts);
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

    private static String int8Lanes() {
        try {
            return (String) Class.forName("org.polaris.workbench.engine.exec.Int8Sequences").getMethod("species").invoke(null);
        } catch (ReflectiveOperationException e) {
            return "unknown";
        }
    }

    /** Runs every benchmark above and rewrites the kernels section of docs/benchmarks.md. */
    public static void main(String[] args) throws Exception {
        Collection<RunResult> results = new Runner(new OptionsBuilder().include(KernelJmh.class.getName() + "\\.")
                .shouldFailOnError(true).build()).run();
        // kernel -> (variant -> microseconds) per parameter
        Map<String, Map<String, Double>> gemm = new TreeMap<>();
        Map<String, Map<String, Double>> lanes = new TreeMap<>();
        Map<String, Double> int8 = new TreeMap<>();
        for (RunResult r : results) {
            String method = r.getParams().getBenchmark().substring(r.getParams().getBenchmark().lastIndexOf('.') + 1);
            double us = r.getPrimaryResult().getScore();
            if (method.startsWith("int8")) {
                int8.put(method.substring(4), us);
            } else if (method.startsWith("gemm")) {
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
        Map<String, Double> fp = gemm.get("3136x64x576");
        double macs = (double) Int8Gemm.M * Int8Gemm.N * Int8Gemm.K;
        doc.append("\nAn int8 convolution's product, 3136 x 64 x 576 (uint8 activation codes, zero point 128, times int8 "
                + "weight codes; exact int32 sums, every variant checked equal to ONNX Runtime's before timing): ONNX "
                + "Runtime's MatMulInteger, the engine's path for quantized layers, and every integer sequence the Vector "
                + "API or HotSpot's auto-vectorizer can express (codes already widened and shifted, which favours them), "
                + "with the float GEMMs of the same shape from the table above. Lanes on this CPU: "
                + int8Lanes() + ".\n\n");
        doc.append("| 3136 x 64 x 576 | us | GMAC/s | time / ORT int8 |\n|---|---:|---:|---:|\n");
        double ortInt8 = int8.get("OnnxRuntime");
        String[][] rows = {
            {"ONNX Runtime MatMulInteger (u8 x s8, VNNI)", "OnnxRuntime"},
            {"engine: codes to floats + float GEMM (what QLinearConv runs)", "Vector"},
            {"Vector API: int codes, `IntVector.mul` + `add`, 8 x 1 tile", "IntVector"},
            {"Vector API: short codes, `ShortVector.mul` + 2 `S2I` widenings + `add`", "ShortVector"},
            {"HotSpot `MulAddS2I` idiom (auto-vectorized loop, pairs expanded)", "MulAddS2I"}};
        for (String[] row : rows) {
            double us = int8.get(row[1]);
            doc.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %.2fx |%n", row[0], us, macs / us / 1e3, us / ortInt8));
        }
        doc.append(String.format(Locale.ROOT, "| float32 GEMM, engine | %.1f | %.1f | %.2fx |%n", fp.get("Vector"),
                macs / fp.get("Vector") / 1e3, fp.get("Vector") / ortInt8));
        doc.append(String.format(Locale.ROOT, "| float32 MatMul, ONNX Runtime | %.1f | %.1f | %.2fx |%n", fp.get("OnnxRuntime"),
                macs / fp.get("OnnxRuntime") / 1e3, fp.get("OnnxRuntime") / ortInt8));
        doc.append(String.format(Locale.ROOT, "%nONNX Runtime's int8 product runs %.1fx as fast as its float one on this CPU; "
                + "the engine's int8 product runs at its float speed (%.2fx), so an int8 model on the engine is bounded by "
                + "the float model's time. See \"Why int8 stays slower\" under the engine section.%n",
                fp.get("OnnxRuntime") / int8.get("OnnxRuntime"), fp.get("Vector") / int8.get("Vector")));
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
