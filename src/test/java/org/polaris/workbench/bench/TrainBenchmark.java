package org.polaris.workbench.bench;

import org.polaris.workbench.cli.Main;
import org.polaris.workbench.engine.data.IdxDataset;
import org.polaris.workbench.engine.data.Preprocessing;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.sparsity.Allocation;
import org.polaris.workbench.engine.train.Optimizer;
import org.polaris.workbench.engine.train.SparseTraining;
import org.polaris.workbench.engine.train.TrainData;
import org.polaris.workbench.engine.train.TrainableModel;
import org.polaris.workbench.engine.train.Trainer;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./mvnw -q test-compile exec:exec@bench-train} rewrites the training section of docs/benchmarks.md: the sample
 * MLP and CNN trained sparse (RigL and GMP, 80% and 90%, ERK) on Debian's Fashion-MNIST training set (60,000 images)
 * and evaluated on its test set (10,000), a dense fine-tune of the same length as the baseline, the CNN with half its
 * channels removed fine-tuned with its mask fixed, and quantization-aware fine-tuning against post-training
 * quantization; accuracy and the time per epoch on this machine (2 threads).
 */
public final class TrainBenchmark {

    private static final Path TRAIN = Path.of("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
    private static final Path TEST = Path.of("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");

    private TrainBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path samples = Path.of(System.getProperty("polaris.samples.dir", "samples"));
        Path mlp = samples.resolve("fashion-mnist/fashion_mlp.onnx");
        Path cnn = samples.resolve("fashion-mnist/fashion_cnn.onnx");
        IdxDataset train = IdxDataset.open(TRAIN, Preprocessing.unitScale(), 0);
        IdxDataset test = IdxDataset.open(TEST, Preprocessing.unitScale(), 0);
        StringBuilder doc = new StringBuilder("## Training (`train`)\n\n");
        doc.append("Machine: ").append(BenchDoc.machine()).append(". Command: `./mvnw -q test-compile exec:exec@bench-train` "
                + "(Debian's dataset-fashion-mnist). Each run starts from the bundled trained model, trains on the 60,000 "
                + "training images (SGD, momentum 0.9, weight decay 1e-4, batch 64, cosine learning rate from 0.01, seed 1, "
                + "2 threads) and is evaluated on the 10,000 test images after each epoch. Sparse runs: ERK allocation, mask "
                + "updates every 100 steps until 75% of the run (RigL drop fraction 0.3). Goal: within 1 point of dense "
                + "after at most 5 epochs; the MLP's epoch under 10 s. \"Bundled\" is the bundled model's accuracy before "
                + "any training; \"dense fine-tune\" trains it dense for the same epochs with the same settings, the "
                + "stricter baseline (the sparse runs also profit from the extra epochs).\n\n");
        doc.append("| model | method | target sparsity | epochs | bundled | accuracy after | vs bundled | vs dense fine-tune | "
                + "weights zero | time per epoch |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Path model : List.of(mlp, cnn)) {
            int epochs = 3;
            double denseTuned = run(doc, model, null, 0, epochs, train, test, Double.NaN, null, Double.NaN);
            for (SparseTraining.Method method : List.of(SparseTraining.Method.RIGL, SparseTraining.Method.GMP)) {
                for (double target : new double[] {0.8, 0.9}) {
                    run(doc, model, method, target, epochs, train, test, Double.NaN, null, denseTuned);
                }
            }
        }
        // the CNN with half of its channels removed (prune --method channel), fine-tuned with the structure fixed
        Path pruned = Files.createTempDirectory("bench-train").resolve("cnn-channels50.onnx");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = Main.execute(new String[] {"prune", cnn.toString(), "-o", pruned.toString(), "--method", "channel",
                "--sparsity", "0.5", "--eval-data", TEST.toString(), "--eval-samples", "10000"}, new PrintStream(out, true),
                new PrintStream(out, true));
        if (code != 0) throw new IllegalStateException("prune failed: " + out);
        double dense = accuracy(cnn, test);
        run(doc, pruned, SparseTraining.Method.STATIC, 0, 3, train, test, dense, "CNN, 50% of channels removed", Double.NaN);
        qat(doc, List.of(mlp, cnn), 3);
        BenchDoc.replaceSection("train", doc.toString());
        System.out.print(doc);
        System.exit(0);
    }

    private static double accuracy(Path model, IdxDataset test) throws Exception {
        try (EnginePool pool = new EnginePool(2)) {
            TrainableModel m = TrainableModel.of(new OnnxModelReader().read(model), pool, 1);
            return Trainer.accuracy(m, TrainData.load(test, m, 0), 256);
        }
    }

