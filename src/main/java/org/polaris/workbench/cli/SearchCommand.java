package org.polaris.workbench.cli;

import org.polaris.workbench.engine.data.DataRef;
import org.polaris.workbench.engine.exec.EngineSession;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.JobRunner;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.search.CompressionSearch;
import org.polaris.workbench.engine.search.SearchSpace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code polaris-workbench search}: the fastest (or smallest) compressed model within an accuracy tolerance. */
@Command(name = "search", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Try the compressions quantize and prune make (float16, weight-only INT8/INT4, static INT8 with "
                + "each calibration, magnitude pruning with and without re-fit, pruning then INT8), each verified and "
                + "compared with the original on your data, latency measured interleaved with the original's on this "
                + "machine; print the accuracy/latency/size frontier and write the best candidate within the tolerance.",
                "The report (every candidate, its settings, accuracy, size, latency, and why it was skipped) beside OUT."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the best candidate was written", "2:usage error (options, data files, OUT exists)",
                "3:unreadable or invalid model",
                "4:no candidate meets the tolerance (or none is faster/smaller than the original): nothing written but the report",
                "7:out of memory; nothing was written", "8:an output could not be written; nothing was left in place",
                "9:a candidate's task failed on the Spark cluster after its retries (--cluster spark)"})
public final class SearchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "ONNX model")
    Path model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "BEST.onnx")
    Path output;

    @Option(names = "--force", description = "replace OUT (and the report) if they exist")
    boolean force;

    @Option(names = "--calib-data", paramLabel = "D", description = "calibration data (static INT8, re-fit); default: --eval-data")
    Path calibData;

    @Bounds(min = 1, max = 1_000_000)
    @Option(names = "--calib-samples", defaultValue = "200", paramLabel = "N")
    int calibSamples;

    @Option(names = "--eval-data", required = true, paramLabel = "E", description = "evaluation data: labels give accuracy, "
            + "without them top-1 agreement with the original")
    Path evalData;

    @Bounds(min = 1, max = 1_000_000)
    @Option(names = "--eval-samples", defaultValue = "2000", paramLabel = "N")
    int evalSamples;

    @Bounds(min = 0, max = 100)
    @Option(names = "--tolerance", required = true, paramLabel = "POINTS", description = "accuracy points the result may "
            + "lose (without labels: agreement may drop this many percent)")
    double tolerance;

    @Option(names = "--objective", defaultValue = "latency", paramLabel = "latency|size")
    String objective;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|gpu", description = "where latency is measured: "
            + "cpu, ONNX Runtime on this machine; gpu, the engine with every node OpenCL supports on the first OpenCL GPU "
            + "(the RX 580 path; candidates it cannot run are reported as failed)")
    String device;

    @Bounds(min = 0, max = 10_000)
    @Option(names = "--budget-minutes", defaultValue = "0", paramLabel = "M", description = "stop starting candidates "
            + "after M minutes (0: try them all)")
    double budgetMinutes;

    @Option(names = "--space", paramLabel = "FILE.json", description = "narrow the space: {\"kinds\": [\"static-int8\", "
            + "\"prune\"], \"sparsities\": [0.5], \"calibrations\": [\"minmax\"], \"refit\": false}")
    Path space;

    @Bounds(min = 5, max = 100_000)
    @Option(names = "--latency-runs", defaultValue = "100", paramLabel = "N", description = "timed batch-1 runs per model and candidate")
    int latencyRuns;

    @Bounds(min = 1, max = 256)
    @Option(names = "--threads", defaultValue = "1", paramLabel = "N", description = "ONNX Runtime threads for latency")
    int threads;

    @Mixin
    ClusterOptions cluster = new ClusterOptions();

    @Option(names = "--report", paramLabel = "R.json", description = "default OUT.report.json")
    Path report;

    @Mixin
    PreprocessingOptions pre = new PreprocessingOptions();

    @Mixin
    ModelInputOptions inputs = new ModelInputOptions();

    @Override
    public Integer call() throws Exception {
        EngineSession.Device dev = switch (device) {
            case "cpu" -> EngineSession.Device.CPU;
            case "gpu" -> EngineSession.Device.GPU;
            default -> throw new CliException("--device must be cpu or gpu, not " + device, 2);
        };
        CompressionSearch.Objective obj;
        SearchSpace sp;
        try {
            obj = CompressionSearch.Objective.parse(objective);
            sp = space == null ? SearchSpace.DEFAULT : SearchSpace.read(space);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        } catch (java.io.IOException e) {
            throw new CliException(e.getMessage(), 2);
        }
        // an unreadable model is exit 3 before a Spark application starts for it
        new OnnxModelReader().read(model);
        DataRef eval = ref(evalData, evalSamples);
        DataRef calib = calibData == null ? null : ref(calibData, calibSamples);
        Path reportPath = report != null ? report : output.resolveSibling(output.getFileName() + ".report.json");
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%-34s %-9s %9s %9s %10s %8s %8s  %s%n", "candidate", "status", "quality", "size", "latency", "speed", "size", "");
        out.flush();
        CompressionSearch.Request req = new CompressionSearch.Request(model, output, force, calib, calibSamples, eval,
                evalSamples, tolerance, obj, budgetMinutes * 60, sp, reportPath, threads, latencyRuns, null, dev);
        CompressionSearch.Report r;
        try (JobRunner runner = cluster.runner("search", 1)) {
            r = new CompressionSearch().run(req, runner, c -> {
                out.println(line(c));
                out.flush();
            }, new ConsoleProgress(spec.commandLine().getErr()), CancellationToken.none());
        } catch (CompressionSearch.NothingQualifiesException e) {
            frontier(out, e.report());
            out.printf("Report:  %s%n", reportPath);
            out.flush();
            throw new CliException(model + ": " + e.getMessage(), 4);
        }
        frontier(out, r);
        out.printf("Wrote %s: %s%n", output, r.message());
        out.printf("Report:  %s%n", reportPath);
        out.flush();
        return 0;
    }

    private static String line(CompressionSearch.CandidateResult c) {
        if (c.status() != CompressionSearch.Status.EVALUATED) {
            return String.format(Locale.ROOT, "%-34s %-9s  %s", c.id(), c.status().name().toLowerCase(Locale.ROOT), c.reason());
        }
        return String.format(Locale.ROOT, "%-34s %-9s %8.2f%% %8.0fK %8.3fms %7.2fx %7.0f%%  %s", c.id(),
                c.withinTolerance() ? "ok" : "too lossy", 100 * (c.accuracy() != null ? c.accuracy() : c.agreement()),
                c.bytes() / 1024.0, c.latencyMs(), c.speedup(), 100 * c.sizeRatio(), c.settings());
    }

    private static void frontier(PrintWriter out, CompressionSearch.Report r) {
        out.printf("%n%s", r.signals() == null ? "Signals: off (the space file says \"signals\": false)" : r.signals().summary());
        out.printf(Locale.ROOT, "%nFrontier (%s against %s; original %s, %.0fK; latency on %s), %.1f s:%n", r.quality(),
                r.objective().name().toLowerCase(Locale.ROOT), r.originalAccuracy() == null ? "unlabelled"
                        : String.format(Locale.ROOT, "%.2f%%", 100 * r.originalAccuracy()), r.originalBytes() / 1024.0,
                r.device(), r.seconds());
        r.candidates().stream().filter(CompressionSearch.CandidateResult::onFrontier)
                .forEach(c -> out.println((c.id().equals(r.chosen()) ? "* " : "  ") + line(c)));
    }

    private DataRef ref(Path path, int samples) throws CliException {
        try {
            return DataRef.of(path, inputs.request(pre.toPreprocessing()), samples);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }
}
