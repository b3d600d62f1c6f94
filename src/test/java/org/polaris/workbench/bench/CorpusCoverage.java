package org.polaris.workbench.bench;

import org.polaris.workbench.cli.CorpusIT;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.testutil.CliRun;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The full real-model corpus through every command, as CorpusIT runs the CI share of it: exports the full set
 * (src/bench/python/make_corpus_models.py OUT full) and writes the coverage table into docs/benchmarks.md.
 * Run: {@code ./mvnw -q test-compile exec:exec@bench-corpus} (about ten minutes here).
 */
public final class CorpusCoverage {

    private static final Path DIR = Path.of("target/corpus-models");

    public static final List<CorpusIT.Case> FULL = List.of(
            new CorpusIT.Case("resnet18", List.of("--shape", "image=1x3x224x224")),
            new CorpusIT.Case("efficientnet_b0", List.of("--shape", "image=1x3x224x224")),
            new CorpusIT.Case("regnet_y_400mf", List.of("--shape", "image=1x3x224x224")),
            new CorpusIT.Case("convnext_tiny", List.of("--shape", "image=1x3x224x224")),
            new CorpusIT.Case("deeplabv3_mobilenet_v3", List.of("--shape", "image=1x3x256x256")),
            new CorpusIT.Case("fasterrcnn_mobilenet_v3_320_fpn", List.of("--shape", "image=3x320x320")));

    private CorpusCoverage() {
    }

    public static void main(String[] args) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/python3", "src/bench/python/make_corpus_models.py", DIR.toString(), "full")
                .redirectErrorStream(true).start();
        String exportLog = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        Path tmp = Files.createTempDirectory("polaris-corpus");
        List<CorpusIT.Case> all = new ArrayList<>(CorpusIT.CASES);
        all.addAll(FULL);
        StringBuilder t = new StringBuilder();
        t.append("| model | inputs (flags) | run | bench (ORT, batch 1, median ms) | weight-only INT8 | static INT8 (.npz) "
                + "| prune 50% | seconds |\n|---|---|---|---:|---|---|---|---:|\n");
        for (CorpusIT.Case c : all) {
            Path model = DIR.resolve(c.model() + ".onnx");
            if (!Files.exists(model)) {
                t.append("| ").append(c.model()).append(" | | not exported: see below | | | | | |\n");
                continue;
            }
            long t0 = System.nanoTime();
            OnnxModel m = new OnnxModelReader().read(model);
            String run = status(CliRun.of(array(CorpusIT.args("run", model, c.flags()))));
            CliRun bench = CliRun.of(array(CorpusIT.args("bench", model, c.flags(), "--warmup", "5", "--runs", "20", "--json")));
            String benchCell = bench.code() == 0 ? median(bench.out()) : status(bench);
            String w8 = status(CliRun.of(array(CorpusIT.args("quantize", model, "-o", tmp.resolve(c.model() + "-w8.onnx"),
                    "--mode", "weight-only", c.flags(), "--eval-samples", "4", "--latency-runs", "5"))));
            Path calib = CorpusIT.calibrationFolder(tmp, m, c);
            String s8 = status(CliRun.of(array(CorpusIT.args("quantize", model, "-o", tmp.resolve(c.model() + "-s8.onnx"),
                    "--calib-data", calib, "--calib-samples", "4", "--eval-samples", "4", "--latency-runs", "5",
                    "--no-speed-check", "--min-cosine", "0.5", CorpusIT.inputsOnly(c.flags())))));
            String pr = status(CliRun.of(array(CorpusIT.args("prune", model, "-o", tmp.resolve(c.model() + "-p50.onnx"),
                    "--sparsity", "0.5", c.flags(), "--eval-samples", "4", "--latency-runs", "5"))));
            t.append(String.format(Locale.ROOT, "| %s | `%s` | %s | %s | %s | %s | %s | %.0f |%n", c.model(),
                    String.join(" ", c.flags()), run, benchCell, w8, s8, pr, (System.nanoTime() - t0) / 1e9));
            System.out.println(c.model() + " done");
        }
        String notExported = exportLog.lines().filter(l -> l.startsWith("could not export")).reduce("", (a, b) -> a + "- " + b + "\n");
        String doc = "## Real-model corpus (`bench-corpus`)\n\n"
                + "Every command on models exported with Debian's PyTorch 1.13 / torchvision 0.14 (random weights "
                + "with batch-norm statistics measured on random images; detectors keep every detection; dynamic "
                + "batch, image size, sequence length and state inputs kept). Static INT8 calibrates on four "
                + "generated samples saved as an `.npz` folder; every written model was re-read in a fresh ONNX "
                + "Runtime session by the command itself. \"ok\" is exit 0; otherwise the exit code and the message.\n\n"
                + "Machine: " + BenchDoc.machine() + ".\n"
                + "Command: `./mvnw -q test-compile exec:exec@bench-corpus` (rewrites this section). The first eight "
                + "rows are the CI share (CorpusIT), which also runs 127 ONNX conformance models (pytorch-converted, "
                + "pytorch-operator, simple) on their own test data and compresses the 27 that hold weights.\n\n" + t
                + (notExported.isEmpty() ? "" : "\nNot exported by torch.onnx 1.13 (so not tested):\n\n" + notExported);
        BenchDoc.replaceSection("corpus", doc);
    }

    private static String[] array(List<String> a) {
        return a.toArray(String[]::new);
    }

    private static String status(CliRun r) {
        if (r.code() == 0) {
            return "ok";
        }
        String last = r.err().lines().filter(l -> !l.startsWith("[")).reduce((a, b) -> b).orElse("");
        return "exit " + r.code() + ": " + last.replace("|", "/").replaceAll("\\s+", " ");
    }

    private static String median(String json) throws Exception {
        var n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        var c = n.path("configurations").path(0).path("latencyMs").path("p50");
        return c.isMissingNode() ? "ok" : String.format(Locale.ROOT, "%.2f", c.asDouble());
    }
}
