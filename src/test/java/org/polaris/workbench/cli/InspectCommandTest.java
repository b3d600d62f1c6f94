package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class InspectCommandTest {

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
    void jsonHasTheDocumentedFields() throws Exception {
        assertThat(run("inspect", "--json", "--weights", TestData.FASHION_CNN.toString())).isZero();
        JsonNode j = new ObjectMapper().readTree(out);
        assertThat(j.fieldNames()).toIterable().contains("file", "fileBytes", "irVersion", "opsets", "producer",
                "inputs", "outputs", "ops", "parameters", "weightBytes", "weights");
        assertThat(j.get("fileBytes").asLong()).isEqualTo(Files.size(TestData.FASHION_CNN));
        assertThat(j.get("opsets").get("ai.onnx").asInt()).isEqualTo(13);
        JsonNode input = j.get("inputs").get(0);
        assertThat(input.get("name").asText()).isEqualTo("image");
        assertThat(input.get("dtype").asText()).isEqualTo("float32");
        assertThat(input.get("shape").toString()).isEqualTo("[\"batch\",1,28,28]");
        assertThat(j.get("ops").get("Conv").asInt()).isEqualTo(2);
        // The training script reports 105,962 trainable parameters; BatchNorm folding into Conv keeps the count
        // of stored weights close but not equal, so check the sum from the weights array instead.
        long sum = 0;
        for (JsonNode w : j.get("weights")) {
            sum += w.get("count").asLong();
            assertThat(w.fieldNames()).toIterable().contains("name", "dtype", "shape", "count", "min", "max",
                    "mean", "std", "zeroFraction");
        }
        assertThat(j.get("parameters").asLong()).isEqualTo(sum).isGreaterThan(100_000);
    }

    @Test
    void textOutputNamesInputsOutputsAndRuntime() {
        assertThat(run("inspect", TestData.MNIST8.toString())).isZero();
        assertThat(out).contains("Input3", "float32[1,1,28,28]", "Plus214_Output_0", "Conv 2", "ONNX Runtime");
        assertThat(err).isEmpty();
    }

    @Test
    void badModelExitsWithThreeAndOneLineOnStderr() throws Exception {
        Path bad = Files.writeString(tmp.resolve("bad.onnx"), "not a model");
        assertThat(run("inspect", bad.toString())).isEqualTo(3);
        assertThat(err).startsWith("error: " + bad).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(err.strip().lines()).hasSize(1);
        assertThat(out).isEmpty();
        assertThat(run("inspect", tmp.resolve("missing.onnx").toString())).isEqualTo(3);
        assertThat(err).contains("no such file");
    }

    @Test
    void usageErrorsExitWithTwo() {
        assertThat(run("inspect")).isEqualTo(2);
        assertThat(err).contains("Missing required parameter");
        assertThat(run("inspect", "--bogus", TestData.MNIST8.toString())).isEqualTo(2);
        assertThat(run("no-such-command")).isEqualTo(2);
    }

    @Test
    void helpAndVersionExitWithZero() {
        assertThat(run("--help")).isZero();
        assertThat(out).contains("inspect");
        assertThat(run("--version")).isZero();
        assertThat(out).contains("polaris-workbench");
    }
}
