package org.polaris.workbench.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code search}: a narrowed search end to end, nothing-qualifies (exit 4) and the refusals. */
class SearchCommandTest {

    private static final Path IMAGES = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

    @TempDir
    Path tmp;

    @Test
    void aNarrowedSearchPrintsEveryCandidateAndTheFrontier() throws Exception {
        Path space = Files.writeString(tmp.resolve("space.json"), "{\"kinds\": [\"static-int8\"], \"calibrations\": [\"minmax\"]}");
        Path out = tmp.resolve("best.onnx");
        CliRun r = CliRun.of("search", TestData.FASHION_MLP.toString(), "-o", out.toString(), "--eval-data", IMAGES.toString(),
                "--eval-samples", "300", "--latency-runs", "10", "--tolerance", "1", "--space", space.toString());
        assertThat(r.code()).as(r.err()).isIn(0, 4);
        assertThat(r.out()).contains("static-int8-minmax ").contains("static-int8-minmax-per-tensor ")
                .contains("Frontier (accuracy against latency; original ").contains("Report:  " + tmp.resolve("best.onnx.report.json"));
        assertThat(Files.exists(out)).isEqualTo(r.code() == 0);
        if (r.code() == 4) assertThat(r.err()).contains("is faster than the original here");
    }

    @Test
    void nothingWithinTheToleranceIsExitFourAndRefusalsAreUsageErrors() throws Exception {
        Path space = Files.writeString(tmp.resolve("space.json"), "{\"kinds\": [\"prune\"], \"sparsities\": [0.9], \"refit\": false}");
        Path out = tmp.resolve("best.onnx");
        CliRun r = CliRun.of("search", TestData.FASHION_MLP.toString(), "-o", out.toString(), "--eval-data", IMAGES.toString(),
                "--eval-samples", "300", "--latency-runs", "10", "--tolerance", "0.5", "--space", space.toString());
        assertThat(r.code()).isEqualTo(4);
        // progress lines first, then the one error line
        assertThat(r.err().strip().lines().reduce((a, b) -> b).orElseThrow()).isEqualTo("error: " + TestData.FASHION_MLP
                + ": no candidate stays within 0.5 points of the original; nothing was written");
        assertThat(out).doesNotExist();

        r = CliRun.of("search", TestData.FASHION_MLP.toString(), "-o", out.toString(), "--eval-data", IMAGES.toString(),
                "--tolerance", "1", "--cluster", "spark", "--master", "mesos://old:5050");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: --master mesos://old:5050: use local[N], local[N,ATTEMPTS], "
                + "spark://HOST:PORT, k8s://https://HOST:PORT or yarn");
        r = CliRun.of("search", TestData.FASHION_MLP.toString(), "-o", out.toString(), "--eval-data", IMAGES.toString(),
                "--tolerance", "1", "--objective", "beauty");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: unknown objective 'beauty': use latency or size");
        assertThat(out).doesNotExist();
    }
}
