package org.polaris.workbench.testutil;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The real-model corpus, exported with Debian's PyTorch/torchvision into {@code target/corpus-models} on first use
 * (src/bench/python/make_corpus_models.py, train_residual_cnn.py). Skips a test locally without python3-torch;
 * under CI, which installs it, a missing model is a failure.
 */
public final class CorpusModels {

    public static final Path DIR = Path.of("target/corpus-models");
    private static final String PYTHON = "/usr/bin/python3";

    private CorpusModels() {
    }

    /** The models of the CI set, exported if missing. */
    public static synchronized Path get(String name) throws IOException, InterruptedException {
        Path p = DIR.resolve(name + ".onnx");
        if (!Files.exists(p)) {
            run(List.of(PYTHON, "src/bench/python/make_corpus_models.py", DIR.toString(), "ci"));
        }
        return require(p);
    }

    /** The trained Fashion-MNIST residual CNN (about three minutes to train, once). */
    public static synchronized Path trainedResidualCnn() throws IOException, InterruptedException {
        Path p = DIR.resolve("residual_cnn.onnx");
        if (!Files.exists(p)) {
            run(List.of(PYTHON, "src/bench/python/train_residual_cnn.py", p.toString(), "2"));
        }
        return require(p);
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            return;
        }
        Files.createDirectories(DIR);
        List<String> full = new ArrayList<>(cmd);
        ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process proc = pb.start();
        proc.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        proc.waitFor();
    }

    private static Path require(Path p) {
        if (!Files.exists(p) && System.getenv("CI") != null) {
            throw new IllegalStateException("CI must install python3-torch and python3-torchvision to export " + p);
        }
        Assumptions.assumeTrue(Files.exists(p), "python3-torch is not installed: " + p + " cannot be exported");
        return p;
    }
}
