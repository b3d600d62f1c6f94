package org.polaris.workbench.bench;

import org.polaris.workbench.engine.data.Dataset;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.ImageFolderDataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.quant.Calibration;
import org.polaris.workbench.engine.quant.Evaluation;
import org.polaris.workbench.engine.quant.QuantEvaluator;
import org.polaris.workbench.engine.quant.QuantOptions;
import org.polaris.workbench.engine.quant.QuantReport;
import org.polaris.workbench.engine.quant.QuantRequest;
import org.polaris.workbench.engine.quant.QuantizeService;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The quantization acceptance runs of issue 3, measured with the real engine and ONNX Runtime in one JVM, written
 * to docs/benchmarks.md. Run: {@code ./mvnw -q test-compile exec:exec@bench-quant} (needs Debian's python3-torch
 * and python3-torchvision to export MobileNetV2/ResNet18, and dataset-fashion-mnist for the full test set; rows
 * whose inputs are missing are reported as skipped).
 */
public final class QuantBenchmark {

    private static final Path SAMPLES = Path.of(System.getProperty("polaris.samples.dir", "samples"));
    private static final Path FULL_TEST = Path.of("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
    private static final Path SUBSET = SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");
    private static final Path PHOTOS = Path.of(System.getProperty("polaris.images.dir", "../shared/images"));
    private static final Path OUT = Path.of("target/bench-quant");

    private QuantBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Files.createDirectories(OUT);
        Path models = Path.of("target/bench-models");
        boolean torch = exportTorchvision(models);
        List<String> rows = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Preprocessing unit = Preprocessing.unitScale();
        Dataset calib = IdxDataset.open(SUBSET, unit, 200);
        Dataset fullTest = Files.exists(FULL_TEST) ? IdxDataset.open(FULL_TEST, unit, 0) : IdxDataset.open(SUBSET, unit, 0);
        String evalName = Files.exists(FULL_TEST) ? "full 10,000-image test set" : "2,000-image subset (full set missing)";

        QuantReport cnn = run("fashion_cnn static INT8 per-channel", SAMPLES.resolve("fashion-mnist/fashion_cnn.onnx"),
                QuantOptions.staticInt8(), calib, 200, fullTest, 10_000, 1, rows);
        run("fashion_cnn static INT8 per-channel (batch 64)", SAMPLES.resolve("fashion-mnist/fashion_cnn.onnx"),
                QuantOptions.staticInt8(), calib, 200, IdxDataset.open(SUBSET, unit, 0), 2000, 64, rows);
        run("fashion_cnn float16 weight storage", SAMPLES.resolve("fashion-mnist/fashion_cnn.onnx"),
                new QuantOptions(QuantOptions.Mode.FP16, 16, false, false, org.polaris.workbench.engine.quant.IntType.UINT8,
                        true, 32, QuantOptions.Int4Format.MATMUL_NBITS, Calibration.parse("minmax"), java.util.Set.of()),
                calib, 0, fullTest, 10_000, 1, rows);
        run("fashion_mlp INT4 weight-only MatMulNBits b32", SAMPLES.resolve("fashion-mnist/fashion_mlp.onnx"),
                QuantOptions.int4WeightOnly(32, QuantOptions.Int4Format.MATMUL_NBITS), calib, 0, fullTest, 10_000, 1, rows);
        run("fashion_mlp INT4 weight-only DequantizeLinear b32", SAMPLES.resolve("fashion-mnist/fashion_mlp.onnx"),
                QuantOptions.int4WeightOnly(32, QuantOptions.Int4Format.DEQUANTIZE_LINEAR), calib, 0, fullTest, 10_000, 1, rows);
        if (Files.isDirectory(PHOTOS)) {
            Preprocessing imagenet = Preprocessing.imagenet();
            Dataset photos = ImageFolderDataset.open(PHOTOS, imagenet, 20);
            if (torch) {
                // The acceptance rows quantize every Conv (--no-speed-check); the default run follows.
                run("MobileNetV2 (torchvision, random weights) static INT8, every Conv (--no-speed-check)",
                        models.resolve("mobilenet_v2.onnx"), QuantOptions.staticInt8(), photos, 100, photos, 100, 1,
                        false, rows);
                run("ResNet18 (torchvision, random weights) static INT8, entropy, every Conv (--no-speed-check)",
                        models.resolve("resnet18.onnx"),
                        QuantOptions.staticInt8().withCalibration(Calibration.parse("entropy")), photos, 100, photos,
                        100, 1, false, rows);
                run("MobileNetV2 (torchvision, random weights) static INT8, default (speed check)",
                        models.resolve("mobilenet_v2.onnx"), QuantOptions.staticInt8(), photos, 100, photos, 100, 1,
                        rows);
            } else {
                notes.add("MobileNetV2/ResNet18 skipped: python3-torch and python3-torchvision are not installed.");
            }
            Preprocessing keras = new Preprocessing(1 / 127.5, new double[] {1}, new double[] {1}, 256, 224, "NCHW");
            run("mobilenet_v1_0.25 (pretrained, zoo) static INT8, 5 provided photos",
                    SAMPLES.resolve("zoo/mobilenet_v1_0.25_224/mobilenet_v1_0.25_224.onnx"), QuantOptions.staticInt8(),
                    ImageFolderDataset.open(PHOTOS, keras, 20), 100, ImageFolderDataset.open(PHOTOS, keras, 1), 5, 1, rows);
        } else {
            notes.add("Photo-based rows skipped: " + PHOTOS + " not found (set -Dpolaris.images.dir).");
        }
        StringBuilder doc = new StringBuilder();
        doc.append("## Quantization (Quantize pane, `quantize`)\n\n");
        doc.append("Each row is one `QuantizeService` job, as `polaris-workbench quantize` runs it: calibrate, rewrite, ")
                .append("verify in a fresh ONNX Runtime session, then compare original and quantized in the same JVM ")
                .append("(ONNX Runtime ").append("1.29.0, ALL optimizations, 1 intra-op thread for latency, 100 timed ")
                .append("runs after 20 warm-up runs, alternating blocks of 10). Fashion-MNIST accuracy is on the ")
                .append(evalName).append("; the ImageNet rows compare outputs on crops of the photos in ")
                .append("`../shared/images` (no labels). \"Fused\" lists the integer kernels in ONNX Runtime's ")
                .append("optimized graph; \"left\" counts Q/DQ nodes it could not fuse (the float input's own ")
                .append("QuantizeLinear is one).\n\n");
        doc.append("Machine: ").append(BenchDoc.machine()).append(".\n");
        doc.append("Command: `./mvnw -q test-compile exec:exec@bench-quant` (rewrites this section; about a minute here).\n\n");
        doc.append("| job | size | ratio | top-1 orig -> quant | top-1 agree | cosine | latency ms orig -> quant (batch) | speed-up | fused | left | time |\n");
        doc.append("|---|---:|---:|---|---:|---:|---|---:|---|---:|---:|\n");
        rows.forEach(doc::append);
        doc.append('\n');
        if (cnn != null && !cnn.warnings().isEmpty()) {
            doc.append("Warnings the tool printed for the Fashion-MNIST CNN: ").append(String.join(" ", cnn.warnings())).append("\n\n");
        }
        if (!SPEED_NOTES.isEmpty()) {
            doc.append("Speed check (default; `--no-speed-check` turns it off): convolutions with at most 4 input ")
                    .append("channels (image stems, where ONNX Runtime's 8-bit kernel handles so few input channels ")
                    .append("poorly) are timed with the whole model both ways and kept in float when that is more than ")
                    .append("3% faster. Verdicts in this run:\n\n");
            SPEED_NOTES.forEach(n -> doc.append("- ").append(n).append('\n'));
            doc.append('\n');
        }
        notes.forEach(n -> doc.append("- ").append(n).append('\n'));
        BenchDoc.replaceSection("quant", doc.toString());
        System.out.println(doc);
    }

