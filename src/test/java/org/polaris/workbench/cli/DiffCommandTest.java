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

class DiffCommandTest {

    private static final String IMAGES = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz").toString();

    @TempDir
    Path tmp;

    @Test
    void prunedVersionMatchesEveryNodeAndPrintsTheTable() throws Exception {
        Path pruned = tmp.resolve("pruned.onnx");
        assertThat(CliRun.of("prune", TestData.FASHION_CNN.toString(), "-o", pruned.toString(), "--sparsity", "0.5",
                "--eval-samples", "50").code()).isZero();
        CliRun r = CliRun.of("diff", TestData.FASHION_CNN.toString(), pruned.toString(), "--data", IMAGES);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("fashion_cnn.onnx: 10 operators; pruned.onnx: 10 operators",
                "Matched 10 by name, 0 by structure; 0 only in fashion_cnn.onnx (removed), 0 only in pruned.onnx (added)",
                "Input: t10k-2000-images-idx3-ubyte.gz", "Largest output change: ");
        assertThat(r.out().lines().filter(l -> l.startsWith("/conv2/Conv ")).findFirst().orElseThrow())
                .contains("name", "Conv", "float32", "18560 > 18560", "0% > ");

        CliRun j = CliRun.of("diff", TestData.FASHION_CNN.toString(), pruned.toString(), "--json");
        assertThat(j.code()).isZero();
        JsonNode d = new ObjectMapper().readTree(j.out());
        assertThat(d.get("matchedByName").asInt()).isEqualTo(10);
        assertThat(d.get("rows").size()).isEqualTo(10);
        assertThat(d.get("rows").get(0).fieldNames()).toIterable().contains("nodeA", "nodeB", "match", "cosine",
                "maxAbsError", "msA", "msB");
    }

    @Test
    void anUnreadableModelExitsThreeWithOneLineNamingIt() throws Exception {
        Path junk = Files.write(tmp.resolve("junk.onnx"), new byte[] {9, 9, 9});
        CliRun r = CliRun.of("diff", TestData.FASHION_CNN.toString(), junk.toString());
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.err().lines().count()).isEqualTo(1);
        assertThat(r.err()).contains(junk.toString());
        CliRun missing = CliRun.of("diff", tmp.resolve("nope.onnx").toString(), TestData.FASHION_CNN.toString());
        assertThat(missing.code()).isEqualTo(3);
        assertThat(missing.err()).contains("nope.onnx");
    }
}
