package org.polaris.workbench.bench;

import org.polaris.workbench.engine.data.DataRef;
import org.polaris.workbench.engine.data.InputPlan;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.data.ShapeSpec;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ClusterRunners;
import org.polaris.workbench.engine.job.JobRunner;
import org.polaris.workbench.engine.search.CompressionSearch;
import org.polaris.workbench.engine.search.SearchSpace;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./mvnw -q test-compile exec:exec@bench-search} rewrites the compression-search section of docs/benchmarks.md:
 * the default search of the sample CNN and MLP (Debian's Fashion-MNIST) and of MobileNetV2 (the photos in
 * ../shared/images, agreement), tolerance 1 point (or 99% agreement), objective latency: every candidate, the
 * frontier, the chosen model against the original and against the default one-shot quantization, wall time.
 */
public final class SearchBenchmark {

    private static final Path TRAIN = Path.of("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
    private static final Path TEST = Path.of("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
    private static final Path PHOTOS = Path.of(System.getProperty("polaris.images.dir", "../shared/images"));

    private SearchBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path samples = Path.of(System.getProperty("polaris.samples.dir", "samples"));
        StringBuilder doc = new StringBuilder("## Compression search (`search`, Search pane)\n\n");
        doc.append("Machine: ").append(BenchDoc.machine()).append(". Command: `./mvnw -q test-compile exec:exec@bench-search`. "
                + "The default space (float16, weight-only INT8, INT4 where there is a MatMul/Gemm, static INT8 with "
                + "percentile, min-max and entropy calibration and once per-tensor, magnitude pruning to 30/50/70% with and "
                + "without re-fit, pruning then INT8), objective latency, tolerance 1 point (MobileNetV2: 99% top-1 "
                + "agreement, no labels). Fashion-MNIST: calibration on 200 training images, evaluation on 2,000 test "
                + "images; MobileNetV2 (torchvision, random weights): 100 crops of the photos in ../shared/images, without "
                + "re-fit. Cheap signals first (INT8 one layer at a time, the pruning scan on up to 1,000 evaluation "
                + "samples): they add static INT8 candidates keeping the most sensitive layers in float (`-keepK`) and "
                + "skip pruning levels one layer alone cannot afford. Latency: ONNX Runtime, batch 1, 1 thread, the "
                + "bench method (time-based warm-up, then 100 runs of the original and every candidate of a wave "
                + "interleaved in blocks); speed-up is the median of the paired block ratios. \"Default quantize\" is "
                + "`quantize` with its defaults (static INT8, percentile, and the image stem kept in float where that "
                + "measured more than 3% faster, as its speed check does). Each search runs twice: in-process (one "
                + "candidate at a time) and with its candidates as tasks on Spark `local[2]` (the same JVM, two task "
                + "threads, the context started once before the first model); the data by path, as executors read it. "
                + "\"Same outcome\" compares every candidate's status, accuracy, agreement and size between the two "
                + "runs (the choice may differ where two candidates' speed-ups are within noise).\n\n");
        doc.append("| model | candidates (evaluated / skipped / failed) | frontier | chosen | speed-up (quartiles) | size | accuracy | "
                + "default quantize: speed-up, size, accuracy | wall time in-process | on Spark local[2] | same outcome |\n"
                + "|---|---|---|---|---:|---:|---:|---|---:|---:|---|\n");
        InputPlan.Request unit = InputPlan.Request.of(Preprocessing.unitScale());
        DataRef calib = DataRef.of(TRAIN, unit, 200);
        DataRef test = DataRef.of(TEST, unit, 2000);
        StringBuilder details = new StringBuilder();
        try (JobRunner spark = ClusterRunners.spark("local[2]", "polaris bench-search")) {
            run(doc, details, spark, "Fashion CNN", samples.resolve("fashion-mnist/fashion_cnn.onnx"), calib, test, 2000,
                    SearchSpace.DEFAULT);
            run(doc, details, spark, "Fashion MLP", samples.resolve("fashion-mnist/fashion_mlp.onnx"), calib, test, 2000,
                    SearchSpace.DEFAULT);
            Path mnv2 = Path.of("target/bench-models/mobilenet_v2.onnx");
            if (Files.exists(mnv2) && Files.isDirectory(PHOTOS)) {
                DataRef photos = DataRef.of(PHOTOS.toAbsolutePath(), new InputPlan.Request(List.of(ShapeSpec.parse("1x3x224x224")),
                        List.of(), Preprocessing.imagenet(), 0), 100);
                run(doc, details, spark, "MobileNetV2", mnv2, photos, photos, 100, new SearchSpace(List.of(),
                        List.of(0.3, 0.5, 0.7), SearchSpace.DEFAULT.calibrations(), false));
            } else {
                doc.append("\nMobileNetV2 skipped: target/bench-models/mobilenet_v2.onnx (from `exec:exec@bench-engine`) or the "
                        + "photos are missing.\n");
            }
        }
        doc.append(details);
        BenchDoc.replaceSection("search", doc.toString());
        System.out.print(doc);
        System.exit(0);
    }

    private static CompressionSearch.Report search(JobRunner runner, String name, Path model, DataRef calib, DataRef eval,
                                                   int samples, SearchSpace space) throws Exception {
        Path out = Files.createTempDirectory("bench-search").resolve("best.onnx");
        CompressionSearch.Report r;
        try {
            r = new CompressionSearch().run(new CompressionSearch.Request(model, out, false, calib, 200, eval, samples, 1.0,
                    CompressionSearch.Objective.LATENCY, 0, space, null, 1, 100), runner, c -> System.out.printf(Locale.ROOT,
                    "%s [%s] %s %s %.4f %.2fx%n", name, runner.describe(), c.id(), c.status(),
                    c.accuracy() != null ? c.accuracy() : c.agreement(), c.speedup()), (f, m) -> { }, CancellationToken.none());
        } catch (CompressionSearch.NothingQualifiesException e) {
            r = e.report();
        }
        Files.deleteIfExists(out);
        Files.deleteIfExists(out.getParent());
        return r;
    }

    /** What must not depend on the runner: every candidate's status, quality and size. */
    private static List<String> outcome(CompressionSearch.Report r) {
        return r.candidates().stream().map(c -> c.id() + " " + c.status() + " " + c.accuracy() + " " + c.agreement() + " "
                + c.bytes()).toList();
    }

    private static List<String> diff(CompressionSearch.Report a, CompressionSearch.Report b) {
        List<String> x = outcome(a);
        List<String> y = outcome(b);
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < Math.max(x.size(), y.size()); i++) {
            String p = i < x.size() ? x.get(i) : "-";
            String q = i < y.size() ? y.get(i) : "-";
            if (!p.equals(q)) out.add(p + " vs " + q);
        }
        return out;
    }

