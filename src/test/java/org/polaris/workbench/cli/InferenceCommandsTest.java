package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.Protos;
import org.polaris.workbench.testutil.TestData;

import ai.onnx.proto.OnnxMl;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** run, bench and profile: the same answers from both runtimes, the documented JSON, the documented exit codes. */
class InferenceCommandsTest {

    private static final String IDX = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz").toString();

    @TempDir
    Path tmp;

    @Test
    void runGivesTheSameTopClassOnBothRuntimesWithLabels() throws Exception {
        JsonNode ort = json(CliRun.of("run", TestData.FASHION_CNN.toString(), "--data", IDX, "--index", "0", "--json"));
        JsonNode eng = json(CliRun.of("run", TestData.FASHION_CNN.toString(), "--data", IDX, "--index", "0", "--json",
                "--runtime", "engine"));
        assertThat(ort.get("label").asInt()).isEqualTo(9);
        assertThat(ort.get("top").get(0).get("index").asInt()).isEqualTo(9);
        assertThat(ort.get("top").get(0).get("label").asText()).isEqualTo("Ankle boot");
        assertThat(eng.get("top").get(0).get("index").asInt()).isEqualTo(9);
        assertThat(eng.get("top").get(0).get("score").asDouble())
                .isCloseTo(ort.get("top").get(0).get("score").asDouble(), org.assertj.core.data.Offset.offset(1e-3));
        assertThat(ort.get("top")).hasSize(5);
    }

    @Test
    void benchReportsEveryConfiguration() throws Exception {
        JsonNode j = json(CliRun.of("bench", TestData.FASHION_MLP.toString(), "--runtime", "ort,engine", "--batch", "1,4",
                "--runs", "5", "--warmup", "1", "--warmup-time", "0.2", "--json"));
        JsonNode rows = j.get("configurations");
        assertThat(rows).hasSize(4);
        for (JsonNode r : rows) {
            assertThat(r.get("runtime").asText()).isIn("ort", "engine");
            assertThat(r.get("batch").asInt()).isIn(1, 4);
            assertThat(r.get("threads").asInt()).isEqualTo(1);
            JsonNode l = r.get("latencyMs");
            assertThat(l.get("p10").asDouble()).isPositive().isLessThanOrEqualTo(l.get("p50").asDouble());
            assertThat(l.get("p50").asDouble()).isPositive().isLessThanOrEqualTo(l.get("p90").asDouble());
            assertThat(r.get("warmupRuns").asInt()).isGreaterThanOrEqualTo(1);
            assertThat(l.get("p90").asDouble()).isLessThanOrEqualTo(l.get("p99").asDouble());
            assertThat(r.get("throughputPerSec").asDouble()).isPositive();
        }
        // engine against ORT (the first runtime asked for), per batch size, from blocks timed together
        JsonNode ratios = j.get("ratios");
        assertThat(ratios).hasSize(2);
        for (int i = 0; i < 2; i++) {
            JsonNode q = ratios.get(i);
            assertThat(q.get("runtime").asText()).isEqualTo("engine");
            assertThat(q.get("baseline").asText()).isEqualTo("ort");
            assertThat(q.get("batch").asInt()).isEqualTo(i == 0 ? 1 : 4);
            assertThat(q.get("low").asDouble()).isPositive().isLessThanOrEqualTo(q.get("median").asDouble());
            assertThat(q.get("median").asDouble()).isLessThanOrEqualTo(q.get("high").asDouble());
        }
    }

    @Test
    void aShapeWithABatchSizeRunsAndProfilesThatManySamples() throws Exception {
        JsonNode run = json(CliRun.of("run", TestData.FASHION_CNN.toString(), "--shape", "image=4x1x28x28", "--json"));
        assertThat(run.get("outputs").get(0).get("shape")).hasSize(2);
        assertThat(run.get("outputs").get(0).get("shape").get(0).asInt()).isEqualTo(4);
        JsonNode one = json(CliRun.of("profile", TestData.FASHION_CNN.toString(), "--json"));
        JsonNode four = json(CliRun.of("profile", TestData.FASHION_CNN.toString(), "--shape", "image=4x1x28x28", "--json"));
        // the first convolution's multiply-adds scale with the batch
        assertThat(four.get("nodes").get(0).get("flops").asLong()).isEqualTo(4 * one.get("nodes").get(0).get("flops").asLong());
    }

