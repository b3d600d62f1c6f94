package org.polaris.workbench.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.TestData;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --cluster spark} from the command line: the same results as in-process, and the one line when Spark is missing. */
class SparkCliTest {

    static final Path T10K = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

    @TempDir
    Path tmp;

    @Test
    void batchAndSearchRunOnSparkLocalAndMatchTheInProcessRun() throws Exception {
        Path local = tmp.resolve("local");
        Path spark = tmp.resolve("spark");
        CliRun a = CliRun.of("batch", TestData.FASHION_MLP.toString(), "--data", T10K.toString(), "--out", local.toString(),
                "--samples", "300", "--shard-size", "100");
        assertThat(a.code()).as(a.err()).isZero();
        CliRun b = CliRun.of("batch", TestData.FASHION_MLP.toString(), "--data", T10K.toString(), "--out", spark.toString(),
                "--samples", "300", "--shard-size", "100", "--cluster", "spark", "--master", "local[2]");
        assertThat(b.code()).as(b.err()).isZero();
        assertThat(b.out()).startsWith("300 samples in 3 shards (0 already done) in ");
        assertThat(Files.readAllBytes(spark.resolve("topk.csv"))).isEqualTo(Files.readAllBytes(local.resolve("topk.csv")));
        for (int i = 0; i < 3; i++) {
            String f = String.format("shard-%05d.npz", i);
            assertThat(Files.readAllBytes(spark.resolve(f))).as(f).isEqualTo(Files.readAllBytes(local.resolve(f)));
        }
        assertThat(new ObjectMapper().readTree(spark.resolve("summary.json").toFile()).get("runner").asText())
                .isEqualTo("Spark local[2]");

        Path space = Files.writeString(tmp.resolve("space.json"), "{\"kinds\": [\"fp16\", \"weight-int8\"]}");
        Path out = tmp.resolve("best.onnx");
        Path report = tmp.resolve("best.json");
        CliRun s = CliRun.of("search", TestData.FASHION_MLP.toString(), "-o", out.toString(), "--eval-data", T10K.toString(),
                "--eval-samples", "300", "--latency-runs", "10", "--tolerance", "1", "--objective", "size", "--space",
                space.toString(), "--report", report.toString(), "--cluster", "spark", "--master", "local[2]");
        assertThat(s.code()).as(s.err()).isZero();
        JsonNode r = new ObjectMapper().readTree(report.toFile());
        assertThat(r.get("runner").asText()).isEqualTo("Spark local[2]");
        assertThat(r.get("chosen").asText()).isEqualTo("weight-int8");
        List<String> ids = new ArrayList<>();
        r.get("candidates").forEach(c -> ids.add(c.get("id").asText() + " " + c.get("status").asText()));
        assertThat(ids).containsExactly("fp16 EVALUATED", "weight-int8 EVALUATED");
        assertThat(out).isRegularFile();
    }

    @Test
    void withoutSparkOnTheClassPathTheCommandSaysHowToGetIt() throws Exception {
        // the same build, started without Spark's jars (as `java -jar target/polaris-workbench.jar` is)
        String cp = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.contains("/org/apache/spark/") && !e.contains("/org/scala-lang/"))
                .collect(Collectors.joining(File.pathSeparator));
        Path out = tmp.resolve("out");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", cp,
                "org.polaris.workbench.cli.Main", "batch", TestData.FASHION_MLP.toString(), "--data", T10K.toString(),
                "--out", out.toString(), "--cluster", "spark");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(text).isEqualTo(2);
        assertThat(text.strip()).isEqualTo("error: --cluster spark: Apache Spark is not on this program's class path; build "
                + "the Spark jar with `./mvnw -q -DskipTests package assembly:single@spark-jar` and start it with "
                + "spark-submit: `spark-submit --class org.polaris.workbench.cli.Main target/polaris-workbench-spark.jar "
                + "COMMAND ... --cluster spark` (see \"Running on a cluster\" in the user guide)");
        assertThat(out).doesNotExist();
    }
}