    /** Layers the speed check timed in int8 and in float, with its verdict, per job. */
    private static final List<String> SPEED_NOTES = new ArrayList<>();

    private static QuantReport run(String name, Path model, QuantOptions o, Dataset calib, int calibSamples,
                                   Dataset eval, int evalSamples, int latencyBatch, List<String> rows) throws Exception {
        return run(name, model, o, calib, calibSamples, eval, evalSamples, latencyBatch, true, rows);
    }

    private static QuantReport run(String name, Path model, QuantOptions o, Dataset calib, int calibSamples,
                                   Dataset eval, int evalSamples, int latencyBatch, boolean speedCheck,
                                   List<String> rows) throws Exception {
        if (!Files.exists(model)) {
            rows.add("| " + name + " | skipped: " + model + " missing | | | | | | | | | |\n");
            return null;
        }
        Path out = OUT.resolve(model.getFileName().toString().replace(".onnx", "") + "-" + rows.size() + ".onnx");
        QuantRequest req = new QuantRequest(model, out, true, o, calib, Math.max(1, calibSamples), eval,
                new QuantEvaluator.Settings(evalSamples, 100, 20, 1, latencyBatch), null, 0.9, 0, speedCheck);
        System.out.println("running " + name);
        QuantReport r = new QuantizeService().run(req, (f, m) -> { }, CancellationToken.none());
        r.layers().stream().filter(l -> l.note() != null && l.note().contains("ms with it in float"))
                .forEach(l -> SPEED_NOTES.add(name + ", " + l.name() + ": " + l.note()));
        Evaluation.Side a = r.evaluation().original();
        Evaluation.Side b = r.evaluation().quantized();
        String acc = a.accuracy() == null ? "n/a (no labels)"
                : String.format(Locale.ROOT, "%.2f%% -> %.2f%%", 100 * a.accuracy(), 100 * b.accuracy());
        rows.add(String.format(Locale.ROOT, "| %s | %s -> %s | %.2fx | %s | %.2f%% | %.5f | %.3f -> %.3f (%d) | %.2fx | %s | %d | %.1f s |%n",
                name, kib(a.fileBytes()), kib(b.fileBytes()), r.sizeRatio(), acc, 100 * r.evaluation().agreement().top1(),
                r.evaluation().agreement().meanCosine(), a.latency().medianMs(), b.latency().medianMs(),
                b.latency().batch(), r.speedup(), compact(b.quantizedOps()), b.leftoverQdq(), r.seconds()));
        return r;
    }

    private static String kib(long bytes) {
        return bytes >= 1 << 20 ? String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0)
                : String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }

    private static String compact(Map<String, Integer> ops) {
        StringBuilder b = new StringBuilder();
        ops.forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k).append(' ').append(v));
        return b.length() == 0 ? "none" : b.toString();
    }

    private static boolean exportTorchvision(Path dir) {
        if (Files.exists(dir.resolve("mobilenet_v2.onnx")) && Files.exists(dir.resolve("resnet18.onnx"))) {
            return true;
        }
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", "src/bench/python/make_bench_models.py", dir.toString())
                    .inheritIO().start();
            return p.waitFor() == 0;
        } catch (Exception e) {
            System.out.println("cannot export torchvision models: " + e.getMessage());
            return false;
        }
    }
}