    @Test
    void benchPrintsTheTableAndOneRatioLinePerComparedConfiguration() {
        CliRun r = CliRun.of("bench", TestData.FASHION_MLP.toString(), "--runtime", "engine,ort", "--threads", "1,2",
                "--runs", "4", "--warmup", "1", "--warmup-time", "0.1");
        assertThat(r.code()).as(r.err()).isZero();
        java.util.List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).startsWith("runtime").contains("p50 ms");
        assertThat(lines.subList(1, 5)).allMatch(l -> l.matches("(engine|ort) +1 +[12] .*"));
        assertThat(lines.subList(5, lines.size())).satisfiesExactly(
                l -> assertThat(l).matches("ort / engine, batch 1, 1 thread\\(s\\): \\d+\\.\\d\\dx \\(block ratios \\d+\\.\\d\\d-\\d+\\.\\d\\d\\)"),
                l -> assertThat(l).matches("ort / engine, batch 1, 2 thread\\(s\\): \\d+\\.\\d\\dx \\(block ratios \\d+\\.\\d\\d-\\d+\\.\\d\\d\\)"));
    }

    @Test
    void profileListsNodesAndOpTypesForBothRuntimes() throws Exception {
        for (String rt : new String[] {"engine", "ort"}) {
            JsonNode j = json(CliRun.of("profile", TestData.FASHION_CNN.toString(), "--runtime", rt, "--json"));
            assertThat(j.get("nodes").size()).as(rt).isGreaterThanOrEqualTo(5);
            assertThat(j.get("opTypes").fieldNames()).toIterable().as(rt).anyMatch(op -> op.contains("Conv"));
            assertThat(j.get("totalMs").asDouble()).isPositive();
        }
    }

    @Test
    void unsupportedOpExitsFiveAndNamesIt() throws Exception {
        OnnxMl.GraphProto g = OnnxMl.GraphProto.newBuilder().setName("g")
                .addNode(OnnxMl.NodeProto.newBuilder().setName("my_bernoulli").setOpType("Bernoulli").addInput("x").addOutput("y"))
                .addInput(Protos.tensorValue("x", 1, 1, 4)).addOutput(Protos.tensorValue("y", 1, 1, 4)).build();
        Path f = Files.write(tmp.resolve("bernoulli.onnx"), Protos.model(g, 15).toByteArray());
        CliRun r = CliRun.of("run", f.toString(), "--runtime", "engine");
        assertThat(r.code()).isEqualTo(5);
        assertThat(r.err()).contains("Bernoulli (my_bernoulli)");
        assertThat(CliRun.of("run", f.toString()).code()).isZero();
    }

    @Test
    void torchScriptRunsThroughPyTorchWithTheSameAnswer() throws Exception {
        Path pt = TestData.SAMPLES.resolve("fashion-mnist/fashion_cnn.pt");
        JsonNode torch = json(CliRun.of("run", pt.toString(), "--runtime", "torch", "--data", IDX, "--index", "0", "--json"));
        JsonNode ort = json(CliRun.of("run", TestData.FASHION_CNN.toString(), "--data", IDX, "--index", "0", "--json"));
        assertThat(torch.get("top").get(0).get("index").asInt()).isEqualTo(ort.get("top").get(0).get("index").asInt());
        assertThat(torch.get("top").get(0).get("score").asDouble())
                .isCloseTo(ort.get("top").get(0).get("score").asDouble(), org.assertj.core.data.Offset.offset(1e-3));
        assertThat(CliRun.of("run", pt.toString()).code()).isEqualTo(2);
    }

    @Test
    void usageErrors() {
        CliRun wrong = CliRun.of("run", TestData.FASHION_CNN.toString(), "--runtime", "torch");
        assertThat(wrong.code()).isEqualTo(2);
        assertThat(wrong.err()).contains("TorchScript");
        assertThat(CliRun.of("run", TestData.FASHION_CNN.toString(), "--runtime", "gpu").code()).isEqualTo(2);
        assertThat(CliRun.of("run", TestData.FASHION_CNN.toString(), "--data", IDX, "--index", "5000").code()).isEqualTo(2);
        assertThat(CliRun.of("bench", TestData.FASHION_CNN.toString(), "--runs", "0").code()).isEqualTo(2);
        assertThat(CliRun.of("run", tmp.resolve("none.onnx").toString()).code()).isEqualTo(3);
    }

    private static JsonNode json(CliRun r) throws Exception {
        assertThat(r.code()).as(r.err()).isZero();
        return new ObjectMapper().readTree(r.out());
    }
}
