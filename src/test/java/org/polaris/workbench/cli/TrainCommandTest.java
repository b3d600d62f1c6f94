package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code train}: a RigL run end to end on the bundled data, and its refusals with their exit codes. */
class TrainCommandTest {

    private static final Path IMAGES = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

    @TempDir
    Path tmp;

    @Test
    void riglWritesAVerifiedModelAtItsSparsityAndAReport() throws Exception {
        Path out = tmp.resolve("mlp-rigl.onnx");
        CliRun r = CliRun.of("train", TestData.FASHION_MLP.toString(), "-o", out.toString(), "--data", IMAGES.toString(),
                "--train-samples", "1500", "--eval-data", IMAGES.toString(), "--method", "rigl", "--sparsity", "0.8",
                "--allocation", "uniform", "--update-every", "10", "--epochs", "2", "--batch", "50");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("epoch 1/2: loss ").contains("epoch 2/2: loss ").contains("sparsity fc1.weight 80.0%")
                .contains("Wrote " + out + ": accuracy ").contains("(verified in a fresh ONNX Runtime session");
        for (Tensor t : new OnnxModelReader().read(out).graph().initializers()) {
            if (t.rank() < 2) continue;
            long zeros = 0;
            for (float v : t.toFloats()) if (v == 0) zeros++;
            assertThat((double) zeros / t.elementCount()).as(t.name()).isCloseTo(0.8, org.assertj.core.data.Offset.offset(0.001));
        }
        JsonNode report = new ObjectMapper().readTree(tmp.resolve("mlp-rigl.onnx.report.json").toFile());
        assertThat(report.get("epochs")).hasSize(2);
        assertThat(report.get("trainSamples").asInt()).isEqualTo(1500);
        assertThat(report.get("maskUpdates").size()).isEqualTo(3 * 4); // 60 steps, updates at 10..40, 3 layers
        assertThat(report.get("options").get("seed").asLong()).isEqualTo(1);
    }

    @Test
    void refusalsHaveTheirExitCodes() throws Exception {
        CliRun r = CliRun.of("train", TestData.FASHION_MLP.toString(), "-o", tmp.resolve("x.onnx").toString(), "--data",
                IMAGES.toString(), "--method", "lottery");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: unknown training method 'lottery': use static, gmp, rigl or qat");

        Path add = TestData.CONFORMANCE.resolve("node/test_add/model.onnx");
        r = CliRun.of("train", add.toString(), "-o", tmp.resolve("y.onnx").toString(), "--data", IMAGES.toString());
        assertThat(r.code()).isEqualTo(5);
        assertThat(r.err().strip()).isEqualTo("error: " + add + ": training takes a model with one input; this one has 2");

        Path unlabelled = Files.copy(IMAGES, tmp.resolve("images-idx3-ubyte.gz"));
        r = CliRun.of("train", TestData.FASHION_MLP.toString(), "-o", tmp.resolve("z.onnx").toString(), "--data",
                unlabelled.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("training needs labels");
        assertThat(tmp.resolve("x.onnx")).doesNotExist();
        assertThat(tmp.resolve("y.onnx")).doesNotExist();
        assertThat(tmp.resolve("z.onnx")).doesNotExist();
    }

    @Test
    void labelsFromTheirOwnFileAndACheckpointThatResumes() throws Exception {
        Path unlabelled = Files.copy(IMAGES, tmp.resolve("pictures.gz"));
        Path labels = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-labels-idx1-ubyte.gz");
        Path ck = tmp.resolve("ck");
        Path out = tmp.resolve("mlp.onnx");
        String[] args = {"train", TestData.FASHION_MLP.toString(), "-o", out.toString(), "--data", unlabelled.toString(),
                "--labels", labels.toString(), "--train-samples", "400", "--epochs", "2", "--batch", "50",
                "--checkpoint", ck.toString()};
        CliRun r = CliRun.of(args);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("epoch 2/2: loss ").contains(", checkpoint saved");
        JsonNode report = new ObjectMapper().readTree(tmp.resolve("mlp.onnx.report.json").toFile());
        assertThat(report.get("trainData").asText()).isEqualTo("pictures.gz: 400 images 28x28, labels from t10k-2000-labels-idx1-ubyte.gz");

        // the finished run resumes to the same model without training again
        Path again = tmp.resolve("again.onnx");
        args[3] = again.toString();
        java.util.List<String> resume = new java.util.ArrayList<>(java.util.List.of(args));
        resume.add("--resume");
        r = CliRun.of(resume.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("Resuming " + ck + " after epoch 2 of 2").doesNotContain("epoch 1/2");
        assertThat(Files.readAllBytes(again)).isEqualTo(Files.readAllBytes(out));

        // a checkpoint is not replaced unasked, and --resume needs one
        args[3] = tmp.resolve("third.onnx").toString();
        r = CliRun.of(args);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: " + ck + ": holds a checkpoint already; resume it, or start over "
                + "with --force (which replaces it)");
        r = CliRun.of("train", TestData.FASHION_MLP.toString(), "-o", tmp.resolve("fourth.onnx").toString(), "--data",
                IMAGES.toString(), "--resume");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: --resume needs --checkpoint DIR");
        assertThat(tmp.resolve("third.onnx")).doesNotExist();
        assertThat(tmp.resolve("fourth.onnx")).doesNotExist();
    }
}
