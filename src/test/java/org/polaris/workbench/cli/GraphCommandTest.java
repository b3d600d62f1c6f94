package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.TestData;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class GraphCommandTest {

    private static final String IMAGES = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz").toString();

    @TempDir
    Path tmp;

    private static Document svg(Path p) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(p.toFile());
    }

    @Test
    void writesAnSvgWithOneBoxPerNodeAndOneLinePerEdgeAndRunShapes() throws Exception {
        Path out = tmp.resolve("cnn.svg");
        CliRun r = CliRun.of("graph", TestData.FASHION_CNN.toString(), "-o", out.toString(), "--data", IMAGES);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("fashion_cnn.onnx: 10 operators (10 with subgraphs), 12 boxes, 11 edges, 0 subgraphs",
                "Wrote " + out);
        Document d = svg(out);
        assertThat(d.getElementsByTagName("g").getLength()).isEqualTo(12);
        assertThat(d.getElementsByTagName("polyline").getLength()).isEqualTo(11);
        // shapes from one engine run on the sample, on the edges
        assertThat(Files.readString(out)).contains(">1x16x28x28</text>", ">1x10</text>", ">Conv</text>", ">W float32[16x1x3x3]</text>");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rw-r--r--");
    }

    @Test
    void timeOverlayColoursEveryTimedNodeAndPrintsItsLegend() throws Exception {
        CliRun r = CliRun.of("graph", TestData.FASHION_CNN.toString(), "--overlay", "time", "--json", "--shapes", "declared");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("overlay").get("kind").asText()).isEqualTo("TIME");
        assertThat(j.get("overlay").get("source").asText()).startsWith("engine profile of fashion_cnn.onnx, 1 thread");
        // the engine folds each Relu into the Conv/Gemm before it: those have no time of their own
        assertThat(j.get("overlay").get("marks").fieldNames()).toIterable().containsExactlyInAnyOrder("/conv1/Conv",
                "/MaxPool", "/conv2/Conv", "/MaxPool_1", "/Flatten", "/fc1/Gemm", "/fc2/Gemm");
        assertThat(j.get("overlay").get("highlighted").size()).isGreaterThan(0);
    }

    @Test
    void subgraphsAreReachedByNodeAndAttribute() {
        String loop = TestData.CONFORMANCE.resolve("node/test_loop11/model.onnx").toString();
        CliRun r = CliRun.of("graph", loop, "--subgraph", "Loop#0@body", "--shapes", "declared");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("model.onnx Loop#0 > body: 7 operators");
        CliRun bad = CliRun.of("graph", loop, "--subgraph", "Loop#0@else_branch");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err().strip()).isEqualTo("error: --subgraph: node 'Loop#0' has no subgraph 'else_branch' (it has [body])");
    }

    @Test
    void refusesToReplaceAFileAndBadInputGetsOneLine() throws Exception {
        Path out = Files.writeString(tmp.resolve("keep.svg"), "mine");
        CliRun r = CliRun.of("graph", TestData.FASHION_CNN.toString(), "-o", out.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(Files.readString(out)).isEqualTo("mine");
        assertThat(r.err().lines().count()).isEqualTo(1);

        Path junk = Files.write(tmp.resolve("junk.onnx"), new byte[] {1, 2, 3, 4, 5});
        CliRun j = CliRun.of("graph", junk.toString());
        assertThat(j.code()).isEqualTo(3);
        assertThat(j.err().lines().count()).isEqualTo(1);
        assertThat(j.err()).contains(junk.toString()).doesNotContain("Exception");

        assertThat(CliRun.of("graph", TestData.FASHION_CNN.toString(), "--overlay", "colour").code()).isEqualTo(2);
        CliRun noReport = CliRun.of("graph", TestData.FASHION_CNN.toString(), "--overlay", "sensitivity");
        assertThat(noReport.code()).isEqualTo(2);
        assertThat(noReport.err()).contains("--sensitivity-report");
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("keep.svg", "junk.onnx");
        }
    }
}