    /** One training run and its row; returns the accuracy after (method null: dense fine-tuning). */
    private static double run(StringBuilder doc, Path model, SparseTraining.Method method, double target, int epochs,
                              IdxDataset train, IdxDataset test, double denseGiven, String name, double denseTuned)
            throws Exception {
        try (EnginePool pool = new EnginePool(2)) {
            TrainableModel m = TrainableModel.of(new OnnxModelReader().read(model), pool, 1);
            TrainData tr = TrainData.load(train, m, 0);
            TrainData te = TrainData.load(test, m, 0);
            double dense = Double.isNaN(denseGiven) ? Trainer.accuracy(m, te, 256) : denseGiven;
            double start = Trainer.accuracy(m, te, 256);
            SparseTraining st = method == null ? null : new SparseTraining(m, new SparseTraining.Options(method, target,
                    Allocation.Strategy.ERK, 100, 0.3, 0.75));
            List<Trainer.Epoch> eps = Trainer.train(m, tr, te, new Trainer.Options(epochs, 64, 0.01, Optimizer.Kind.SGD, 0.9,
                    1e-4, Trainer.Schedule.COSINE, 1), st, e -> System.out.printf(Locale.ROOT, "%s %s %.2f epoch %d: %.4f (%d ms)%n",
                    model.getFileName(), method, target, e.epoch(), e.evalAccuracy(), e.millis()), CancellationToken.none());
            long zeros = 0;
            long total = 0;
            for (var p : m.params()) {
                if (p.shape().length < 2) continue;
                for (float v : p.values()) if (v == 0) zeros++;
                total += p.size();
            }
            double after = eps.get(eps.size() - 1).evalAccuracy();
            double epochMs = eps.stream().mapToLong(Trainer.Epoch::millis).sorted().toArray()[eps.size() / 2];
            String label = name != null ? name : model.getFileName().toString().contains("mlp") ? "MLP" : "CNN";
            doc.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %.2f%% | %.2f%% | %+.2f | %s | %.1f%% | %.1f s |%n", label,
                    method == null ? "dense fine-tune" : method.name().toLowerCase(Locale.ROOT),
                    method == null ? "0%" : method == SparseTraining.Method.STATIC ? "(as pruned; "
                            + String.format(Locale.ROOT, "%.2f%% before fine-tuning)", 100 * start) : String.format(Locale.ROOT, "%.0f%%", 100 * target),
                    epochs, 100 * dense, 100 * after, 100 * (after - dense),
                    Double.isNaN(denseTuned) ? "" : String.format(Locale.ROOT, "%+.2f", 100 * (after - denseTuned)),
                    100.0 * zeros / total, epochMs / 1000));
            return after;
        }
    }

    /**
     * Quantization-aware fine-tuning through the service the CLI uses: the INT8 model it writes against its own float
     * version, against the bundled float model, and against post-training quantization of the bundled model.
     */
    private static void qat(StringBuilder doc, List<Path> models, int epochs) throws Exception {
        doc.append("\nQuantization-aware fine-tuning (`train --method qat`: the same settings, fake quantization on the "
                + "static INT8 quantizer's own tensors and scales, re-calibrated before each epoch; the result goes "
                + "through `quantize` with its defaults: per-channel weights, uint8 activations, percentile calibration on "
                + "200 training images, the stem speed check). Accuracies on the 10,000 test images, measured by ONNX "
                + "Runtime. Goal: QAT INT8 no worse than 0.2 points below float, and losing less than post-training "
                + "quantization (PTQ) of the bundled model.\n\n");
        doc.append("| model | epochs | bundled float | PTQ INT8 | PTQ loss | QAT float | QAT INT8 | QAT loss vs its float | "
                + "QAT INT8 vs bundled float | time per epoch |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Path model : models) {
            Path out = Files.createTempDirectory("bench-qat").resolve("qat.onnx");
            org.polaris.workbench.engine.train.TrainService.Report r = new org.polaris.workbench.engine.train.TrainService()
                    .run(new org.polaris.workbench.engine.train.TrainService.Request(new OnnxModelReader().read(model), model,
                            out, false, IdxDataset.open(TRAIN, Preprocessing.unitScale(), 0),
                            IdxDataset.open(TEST, Preprocessing.unitScale(), 0), 0, new Trainer.Options(epochs, 64, 0.01,
                            Optimizer.Kind.SGD, 0.9, 1e-4, Trainer.Schedule.COSINE, 1), null,
                            org.polaris.workbench.engine.quant.QuantOptions.staticInt8(), 2, null, null, false),
                            e -> System.out.printf(Locale.ROOT, "%s qat epoch %d: %.4f (%d ms)%n", model.getFileName(), e.epoch(),
                                    e.evalAccuracy(), e.millis()), (f, m) -> { }, CancellationToken.none());
            var q = r.qat();
            double epochMs = r.epochs().stream().mapToLong(Trainer.Epoch::millis).sorted().toArray()[r.epochs().size() / 2];
            doc.append(String.format(Locale.ROOT, "| %s | %d | %.2f%% | %.2f%% | %+.2f | %.2f%% | %.2f%% | %+.2f | %+.2f | %.1f s |%n",
                    model.getFileName().toString().contains("mlp") ? "MLP" : "CNN", epochs, 100 * q.ptqFloatAccuracy(),
                    100 * q.ptqInt8Accuracy(), 100 * (q.ptqInt8Accuracy() - q.ptqFloatAccuracy()), 100 * q.floatAccuracy(),
                    100 * q.int8Accuracy(), 100 * (q.int8Accuracy() - q.floatAccuracy()),
                    100 * (q.int8Accuracy() - q.ptqFloatAccuracy()), epochMs / 1000));
            Files.deleteIfExists(out);
            Files.deleteIfExists(out.getParent());
        }
    }
}
