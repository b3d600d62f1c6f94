package org.polaris.workbench.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code batch}: a run, its resume, and the refusals with their exit codes. */
class BatchCommandTest {

    private static final Path IMAGES = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

    @TempDir
    Path tmp;

    @Test
    void runsResumesAndRefuses() throws Exception {
        Path out = tmp.resolve("outs");
        String[] args = {"batch", TestData.FASHION_MLP.toString(), "--data", IMAGES.toString(), "--out", out.toString(),
                "--samples", "300", "--shard-size", "100"};
        CliRun r = CliRun.of(args);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("300 samples in 3 shards (0 already done) in ");
        r = CliRun.of(args);
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("300 samples in 3 shards (3 already done) in ");
        assertThat(Files.readAllLines(out.resolve("topk.csv"))).hasSize(301);

        r = CliRun.of("batch", TestData.FASHION_MLP.toString(), "--data", IMAGES.toString(), "--out", out.toString(),
                "--samples", "300", "--shard-size", "100", "--master", "local[2]");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: --master needs --cluster spark");
        r = CliRun.of("batch", TestData.FASHION_MLP.toString(), "--data", IMAGES.toString(), "--out", out.toString(),
                "--cluster", "ray");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: --cluster must be local or spark, not ray");
        Path file = Files.writeString(tmp.resolve("file.txt"), "x");
        r = CliRun.of("batch", TestData.FASHION_MLP.toString(), "--data", IMAGES.toString(), "--out", file.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: " + file + ": is not a folder");
        assertThat(Files.readString(file)).isEqualTo("x");
    }
}
