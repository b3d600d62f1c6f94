package org.polaris.workbench.engine.model;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.onnx.OrtModelSession;
import org.polaris.workbench.testutil.Protos;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Sparse initializers: exact round trips through our writer and reader, ONNX Runtime's reading, hostile files. */
class SparseTensorCodecTest {

    @TempDir
    Path tmp;

    private static float[] sparseFloats(int n, double sparsity, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextDouble() < sparsity ? 0f : (float) r.nextGaussian();
        if (n > 3) {
            v[1] = -0.0f; // a stored value: not all-zero bytes
            v[2] = Float.intBitsToFloat(0x7fc00123); // a NaN payload must survive bit for bit
        }
        return v;
    }

    private Path write(List<Tensor> inits, Set<String> sparse) throws Exception {
        Tensor first = inits.get(0);
        OnnxMl.ModelProto p = Protos.addModel(TensorConverter.toProto(first));
        OnnxModel m = new OnnxModelReader().read(Files.write(tmp.resolve("base.onnx"), p.toByteArray()));
        Path out = tmp.resolve("sparse-" + System.nanoTime() + ".onnx");
        new OnnxModelWriter().write(m.withGraph(m.graph().withInitializers(inits, sparse)), out, false);
        return out;
    }

    @Test
    void everyShapeAndDensityRoundTripsBitForBit() throws Exception {
        long[][] shapes = {{7}, {13, 11}, {3, 5, 7, 2}, {200, 300}, {100, 100}, {10, 10}, {128, 784}};
        double[] sparsities = {0.0, 0.5, 0.9, 0.99, 1.0};
        int seed = 0;
        for (long[] dims : shapes) {
            for (double s : sparsities) {
                int n = Math.toIntExact(Tensor.elementCount(dims));
                Tensor t = Tensor.ofFloats("w", dims, sparseFloats(n, s, seed++));
                Path f = write(List.of(t), Set.of("w"));
                OnnxModel back = new OnnxModelReader().read(f);
                Tensor b = back.graph().initializers().get(0);
                assertThat(b.dims()).isEqualTo(dims);
                assertThat(b.raw()).as("%s at %.2f", t.shapeString(), s).isEqualTo(t.raw());
                OnnxMl.GraphProto g = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(f)).getGraph();
                boolean sparseWritten = g.getSparseInitializerCount() == 1;
                // stored sparse exactly when that is smaller, and then named sparse when read back
                assertThat(sparseWritten).isEqualTo(SparseTensorCodec.encodingFor(t) != null);
                assertThat(back.graph().sparseInitializers().contains("w")).isEqualTo(sparseWritten);
            }
        }
        byte[] int8 = new byte[300];
        new Random(3).nextBytes(int8);
        for (int i = 0; i < int8.length; i += 2) int8[i] = 0;
        for (int i = 0; i < int8.length; i += 3) int8[i] = 0;
        Tensor q = new Tensor("q", DataType.INT8, new long[] {20, 15}, int8, List.of(), null, "");
        Tensor back = new OnnxModelReader().read(write(List.of(Tensor.ofFloats("w", new long[] {1}, new float[] {1f}), q),
                Set.of("q"))).graph().initializers().get(1);
        assertThat(back.dataType()).isEqualTo(DataType.INT8);
        assertThat(back.raw()).isEqualTo(int8);
    }

    @Test
    void choosesTheNarrowestIndexLayout() {
        assertThat(SparseTensorCodec.choose(DataType.FLOAT, new long[] {10, 10}, 10).toString()).isEqualTo("linear int8");
        assertThat(SparseTensorCodec.choose(DataType.FLOAT, new long[] {100, 100}, 10).toString()).isEqualTo("linear int16");
        assertThat(SparseTensorCodec.choose(DataType.FLOAT, new long[] {100, 100, 100}, 10).toString()).isEqualTo("coords int8");
        assertThat(SparseTensorCodec.choose(DataType.FLOAT, new long[] {1000, 100}, 10).toString()).isEqualTo("linear int32");
        assertThat(SparseTensorCodec.choose(DataType.FLOAT, new long[] {128, 784}, 10).bytes()).isEqualTo(10 * (4 + 4));
        assertThat(SparseTensorCodec.choose(DataType.FLOAT, new long[] {100, 100, 100}, 10).bytes()).isEqualTo(10 * (4 + 3));
        assertThat(SparseTensorCodec.choose(DataType.INT8, new long[] {100, 100}, 10).bytes()).isEqualTo(10 * (1 + 2));
    }

    @Test
    void onnxRuntimeReadsEveryIndexLayoutWeWrite() throws Exception {
        // one shape per layout: linear int8, linear int16, linear int32, coordinates int8
        long[][] shapes = {{10, 10}, {100, 100}, {40000, 2}, {40, 40, 40}};
        Set<String> seen = new java.util.TreeSet<>();
        for (long[] dims : shapes) {
            int n = Math.toIntExact(Tensor.elementCount(dims));
            float[] w = sparseFloats(n, 0.9, n);
            w[2] = 0.5f; // NaN would make the comparison meaningless
            Tensor t = Tensor.ofFloats("w", dims, w);
            Path f = write(List.of(t), Set.of("w"));
            assertThat(OnnxMl.ModelProto.parseFrom(Files.readAllBytes(f)).getGraph().getSparseInitializerCount()).isEqualTo(1);
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = i % 7;
            try (OrtModelSession s = OrtModelSession.open(Files.readAllBytes(f),
                    OrtModelSession.Config.singleThread(OrtModelSession.Optimization.ALL))) {
                float[] y = s.run(Map.of("x", Tensor.ofFloats("x", dims, x))).get("y").toFloats();
                for (int i = 0; i < n; i++) {
                    assertThat(y[i]).as("%s at %d (%s)", t.shapeString(), i, SparseTensorCodec.encodingFor(t)).isEqualTo(x[i] + w[i]);
                }
                seen.add(SparseTensorCodec.encodingFor(t).toString());
            }
        }
        assertThat(seen).containsExactly("coords int8", "linear int16", "linear int32", "linear int8");
    }

    private Path hostile(OnnxMl.SparseTensorProto s, boolean alsoDense) throws Exception {
        OnnxMl.ModelProto p = Protos.addModel(Protos.floats("w", new long[] {4}, 0, 0, 0, 0));
        OnnxMl.GraphProto.Builder g = p.getGraph().toBuilder();
        if (!alsoDense) {
            g.clearInitializer();
        }
        g.addSparseInitializer(s);
        return Files.write(tmp.resolve("hostile.onnx"), p.toBuilder().setGraph(g).build().toByteArray());
    }

    private static OnnxMl.TensorProto longs(long[] dims, long... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) b.putLong(x);
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setDataType(7).setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    private static OnnxMl.SparseTensorProto sparse(OnnxMl.TensorProto indices, long... dims) {
        OnnxMl.SparseTensorProto.Builder s = OnnxMl.SparseTensorProto.newBuilder()
                .setValues(Protos.floats("w", new long[] {2}, 1f, 2f)).setIndices(indices);
        for (long d : dims) s.addDims(d);
        return s.build();
    }

    @Test
    void hostileSparseInitializersFailClearlyBeforeAllocating() throws Exception {
        Object[][] cases = {
                {sparse(longs(new long[] {2}, 0, 4), 4), "outside [0, 4)"},
                {sparse(longs(new long[] {2}, -1, 2), 4), "outside [0, 4)"},
                {sparse(longs(new long[] {2, 2}, 0, 0, 1, 2), 2, 2), "coordinate 2 on axis 1"},
                {sparse(longs(new long[] {3}, 0, 1, 2), 4), "must be [2]"},
                {sparse(longs(new long[] {2}, 0, 1), 1L << 40, 1L << 20), "densifies to"},
                {sparse(longs(new long[] {2}, 0, 1), 1), "holds 2 sparse values for 1 elements"},
                {sparse(Protos.floats("i", new long[] {2}, 0f, 1f), 4), "int8, int16, int32 or int64"},
        };
        for (Object[] c : cases) {
            Path f = hostile((OnnxMl.SparseTensorProto) c[0], false);
            assertThatThrownBy(() -> new OnnxModelReader().read(f)).isInstanceOf(ModelLoadException.class)
                    .hasMessageContaining(f.toString()).hasMessageContaining("'w'").hasMessageContaining((String) c[1]);
        }
        Path twice = hostile(sparse(longs(new long[] {2}, 0, 1), 4), true);
        assertThatThrownBy(() -> new OnnxModelReader().read(twice)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("defined twice");
        Path fine = hostile(sparse(longs(new long[] {2}, 3, 1), 4), false);
        assertThat(new OnnxModelReader().read(fine).graph().initializers().get(0).toFloats()).containsExactly(0f, 2f, 0f, 1f);
    }
}
