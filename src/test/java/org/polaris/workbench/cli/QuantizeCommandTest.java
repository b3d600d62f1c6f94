package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class QuantizeCommandTest {

    private static final String IDX = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz").toString();

    @TempDir
    Path tmp;

    private String out;
    private String err;

    private int run(String... args) {
        CliRun r = CliRun.of(args);
        out = r.out();
        err = r.err();
        return r.code();
    }

    @Test
    void staticQuantizationWritesModelAndContractReport() throws Exception {
        Path q = tmp.resolve("cnn-int8.onnx");
        Path report = tmp.resolve("r.json");
        int code = run("quantize", TestData.FASHION_CNN.toString(), "-o", q.toString(), "--calib-data", IDX,
                "--calib-samples", "64", "--eval-samples", "300", "--latency-runs", "5", "--calibration", "mse",
                "--no-speed-check", "--report", report.toString());
        assertThat(code).as(err).isZero();
        assertThat(out).contains("Wrote", "smaller", "Accuracy", "QLinearConv");
        JsonNode j = new ObjectMapper().readTree(report.toFile());
        for (String side : new String[] {"original", "quantized"}) {
            assertThat(j.get(side).get("fileBytes").asLong()).isPositive();
            assertThat(j.get(side).get("accuracy").asDouble()).isBetween(0.8, 1.0);
            assertThat(j.get(side).get("latencyMs").get("median").asDouble()).isPositive();
            assertThat(j.get(side).get("latencyMs").has("p90")).isTrue();
        }
        assertThat(j.get("quantized").get("fileBytes").asLong()).isEqualTo(Files.size(q));
        assertThat(j.get("agreement").get("top1").asDouble()).isGreaterThan(0.95);
        assertThat(j.get("agreement").has("cosine")).isTrue();
        assertThat(j.get("agreement").has("maxAbsError")).isTrue();
        assertThat(j.get("fusedOps").get("QLinearConv").asInt()).isEqualTo(2);
        assertThat(j.get("leftoverQdq").asInt()).isGreaterThanOrEqualTo(0);
        assertThat(j.get("layers")).hasSize(4);
        for (JsonNode l : j.get("layers")) {
            assertThat(l.fieldNames()).toIterable().contains("name", "bits", "perChannel", "sqnrDb");
        }
        assertThat(j.get("settings").get("calibration").asText()).isEqualTo("mse");
        assertThat(j.get("settings").get("speedCheck").asBoolean()).isFalse();
    }

    @Test
    void existingOutputIsAUsageErrorUnlessForced() throws Exception {
        Path q = Files.writeString(tmp.resolve("exists.onnx"), "keep me");
        assertThat(run("quantize", TestData.FASHION_MLP.toString(), "-o", q.toString())).isEqualTo(2);
        assertThat(err).contains("exists").contains("--force");
        assertThat(Files.readString(q)).isEqualTo("keep me");
        assertThat(run("quantize", TestData.FASHION_MLP.toString(), "-o", q.toString(), "--force", "--bits", "4",
                "--calib-data", IDX, "--eval-samples", "200", "--latency-runs", "3")).as(err).isZero();
        assertThat(Files.size(q)).isGreaterThan(1000);
    }

    @Test
    void badOptionsAndDataAreUsageErrors() {
        Path q = tmp.resolve("x.onnx");
        assertThat(run("quantize", TestData.FASHION_CNN.toString(), "-o", q.toString(), "--calibration", "median")).isEqualTo(2);
        assertThat(err).contains("unknown calibration");
        assertThat(run("quantize", TestData.FASHION_CNN.toString(), "-o", q.toString(), "--bits", "3")).isEqualTo(2);
        assertThat(run("quantize", TestData.FASHION_CNN.toString(), "-o", q.toString(), "--calib-data",
                tmp.resolve("missing.gz").toString())).isEqualTo(2);
        assertThat(err).contains("missing.gz");
        assertThat(run("quantize", TestData.FASHION_CNN.toString())).isEqualTo(2);
        assertThat(q).doesNotExist();
    }

    @Test
    void badModelExitsThreeAndFailedVerificationFour() throws Exception {
        Path bad = Files.writeString(tmp.resolve("bad.onnx"), "nope");
        assertThat(run("quantize", bad.toString(), "-o", tmp.resolve("o1.onnx").toString())).isEqualTo(3);
        // A cosine of exactly 1 cannot survive quantization: verification must fail and write nothing.
        assertThat(run("quantize", TestData.FASHION_CNN.toString(), "-o", tmp.resolve("o2.onnx").toString(),
                "--calib-data", IDX, "--calib-samples", "32", "--min-cosine", "1.0")).isEqualTo(4);
        assertThat(err).contains("verification failed");
        assertThat(run("quantize", TestData.MNIST8.toString(), "-o", tmp.resolve("o3.onnx").toString())).isEqualTo(4);
        assertThat(err).contains("opset 8");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("bad.onnx");
        }
    }
}