    private static void run(StringBuilder doc, StringBuilder details, JobRunner spark, String name, Path model, DataRef calib,
                            DataRef eval, int samples, SearchSpace space) throws Exception {
        CompressionSearch.Report r;
        try (JobRunner local = JobRunner.local(1)) {
            r = search(local, name, model, calib, eval, samples, space);
        }
        CompressionSearch.Report onSpark = search(spark, name, model, calib, eval, samples, space);
        boolean same = outcome(r).equals(outcome(onSpark));
        long evaluated = r.candidates().stream().filter(c -> c.status() == CompressionSearch.Status.EVALUATED).count();
        long skipped = r.candidates().stream().filter(c -> c.status() == CompressionSearch.Status.SKIPPED).count();
        long failed = r.candidates().stream().filter(c -> c.status() == CompressionSearch.Status.FAILED).count();
        String front = String.join(", ", r.candidates().stream().filter(CompressionSearch.CandidateResult::onFrontier)
                .map(CompressionSearch.CandidateResult::id).toList());
        CompressionSearch.CandidateResult chosen = find(r, r.chosen());
        // `quantize` with its defaults: static INT8, percentile, and its stem speed check (the image stem kept in
        // float when that is more than 3% faster), which the search tries as the -stemfloat candidate
        CompressionSearch.CandidateResult dflt = find(r, "static-int8-percentile");
        CompressionSearch.CandidateResult stem = find(r, "static-int8-percentile-stemfloat");
        if (dflt != null && stem != null && stem.status() == CompressionSearch.Status.EVALUATED
                && dflt.status() == CompressionSearch.Status.EVALUATED && stem.speedup() > 1.03 * dflt.speedup()) {
            dflt = stem;
        }
        doc.append(String.format(Locale.ROOT, "| %s | %d / %d / %d | %s | %s | %s | %s | %s | %s | %.0f s | %.0f s | %s |%n",
                name, evaluated, skipped, failed, front, chosen == null ? "none: " + r.message() : chosen.id(),
                chosen == null ? "" : String.format(Locale.ROOT, "%.2fx (%.2f-%.2f)", chosen.speedup(), chosen.speedupLow(),
                        chosen.speedupHigh()),
                chosen == null ? "" : String.format(Locale.ROOT, "%.0f%%", 100 * chosen.sizeRatio()),
                chosen == null ? "" : quality(chosen, r),
                dflt == null || dflt.status() != CompressionSearch.Status.EVALUATED ? "n/a" : String.format(Locale.ROOT,
                        "%.2fx, %.0f%%, %s", dflt.speedup(), 100 * dflt.sizeRatio(), quality(dflt, r)), r.seconds(),
                onSpark.seconds(), same ? "yes (chose " + onSpark.chosen() + ")" : "NO: " + String.join("; ", diff(r, onSpark))));
        if (r.signals() != null) details.append(String.format(Locale.ROOT, "%n%s: %s%n", name, r.signals().summary()));
        details.append(String.format(Locale.ROOT, "%n%s, every candidate (original: %s, %.0f KiB):%n%n| candidate | status | quality | "
                        + "speed-up | size | frontier |%n|---|---|---:|---:|---:|---|%n", name,
                r.originalAccuracy() == null ? "no labels" : String.format(Locale.ROOT, "%.2f%%", 100 * r.originalAccuracy()),
                r.originalBytes() / 1024.0));
        for (CompressionSearch.CandidateResult c : r.candidates()) {
            details.append(c.status() != CompressionSearch.Status.EVALUATED
                    ? String.format(Locale.ROOT, "| %s | %s: %s | | | | |%n", c.id(), c.status().name().toLowerCase(Locale.ROOT), c.reason())
                    : String.format(Locale.ROOT, "| %s | %s | %s | %.2fx | %.0f%% | %s |%n", c.id(), c.withinTolerance() ? "within"
                            : "too lossy", quality(c, r), c.speedup(), 100 * c.sizeRatio(), c.onFrontier() ? "yes" : ""));
        }
    }

    private static String quality(CompressionSearch.CandidateResult c, CompressionSearch.Report r) {
        return c.accuracy() != null ? String.format(Locale.ROOT, "%.2f%%", 100 * c.accuracy())
                : String.format(Locale.ROOT, "%.0f%% agreement", 100 * c.agreement());
    }

    private static CompressionSearch.CandidateResult find(CompressionSearch.Report r, String id) {
        return id == null ? null : r.candidates().stream().filter(c -> c.id().equals(id)).findFirst().orElse(null);
    }
}
