package org.polaris.workbench.cli;

import org.polaris.workbench.engine.data.DataException;
import org.polaris.workbench.engine.data.DataSources;
import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.data.LabelFile;
import org.polaris.workbench.engine.quant.QuantOptions;
import org.polaris.workbench.engine.train.Checkpoint;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.sparsity.Allocation;
import org.polaris.workbench.engine.train.Optimizer;
import org.polaris.workbench.engine.train.SparseTraining;
import org.polaris.workbench.engine.train.TrainService;
import org.polaris.workbench.engine.train.TrainableModel;
import org.polaris.workbench.engine.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code polaris-workbench train}: fine-tune an ONNX classifier, dense or sparse (static, gmp, rigl), on labelled data. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tune an ONNX classifier on labelled data, dense or with sparse training (static mask, "
                + "gradual magnitude pruning, RigL), and write it back as ONNX, verified in a fresh ONNX Runtime session.",
                "Progress per epoch on stdout; the report (every epoch and mask update) beside OUT."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:trained, verified and written", "2:usage error (options, data files, OUT exists)",
                "3:unreadable or invalid model", "4:the written model failed its verification, or its INT8 quantization after qat failed (nothing written)",
                "5:the model has an op or a shape training does not support yet (named)",
                "7:out of memory; nothing was written", "8:an output could not be written; nothing was left in place"})
