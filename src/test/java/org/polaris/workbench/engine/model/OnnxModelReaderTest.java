package org.polaris.workbench.engine.model;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.ModelLoadException.Problem;
import org.polaris.workbench.testutil.Protos;
import org.polaris.workbench.testutil.TestData;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class OnnxModelReaderTest {

    private final OnnxModelReader reader = new OnnxModelReader();

    @TempDir
    Path tmp;

    @Test
    void readsMnistGraphWithWeightsAndOps() throws Exception {
        OnnxModel m = reader.read(TestData.MNIST8);
        assertThat(m.irVersion()).isEqualTo(3);
        assertThat(m.defaultOpset()).isEqualTo(8);
        assertThat(m.producerName()).isEqualTo("CNTK");
        ModelSummary s = new ModelSummarizer().summarize(m, ProgressSink.NONE, CancellationToken.none());
        assertThat(s.ops()).containsEntry("Conv", 2).containsEntry("Add", 3).containsEntry("MatMul", 1)
                .containsEntry("MaxPool", 2).containsEntry("Relu", 2).containsEntry("Reshape", 2);
        assertThat(s.nodeCount()).isEqualTo(12);
        // 8x1x5x5 + 8 + 16x8x5x5 + 16 + 16x4x4x10 + 10 float weights, plus two int64[2] reshape shapes.
        assertThat(s.parameters()).isEqualTo(200 + 8 + 3200 + 16 + 2560 + 10 + 4);
        assertThat(s.inputs()).extracting(ValueInfo::name).containsExactly("Input3");
        assertThat(s.inputs().get(0).type().description()).isEqualTo("float32[1,1,28,28]");
    }

    @Test
    void weightStatisticsMatchAPlainRecomputation() throws Exception {
        OnnxModel m = reader.read(TestData.MNIST8);
        Weight w = Weights.of(m.graph()).stream().filter(x -> x.name().equals("Parameter87")).findFirst().orElseThrow();
        float[] v = w.tensor().toFloats();
        WeightStats s = WeightStats.of(w);
        double mean = 0;
        for (float f : v) mean += f;
        mean /= v.length;
        double var = 0;
        for (float f : v) var += (f - mean) * (f - mean);
        float min = v[0];
        float max = v[0];
        for (float f : v) { min = Math.min(min, f); max = Math.max(max, f); }
        assertThat(s.count()).isEqualTo(3200);
        assertThat(s.mean()).isCloseTo(mean, within(1e-9));
        assertThat(s.std()).isCloseTo(Math.sqrt(var / v.length), within(1e-9));
        assertThat(s.min()).isEqualTo(min);
        assertThat(s.max()).isEqualTo(max);
        assertThat(Arrays.stream(s.histogram()).sum()).isEqualTo(3200);
        assertThat(s.shape()).containsExactly(16, 8, 5, 5);
    }

    @Test
    void symbolicDimsAreKept() throws Exception {
        OnnxModel m = reader.read(TestData.MOBILENET);
        List<Dim> shape = m.graph().feedInputs().get(0).type().shape();
        assertThat(shape.get(0).isSymbolic()).isTrue();
        assertThat(shape.get(0).param()).isEqualTo("N");
        assertThat(shape.get(2).value()).isEqualTo(224);
    }

    @Test
    void findsWeightsInConstantNodesAndIdentityAliases() throws Exception {
        OnnxMl.TensorProto w = Protos.floats("", new long[] {2}, 0f, 3f);
        OnnxMl.GraphProto g = OnnxMl.GraphProto.newBuilder().setName("g")
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Constant").addOutput("w").addAttribute(
                        OnnxMl.AttributeProto.newBuilder().setName("value").setType(OnnxMl.AttributeProto.AttributeType.TENSOR).setT(w)))
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Identity").addInput("w").addOutput("w_alias"))
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Add").addInput("x").addInput("w_alias").addOutput("y"))
                .addInput(Protos.tensorValue("x", 1, 2)).addOutput(Protos.tensorValue("y", 1, 2)).build();
        Path file = write(Protos.model(g, 13));
        OnnxModel m = reader.read(file);
        List<Weight> weights = Weights.of(m.graph());
        assertThat(weights).hasSize(1);
        assertThat(weights.get(0).origin()).isEqualTo(Weight.Origin.CONSTANT_NODE);
        assertThat(weights.get(0).aliases()).containsExactly("w_alias");
        WeightStats s = WeightStats.of(weights.get(0));
        assertThat(s.zeroFraction()).isEqualTo(0.5);
        assertThat(s.max()).isEqualTo(3.0);
    }

    @Test
    void decodesTypedFieldsLikeRawData() throws Exception {
        OnnxMl.TensorProto typed = OnnxMl.TensorProto.newBuilder().setName("w").setDataType(1).addDims(3)
                .addFloatData(1.5f).addFloatData(-2f).addFloatData(0f).build();
        OnnxModel m = reader.read(write(Protos.addModel(typed)));
        assertThat(m.graph().initializers().get(0).toFloats()).containsExactly(1.5f, -2f, 0f);
    }

    @Test
    void readsExternalDataInsideTheModelFolder() throws Exception {
        Files.write(tmp.resolve("weights.bin"), new byte[] {9, 9, 0, 0, (byte) 0x80, 0x3f, 0, 0, 0, 0x40});
        OnnxModel m = reader.read(write(Protos.addModel(external("weights.bin", 2, 8))));
        assertThat(m.graph().initializers().get(0).toFloats()).containsExactly(1f, 2f);
        assertThat(m.graph().initializers().get(0).externalLocation()).isEqualTo("weights.bin");
    }

    @Test
    void refusesExternalDataOutsideTheModelFolder() throws Exception {
        Path sub = Files.createDirectories(tmp.resolve("model"));
        Files.write(tmp.resolve("secret.bin"), new byte[8]);
        Path file = sub.resolve("m.onnx");
        Files.write(file, Protos.addModel(external("../secret.bin", 0, 8)).toByteArray());
        assertProblem(file, Problem.EXTERNAL_DATA, "outside the model's folder");
        Files.write(file, Protos.addModel(external(tmp.resolve("secret.bin").toString(), 0, 8)).toByteArray());
        assertProblem(file, Problem.EXTERNAL_DATA, "absolute");
    }

    @Test
    void refusesExternalRangesBeyondTheSideFile() throws Exception {
        Files.write(tmp.resolve("short.bin"), new byte[6]);
        assertProblem(write(Protos.addModel(external("short.bin", 0, 8))), Problem.EXTERNAL_DATA, "outside short.bin");
        assertProblem(write(Protos.addModel(external("missing.bin", 0, 8))), Problem.EXTERNAL_DATA, "not found");
    }

    private static OnnxMl.TensorProto external(String location, long offset, long length) {
        return OnnxMl.TensorProto.newBuilder().setName("w").setDataType(1).addDims(2)
                .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(entry("location", location))
                .addExternalData(entry("offset", Long.toString(offset)))
                .addExternalData(entry("length", Long.toString(length))).build();
    }

    private static OnnxMl.StringStringEntryProto entry(String k, String v) {
        return OnnxMl.StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    @Test
    void missingFileDirectoryAndEmptyFileEachGetTheirOwnError() throws IOException {
        assertProblem(tmp.resolve("nope.onnx"), Problem.NOT_FOUND, "no such file");
        assertProblem(tmp, Problem.NOT_A_FILE, "directory");
        assertProblem(Files.createFile(tmp.resolve("empty.onnx")), Problem.EMPTY, "empty");
    }

    @Test
    void textAndImageFilesAreNotOnnx() throws IOException {
        Path text = Files.writeString(tmp.resolve("notes.onnx"), "this is not a model\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> reader.read(text)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining(text.toString())
                .satisfies(e -> assertThat(((ModelLoadException) e).problem()).isIn(Problem.NOT_ONNX, Problem.CORRUPT));
    }

    @Test
    void truncatedModelIsReportedAsCorrupt() throws IOException {
        byte[] full = Files.readAllBytes(TestData.MNIST8);
        Path cut = Files.write(tmp.resolve("cut.onnx"), Arrays.copyOf(full, full.length / 2));
        assertProblem(cut, Problem.CORRUPT, "truncated");
    }

    @Test
    void absurdDeclaredSizesFailBeforeAllocating() throws IOException {
        OnnxMl.TensorProto huge = OnnxMl.TensorProto.newBuilder().setName("w").setDataType(1)
                .addDims(1L << 20).addDims(1L << 20).addDims(1L << 20).setRawData(ByteString.copyFrom(new byte[4])).build();
        assertProblem(write(Protos.addModel(huge)), Problem.LIMIT_EXCEEDED, "'w'");
        OnnxMl.TensorProto overflow = huge.toBuilder().addDims(Long.MAX_VALUE / 2).build();
        assertProblem(write(Protos.addModel(overflow)), Problem.LIMIT_EXCEEDED, "overflows");
        OnnxMl.TensorProto negative = huge.toBuilder().clearDims().addDims(-4).build();
        assertProblem(write(Protos.addModel(negative)), Problem.INVALID, "negative dimension");
        OnnxMl.TensorProto.Builder deep = OnnxMl.TensorProto.newBuilder().setName("w").setDataType(1);
        for (int i = 0; i < 100; i++) deep.addDims(1);
        assertProblem(write(Protos.addModel(deep.setRawData(ByteString.copyFrom(new byte[4])).build())),
                Problem.LIMIT_EXCEEDED, "rank 100");
    }

    @Test
    void dataThatDoesNotMatchTheShapeIsInvalid() throws IOException {
        OnnxMl.TensorProto shortRaw = Protos.floats("w", new long[] {4}, 1f, 2f);
        assertProblem(write(Protos.addModel(shortRaw)), Problem.INVALID, "raw_data has 8 bytes");
        OnnxMl.TensorProto noData = OnnxMl.TensorProto.newBuilder().setName("w").setDataType(1).addDims(3).build();
        assertProblem(write(Protos.addModel(noData)), Problem.INVALID, "no data");
        OnnxMl.TensorProto badType = Protos.floats("w", new long[] {1}, 1f).toBuilder().setDataType(99).build();
        assertProblem(write(Protos.addModel(badType)), Problem.INVALID, "unknown data_type 99");
    }

    @Test
    void modelsLargerThanTheMemoryBudgetAreRefusedBeforeReading() {
        var d = OnnxModelReader.Limits.DEFAULT;
        var tiny = new OnnxModelReader.Limits(d.maxFileBytes(), d.maxTensorBytes(), d.maxExternalBytes(), d.maxRank(),
                d.maxGraphDepth(), d.maxNodes(), 10_000);
        assertThatThrownBy(() -> new OnnxModelReader(tiny).read(TestData.MNIST8))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("-Xmx")
                .satisfies(e -> assertThat(((ModelLoadException) e).problem()).isEqualTo(Problem.TOO_LARGE));
    }

    @Test
    void protoWithoutGraphIsNotOnnx() throws IOException {
        Path f = Files.write(tmp.resolve("nograph.onnx"), OnnxMl.ModelProto.newBuilder().setIrVersion(7).build().toByteArray());
        assertProblem(f, Problem.NOT_ONNX, "no graph");
    }

    private Path write(OnnxMl.ModelProto p) throws IOException {
        Path f = Files.createTempFile(tmp, "m", ".onnx");
        Files.write(f, p.toByteArray());
        return f;
    }

    private void assertProblem(Path file, Problem problem, String messagePart) {
        assertThatThrownBy(() -> reader.read(file))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageStartingWith(file.toString())
                .hasMessageContaining(messagePart)
                .satisfies(e -> assertThat(((ModelLoadException) e).problem()).isEqualTo(problem));
    }
}
