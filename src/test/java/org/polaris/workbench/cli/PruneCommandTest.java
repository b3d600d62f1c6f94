package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.torch.TorchRuntime;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class PruneCommandTest {

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
    void prunesOnnxAndWritesTheContractReport() throws Exception {
        Path p = tmp.resolve("mlp-sparse.onnx");
        int code = run("prune", TestData.FASHION_MLP.toString(), "-o", p.toString(), "--sparsity", "0.6",
                "--eval-data", IDX, "--eval-samples", "300", "--latency-runs", "5", "--sparse-storage");
        assertThat(code).as(err).isZero();
        assertThat(out).contains("Wrote", "60.0% of their weights removed", "stored as sparse_initializers",
                "File size:", "Accuracy", "Agreement");
        JsonNode j = new ObjectMapper().readTree(tmp.resolve("mlp-sparse.onnx.report.json").toFile());
        assertThat(j.get("scope").asText()).isEqualTo("global");
        for (String side : new String[] {"original", "pruned"}) {
            assertThat(j.get(side).get("fileBytes").asLong()).isPositive();
            assertThat(j.get(side).get("accuracy").asDouble()).isBetween(0.5, 1.0);
            assertThat(j.get(side).get("latencyMs").asDouble()).isPositive();
        }
        assertThat(j.get("agreement").get("top1").asDouble()).isBetween(0.5, 1.0);
        assertThat(j.get("layers")).hasSize(3);
        // fc1 (100,352 weights) is stored in 4 row blocks of at most 32,768 so each has 16-bit indices
        assertThat(j.get("layers").get(0).get("format").asText()).isEqualTo("sparse linear int16 in 4 blocks");
        // 40% of fc1 kept as 4-byte values + 2-byte indices: 0.6 of its dense bytes
        assertThat(j.get("pruned").get("fileBytes").asLong()).isLessThan(j.get("original").get("fileBytes").asLong() * 65 / 100);
        assertThat(j.get("refit").isNull()).isTrue();
        assertThat(j.get("layers").get(0).get("shape")).hasSize(2);
        // OUT exists now: refused without --force
        assertThat(run("prune", TestData.FASHION_MLP.toString(), "-o", p.toString())).isEqualTo(2);
        assertThat(err).contains("exists");
    }

    @Test
    void refitOnSeparateDataKeepsTheMaskAndReportsEachLayer() throws Exception {
        Path plain = tmp.resolve("plain.onnx");
        Path refit = tmp.resolve("refit.onnx");
        String[] common = {"--sparsity", "0.8", "--eval-data", IDX, "--eval-samples", "1000", "--latency-runs", "5",
                "--sparse-storage"};
        assertThat(run(concat(new String[] {"prune", TestData.FASHION_MLP.toString(), "-o", plain.toString()}, common)))
                .as(err).isZero();
        // calibration: the last 1,000 images of the subset, evaluation: the first 1,000
        Path calib = tmp.resolve("calib-idx3-ubyte");
        writeTail(Path.of(IDX), calib, 1000);
        int code = run(concat(new String[] {"prune", TestData.FASHION_MLP.toString(), "-o", refit.toString(), "--refit",
                "--calib-data", calib.toString(), "--calib-samples", "1000"}, common));
        assertThat(code).as(err).isZero();
        assertThat(out).contains("Re-fit:", "/fc1/Gemm error", "1000 samples").doesNotContain("optimistic");
        JsonNode a = new ObjectMapper().readTree(tmp.resolve("plain.onnx.report.json").toFile());
        JsonNode b = new ObjectMapper().readTree(tmp.resolve("refit.onnx.report.json").toFile());
        assertThat(b.get("refit").get("samples").asInt()).isEqualTo(1000);
        assertThat(b.get("refit").get("onEvaluationData").asBoolean()).isFalse();
        assertThat(b.get("refit").get("layers")).hasSize(3).allSatisfy(l -> {
            assertThat(l.get("refit").asBoolean()).isTrue();
            assertThat(l.get("errorAfter").asDouble()).isLessThan(l.get("errorBefore").asDouble());
        });
        // same mask, same file size; accuracy on images the re-fit did not see is higher
        assertThat(b.get("overallSparsity").asDouble()).isEqualTo(a.get("overallSparsity").asDouble());
        assertThat(b.get("pruned").get("fileBytes").asLong()).isEqualTo(a.get("pruned").get("fileBytes").asLong());
        assertThat(b.get("pruned").get("accuracy").asDouble()).isGreaterThan(a.get("pruned").get("accuracy").asDouble() + 0.05);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** The last {@code n} images of an IDX file (gzip in, plain out). */
    private static void writeTail(Path gz, Path out, int n) throws Exception {
        byte[] all;
        try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(gz))) {
            all = in.readAllBytes();
        }
        java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(all);
        int magic = h.getInt();
        int count = h.getInt();
        int rows = h.getInt();
        int cols = h.getInt();
        java.nio.ByteBuffer o = java.nio.ByteBuffer.allocate(16 + n * rows * cols);
        o.putInt(magic).putInt(n).putInt(rows).putInt(cols);
        o.put(all, 16 + (count - n) * rows * cols, n * rows * cols);
        Files.write(out, o.array());
    }

    @Test
    void badOptionsExitTwoAndWriteNothing() {
        Path p = tmp.resolve("x.onnx");
        assertThat(run("prune", TestData.FASHION_MLP.toString(), "-o", p.toString(), "--method", "nm:3:2")).isEqualTo(2);
        assertThat(err).contains("nm:N:M");
        assertThat(run("prune", TestData.FASHION_MLP.toString(), "-o", p.toString(), "--sparsity", "1.5")).isEqualTo(2);
        assertThat(run("prune", TestData.FASHION_MLP.toString(), "-o", p.toString(), "--quantize", "int4")).isEqualTo(2);
        assertThat(err).contains("--quantize supports int8");
        assertThat(run("prune", TestData.FASHION_MLP.toString(), "-o", p.toString(), "--allocation", "fancy")).isEqualTo(2);
        assertThat(err).contains("uniform, erk or sensitivity");
        assertThat(run("prune", TestData.FASHION_MLP.toString(), "-o", p.toString(), "--method", "channel",
                "--scope", "global")).isEqualTo(4);
        assertThat(err).contains("--method magnitude");
        assertThat(run("prune", TestData.FASHION_MLP.toString(), "-o", p.toString(), "--calib-data", IDX)).isEqualTo(2);
        assertThat(err).contains("--calib-data is only used with --refit");
        assertThat(run("prune", TestData.FASHION_MLP.toString(), "-o", p.toString(), "--refit", "--method", "channel"))
                .isEqualTo(2);
        assertThat(err).contains("--refit keeps a pruning mask");
        assertThat(run("prune", tmp.resolve("missing.onnx").toString(), "-o", p.toString())).isEqualTo(3);
        assertThat(p).doesNotExist();
    }

    @Test
    void prunesTorchScriptAndTheWrittenPtHoldsTheZeros() throws Exception {
        Path p = tmp.resolve("cnn-sparse.pt");
        int code = run("prune", TestData.SAMPLES.resolve("fashion-mnist/fashion_cnn.pt").toString(), "-o", p.toString(),
                "--method", "nm:2:4", "--eval-data", IDX, "--eval-samples", "200");
        assertThat(code).as(err).isZero();
        assertThat(out).contains("nm:2:4", "Agreement");
        try (TorchRuntime rt = TorchRuntime.open(p, 1)) {
            float[] w = rt.parameters().get("fc1.weight").toFloats();
            long zeros = 0;
            for (float f : w) if (f == 0f) zeros++;
            assertThat(zeros).isEqualTo(w.length / 2);
        }
        JsonNode j = new ObjectMapper().readTree(tmp.resolve("cnn-sparse.pt.report.json").toFile());
        assertThat(j.get("agreement").get("samples").asInt()).isEqualTo(200);
        assertThat(Files.size(p)).isPositive();
    }

    @Test
    void sparseBenchReportsEveryConfigurationAndTheCrossover() throws Exception {
        int code = run("sparse-bench", "--rows", "64", "--cols", "96", "--sparsity", "0.5,0.95", "--batch", "1,16",
                "--seconds", "0.02", "--json");
        assertThat(code).as(err).isZero();
        JsonNode j = new ObjectMapper().readTree(out);
        assertThat(j.get("results")).hasSize(4);
        for (JsonNode r : j.get("results")) {
            for (String k : new String[] {"denseMs", "ortDenseMs", "csrMs", "bsrMs"}) {
                assertThat(r.get(k).asDouble()).as(k).isPositive();
            }
        }
        assertThat(j.get("crossover").get("16").has("csr")).isTrue();
        assertThat(run("sparse-bench", "--sparsity", "1.2", "--rows", "8", "--cols", "8")).isEqualTo(2);
        assertThat(err).contains("--sparsity must be 0..0.999, not 1.2");
    }
}