public final class TrainCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "float32 ONNX classifier ([batch, classes] output)")
    Path model;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.onnx")
    Path output;

    @Option(names = "--force", description = "replace OUT (and the report) if they exist")
    boolean force;

    @Option(names = "--data", required = true, paramLabel = "TRAIN", description = "labelled training data: an IDX images "
            + "file with its labels file beside it, or a folder with one sub-folder per class")
    Path data;

    @Option(names = "--labels", paramLabel = "LABELS", description = "labels of TRAIN from their own file: an IDX labels "
            + "file or a text file with one class index per line (default: the labels beside TRAIN)")
    Path labels;

    @Option(names = "--eval-data", paramLabel = "EVAL", description = "labelled data for the accuracy after each epoch")
    Path evalData;

    @Option(names = "--eval-labels", paramLabel = "LABELS", description = "labels of EVAL from their own file, as --labels")
    Path evalLabels;

    @Bounds(min = 0, max = 10_000_000)
    @Option(names = "--train-samples", defaultValue = "0", paramLabel = "N", description = "use the first N training samples (0: all)")
    int trainSamples;

    @Bounds(min = 1, max = 1000)
    @Option(names = "--epochs", defaultValue = "3", paramLabel = "N")
    int epochs;

    @Bounds(min = 1, max = 4096)
    @Option(names = "--batch", defaultValue = "64", paramLabel = "N")
    int batch;

    @Bounds(min = 1e-8, max = 10)
    @Option(names = "--lr", defaultValue = "0.01", paramLabel = "F", description = "peak learning rate (default 0.01)")
    double lr;

    @Option(names = "--optimizer", defaultValue = "sgd", paramLabel = "sgd|adamw", description = "sgd (momentum 0.9) or adamw")
    String optimizer;

    @Option(names = "--schedule", defaultValue = "cosine", paramLabel = "cosine|step|constant")
    String schedule;

    @Bounds(min = 0, max = 1)
    @Option(names = "--weight-decay", defaultValue = "0.0001", paramLabel = "F")
    double weightDecay;

    @Option(names = "--method", paramLabel = "static|gmp|rigl|qat", description = "without it, dense fine-tuning. "
            + "static: zeros stay zero (a pruned model); gmp: prune gradually to --sparsity; rigl: --sparsity from the "
            + "start, masks updated by drop and regrowth; qat: quantization-aware fine-tuning for static INT8 (as "
            + "'quantize' does it by default), OUT is then the INT8 model, compared in the report with quantizing MODEL "
            + "as given")
    String method;

    @Bounds(min = 0, max = 0.999)
    @Option(names = "--sparsity", defaultValue = "0.9", paramLabel = "S", description = "target for gmp and rigl (default 0.9)")
    double sparsity;

    @Option(names = "--allocation", defaultValue = "erk", paramLabel = "uniform|erk", description = "per-layer targets (default erk)")
    String allocation;

    @Bounds(min = 1, max = 1_000_000)
    @Option(names = "--update-every", defaultValue = "100", paramLabel = "N", description = "steps between mask updates")
    int updateEvery;

    @Bounds(min = 0, max = 1)
    @Option(names = "--drop-fraction", defaultValue = "0.3", paramLabel = "F", description = "rigl: initial drop fraction")
    double dropFraction;

    @Bounds(min = 0, max = Long.MAX_VALUE)
    @Option(names = "--seed", defaultValue = "1", paramLabel = "N")
    long seed;

    @Bounds(min = 1, max = 256)
    @Option(names = "--threads", defaultValue = "2", paramLabel = "N")
    int threads;

    @Option(names = "--checkpoint", paramLabel = "DIR", description = "save the run's state in DIR after every epoch "
            + "(created if missing); an interrupted or cancelled run keeps the last one")
    Path checkpoint;

    @Option(names = "--resume", description = "continue the run saved in --checkpoint DIR (same model, data and settings)")
    boolean resume;

    @Option(names = "--report", paramLabel = "R.json", description = "default OUT.report.json")
    Path report;

    @Mixin
    PreprocessingOptions pre = new PreprocessingOptions();

    @Override
    public Integer call() throws Exception {
        Trainer.Options o;
        SparseTraining.Options s = null;
        QuantOptions qat = null;
        if (resume && checkpoint == null) throw new CliException("--resume needs --checkpoint DIR", 2);
        if (method != null && !java.util.Set.of("static", "gmp", "rigl", "qat").contains(method.toLowerCase(Locale.ROOT))) {
            throw new CliException("unknown training method '" + method + "': use static, gmp, rigl or qat", 2);
        }
        try {
            o = new Trainer.Options(epochs, batch, lr, Optimizer.Kind.parse(optimizer), 0.9, weightDecay,
                    Trainer.Schedule.parse(schedule), seed);
            if ("qat".equalsIgnoreCase(method)) {
                qat = QuantOptions.staticInt8();
            } else if (method != null) {
                s = new SparseTraining.Options(SparseTraining.Method.parse(method), sparsity,
                        Allocation.Strategy.parse(allocation), updateEvery, dropFraction, 0.75);
            }
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        OnnxModel m = new OnnxModelReader().read(model);
        InputData train = open(data, labels, m, trainSamples);
        InputData eval = evalData == null ? null : open(evalData, evalLabels, m, 0);
        if (evalData == null && evalLabels != null) throw new CliException("--eval-labels needs --eval-data", 2);
        Path reportPath = report != null ? report : output.resolveSibling(output.getFileName() + ".report.json");
        PrintWriter out = spec.commandLine().getOut();
        TrainService.Report r;
        try {
            r = new TrainService().run(new TrainService.Request(m, model, output, force, train, eval, trainSamples, o, s,
                    qat, threads, reportPath, checkpoint, resume), new Printer(out), new ConsoleProgress(spec.commandLine().getErr()),
                    CancellationToken.none());
        } catch (Checkpoint.CheckpointException e) {
            throw new CliException(e.getMessage(), 2);
        } catch (TrainableModel.UnsupportedGraphException e) {
            throw new CliException(model + ": " + e.getMessage(), 5);
        } catch (TrainService.VerificationException e) {
            throw new CliException(model + ": " + e.getMessage() + "; nothing was written", 4);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
        out.printf(Locale.ROOT, "Wrote %s%s (verified in a fresh ONNX Runtime session, max |difference| %.2g)%n", output,
                Double.isNaN(r.accuracyBefore()) ? "" : String.format(Locale.ROOT, ": accuracy %.2f%% -> %.2f%%",
                        100 * r.accuracyBefore(), 100 * r.accuracyAfter()), r.maxAbsDifference());
        if (r.qat() != null) {
            TrainService.QatResult q = r.qat();
            out.printf(Locale.ROOT, "INT8 on %d samples: after QAT %s (float %s); quantizing %s as given: %s (float %s)%n",
                    q.evalSamples(), percent(q.int8Accuracy()), percent(q.floatAccuracy()), model.getFileName(),
                    percent(q.ptqInt8Accuracy()), percent(q.ptqFloatAccuracy()));
        }
        out.printf("Report:  %s%n", reportPath);
        out.flush();
        return 0;
    }

    private static String percent(Double v) {
        return v == null ? "n/a" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    /** Prints one line per epoch (and where a resumed run starts). */
    private final class Printer implements Trainer.Listener, TrainService.RunListener {
        private final PrintWriter out;

        Printer(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void resumed(Trainer.Resume from) {
            out.printf(Locale.ROOT, "Resuming %s after epoch %d of %d%n", checkpoint, from.epochsDone(), epochs);
            out.flush();
        }

        @Override
        public void epoch(Trainer.Epoch e) {
            out.printf(Locale.ROOT, "epoch %d/%d: loss %.4f, train %.2f%%%s, %s%.1f s%s%n", e.epoch(), epochs,
                    e.loss(), 100 * e.trainAccuracy(), Double.isNaN(e.evalAccuracy()) ? ""
                            : String.format(Locale.ROOT, ", eval %.2f%%%s", 100 * e.evalAccuracy(),
                            "qat".equalsIgnoreCase(method) ? " (int8 simulated)" : ""),
                    sparsityText(e.sparsity()), e.millis() / 1000.0, checkpoint == null ? "" : ", checkpoint saved");
            out.flush();
        }
    }

    private static String sparsityText(Map<String, Double> layers) {
        if (layers.values().stream().allMatch(v -> v < 0.005)) return "";
        return "sparsity " + String.join(" ", layers.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %.1f%%",
                e.getKey(), 100 * e.getValue())).toList()) + ", ";
    }

    private InputData open(Path path, Path labelFile, OnnxModel m, int samples) throws CliException {
        try {
            InputData d = DataSources.open(path, new org.polaris.workbench.engine.data.InputPlan.Request(java.util.List.of(), java.util.List.of(),
                    pre.toPreprocessing(), 0), samples, m.graph().feedInputs());
            return labelFile == null ? d : LabelFile.attach(d, labelFile);
        } catch (DataException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }
}
