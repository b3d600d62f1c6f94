package org.polaris.workbench.engine.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.io.TempFiles;
import org.polaris.workbench.engine.quant.QuantEvaluator;
import org.polaris.workbench.engine.quant.QuantOptions;
import org.polaris.workbench.engine.quant.QuantReport;
import org.polaris.workbench.engine.quant.QuantRequest;
import org.polaris.workbench.engine.quant.QuantizeService;
import org.polaris.workbench.engine.inference.Runtimes;
import org.polaris.workbench.engine.io.OutputPolicy;
import org.polaris.workbench.engine.io.OutputSet;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelWriter;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.runtime.ModelRuntime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Trains a model as the {@code train} command and the Train pane ask: loads the labelled data, trains (dense or
 * sparse), writes the result and its report only after the written model, re-loaded in a fresh ONNX Runtime session,
 * gives the trained weights' outputs on evaluation samples.
 */
public final class TrainService {

    /**
     * What to train, on what, and where the result goes.
     *
     * @param sparse sparse training, or null
     * @param qat quantization-aware training for these quantizer options (the output is then the INT8 model), or null
     * @param checkpoint folder for a checkpoint after every epoch, or null
     * @param resume continue from the checkpoint in {@code checkpoint}
     */
    public record Request(OnnxModel model, Path source, Path output, boolean force, InputData train, InputData eval,
                          int trainLimit, Trainer.Options options, SparseTraining.Options sparse, QuantOptions qat,
                          int threads, Path report, Path checkpoint, boolean resume) {

        /** A dense or sparse run without QAT or checkpoints. */
        public Request(OnnxModel model, Path source, Path output, boolean force, InputData train, InputData eval,
                       int trainLimit, Trainer.Options options, SparseTraining.Options sparse, int threads, Path report) {
            this(model, source, output, force, train, eval, trainLimit, options, sparse, null, threads, report, null, false);
        }

        /** The method's name as the CLI spells it: dense, static, gmp, rigl or qat. */
        public String method() {
            if (qat != null) return "qat";
            return sparse == null ? "dense" : sparse.method().name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Quantization-aware training's outcome: the fine-tuned float model and its INT8 quantization, against
     * post-training quantization of the model as given, on the same evaluation samples.
     */
    public record QatResult(String options, int evalSamples, Double floatAccuracy, Double int8Accuracy,
                            Double ptqFloatAccuracy, Double ptqInt8Accuracy, int int8Layers, List<String> warnings) {
    }

    /** The report: settings, the accuracy before and after, every epoch, the mask updates and the verification. */
    public record Report(String model, String output, String method, Trainer.Options options, SparseTraining.Options sparse,
                         String trainData, int trainSamples, String evalData, int evalSamples, double accuracyBefore,
                         double accuracyAfter, List<Trainer.Epoch> epochs, List<SparseTraining.MaskUpdate> maskUpdates,
                         double maxAbsDifference, QatResult qat, String checkpoint, int resumedAfterEpoch) {
    }

    /** Thrown when the written model does not give the trained outputs (nothing is written then). */
    public static final class VerificationException extends Exception {
        public VerificationException(String message) {
            super(message);
        }
    }

    /**
     * Told of a run resumed from a checkpoint, with its epochs so far, before training goes on (the mask updates so
     * far follow through {@link Trainer.Listener#maskUpdates}).
     */
    public interface RunListener {
        /** Before the first step: the layers trained sparse with their targets, and the run's length. */
        default void started(Started s) {
        }

        default void resumed(Trainer.Resume from) {
        }
    }

    /** A run about to train: each weight's target sparsity (empty when dense), steps per epoch and in all. */
    public record Started(Map<String, Double> targets, int trainSamples, long stepsPerEpoch, long totalSteps) {
    }

    public Report run(Request r, Trainer.Listener listener, ProgressSink progress, CancellationToken cancel) throws Exception {
        return run(r, listener, progress, new TrainControl(cancel));
    }

    public Report run(Request r, Trainer.Listener listener, ProgressSink progress, TrainControl control) throws Exception {
        OutputPolicy policy = OutputPolicy.of(r.force(), r.source()).withInputs(inputsOf(r));
        policy.preflight(r.report() == null ? new Path[] {r.output()} : new Path[] {r.output(), r.report()});
        if (r.resume() && r.checkpoint() == null) throw new IllegalArgumentException("resuming needs a checkpoint folder");
        if (r.checkpoint() != null && java.nio.file.Files.exists(r.checkpoint(), java.nio.file.LinkOption.NOFOLLOW_LINKS)
                && !java.nio.file.Files.isDirectory(r.checkpoint(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            // checked now, not after the first epoch
            throw new Checkpoint.CheckpointException(r.checkpoint() + ": is not a folder (a checkpoint is a folder of files)");
        }
        if (r.checkpoint() != null && !r.resume() && !r.force() && Checkpoint.exists(r.checkpoint())) {
            throw new Checkpoint.CheckpointException(r.checkpoint() + ": holds a checkpoint already; resume it, or start "
                    + "over with --force (which replaces it)");
        }
        try (EnginePool pool = new EnginePool(r.threads())) {
            TrainableModel m = TrainableModel.of(r.model(), pool, r.options().seed(), dataShape(r));
            progress.progress(0.01, "reading the training data");
            TrainData train = TrainData.load(r.train(), m, r.trainLimit());
            TrainData eval = r.eval() == null ? null : TrainData.load(r.eval(), m, 0);
            double before = eval == null ? Double.NaN : Trainer.accuracy(m, eval, 256);
            if (r.qat() != null) m.enableQat(r.qat());
            SparseTraining sparse = r.sparse() == null ? null : new SparseTraining(m, r.sparse());
            Optimizer opt = Trainer.optimizer(r.options());
            Map<String, Object> settings = Checkpoint.settings("options", r.options(), "sparse", r.sparse(), "qat",
                    r.qat() == null ? null : describe(r.qat()));
            String sha = r.checkpoint() == null ? null : Checkpoint.fingerprint(OnnxModelWriter.toBytes(r.model()));
            Trainer.Resume from = Trainer.Resume.START;
            if (r.resume()) {
                Checkpoint.Meta meta = Checkpoint.load(r.checkpoint(), m, sha, train.description(), train.count(), settings);
                if (sparse != null) sparse.restore(meta.initialSparsity(), meta.maskUpdates());
                from = new Trainer.Resume(meta.epochsDone(), meta.optimizerStep(), meta.epochs());
                if (listener instanceof RunListener rl) rl.resumed(from);
                if (!meta.maskUpdates().isEmpty()) listener.maskUpdates(meta.maskUpdates());
            }
            if (listener instanceof RunListener rl) {
                Map<String, Double> targets = new java.util.LinkedHashMap<>();
                if (sparse != null) sparse.layers().forEach(l -> targets.put(l, sparse.target(l)));
                long per = Trainer.stepsPerEpoch(train.count(), r.options());
                rl.started(new Started(targets, train.count(), per, per * r.options().epochs()));
            }
            List<Trainer.Epoch> done = new ArrayList<>(from.epochs());
            double[] initial = sparse == null ? new double[0] : sparse.initialSparsity();
            List<Trainer.Epoch> epochs = Trainer.train(m, train, eval, r.options(), sparse, opt, from, new Trainer.Listener() {
                @Override
                public void epoch(Trainer.Epoch e) {
                    done.add(e);
                    if (r.checkpoint() != null) {
                        try {
                            Checkpoint.save(r.checkpoint(), new Checkpoint.Meta(0, r.source().toString(), sha,
                                    train.description(), train.count(), settings, e.epoch(), opt.stepCount(),
                                    List.copyOf(done), sparse == null ? List.of() : sparse.updates(), initial, null, 0),
                                    m, inputsOf(r));
                        } catch (java.io.IOException ex) {
                            throw new java.io.UncheckedIOException(ex);
                        }
                    }
                    progress.progress(0.95 * e.epoch() / r.options().epochs(), "epoch " + e.epoch() + " of " + r.options().epochs());
                    listener.epoch(e);
                }

                @Override
                public void step(Trainer.Step s) {
                    listener.step(s);
                }

                @Override
                public void maskUpdates(List<SparseTraining.MaskUpdate> updates) {
                    listener.maskUpdates(updates);
                }
            }, control);
            OnnxModel trained = m.toOnnx();
            byte[] bytes = OnnxModelWriter.toBytes(trained);
            double diff = verify(bytes, m, eval != null ? eval : train);
            QatResult qat = null;
            if (r.qat() != null) {
                progress.progress(0.95, "quantizing the trained model to INT8");
                QuantOutcome q = quantize(r, bytes, control.token());
                bytes = q.bytes();
                qat = q.result();
            }
            Report report = new Report(r.source().toString(), r.output().toString(), r.method(), r.options(), r.sparse(),
                    r.train().description(), train.count(), eval == null ? null : r.eval().description(),
                    eval == null ? 0 : eval.count(), before, epochs.isEmpty() ? Double.NaN : epochs.get(epochs.size() - 1).evalAccuracy(),
                    epochs, sparse == null ? List.of() : sparse.updates(), diff, qat,
                    r.checkpoint() == null ? null : r.checkpoint().toString(), from.epochsDone());
            try (OutputSet out = new OutputSet(policy)) {
                out.write(r.output(), bytes);
                if (r.report() != null) {
                    out.write(r.report(), new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(report));
                }
                out.commit();
            }
            return report;
        }
    }

    /** The per-sample shape of the training data's first sample (for inputs with symbolic height and width). */
    private static int[] dataShape(Request r) {
        List<org.polaris.workbench.engine.model.ValueInfo> inputs = r.model().graph().feedInputs();
        if (inputs.size() != 1 || r.train().size() == 0) return null;
        Tensor t = r.train().feeds(0, 1, inputs).get(inputs.get(0).name());
        if (t == null || t.dims().length < 2) return null;
        int[] shape = new int[t.dims().length - 1];
        for (int i = 1; i < t.dims().length; i++) shape[i - 1] = Math.toIntExact(t.dims()[i]);
        return shape;
    }

    private static String describe(QuantOptions o) {
        return "static int8, " + (o.perChannel() ? "per-channel" : "per-tensor") + " weights, "
                + o.activationType().name().toLowerCase(java.util.Locale.ROOT)
                + (o.symmetricActivations() ? " symmetric" : "") + " activations, " + o.calibration() + " calibration";
    }

    private record QuantOutcome(byte[] bytes, QatResult result) {
    }

    /**
     * The trained float model through {@code quantize} (its calibration, speed check and verification), and the
     * model as given through the same quantization for comparison (post-training quantization); both evaluated on
     * the same samples. Everything happens in a temporary folder that is removed after.
     */
    private static QuantOutcome quantize(Request r, byte[] trainedFloat, CancellationToken cancel) throws Exception {
        Path dir = TempFiles.createFolder("polaris-qat");
        try {
            Path floatModel = dir.resolve("trained.onnx");
            java.nio.file.Files.write(floatModel, trainedFloat);
            InputData evalData = r.eval() != null ? r.eval() : r.train();
            int samples = Math.min(evalData.size(), 10_000);
            QuantEvaluator.Settings settings = new QuantEvaluator.Settings(samples, 20, 5, 1, 1);
            QuantizeService q = new QuantizeService();
            QuantReport qat = q.run(new QuantRequest(floatModel, dir.resolve("trained-int8.onnx"), false, r.qat(), r.train(),
                    Trainer.QAT_CALIBRATION_SAMPLES, evalData, settings, dir.resolve("trained-int8.json"), 0.9),
                    ProgressSink.NONE, cancel);
            Path original = dir.resolve("original.onnx");
            java.nio.file.Files.write(original, OnnxModelWriter.toBytes(r.model()));
            QuantReport ptq = q.run(new QuantRequest(original, dir.resolve("original-int8.onnx"), false, r.qat(), r.train(),
                    Trainer.QAT_CALIBRATION_SAMPLES, evalData, settings, dir.resolve("original-int8.json"), 0.9),
                    ProgressSink.NONE, cancel);
            int int8 = (int) qat.layers().stream().filter(l -> l.bits() == 8 && (l.note() == null || !l.note().contains("kept in float"))).count();
            QatResult result = new QatResult(describe(r.qat()), samples, qat.evaluation().original().accuracy(),
                    qat.evaluation().quantized().accuracy(), ptq.evaluation().original().accuracy(),
                    ptq.evaluation().quantized().accuracy(), int8, qat.warnings());
            return new QuantOutcome(java.nio.file.Files.readAllBytes(dir.resolve("trained-int8.onnx")), result);
        } finally {
            TempFiles.delete(dir);
        }
    }

    private static List<Path> inputsOf(Request r) {
        List<Path> in = new ArrayList<>(r.train().files());
        if (r.eval() != null) in.addAll(r.eval().files());
        return in;
    }

    /** The written model in a fresh ONNX Runtime session against the trained layers on up to 64 samples. */
    private static double verify(byte[] written, TrainableModel m, TrainData d) throws Exception {
        int n = Math.min(64, d.count());
        float[] x = Arrays.copyOfRange(d.x(), 0, n * d.perSample());
        long[] shape = new long[m.inputShape().length + 1];
        shape[0] = n;
        for (int i = 0; i < m.inputShape().length; i++) shape[i + 1] = m.inputShape()[i];
        float[] want = m.outputs(x, n);
        float[] got;
        try (ModelRuntime rt = new org.polaris.workbench.engine.onnx.OrtRuntime(written, 1)) {
            Map<String, Tensor> out = rt.run(Map.of(m.inputName(), Tensor.ofFloats(m.inputName(), shape, x)));
            got = out.values().iterator().next().toFloats();
        }
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            double e = Math.abs(got[i] - want[i]);
            worst = Math.max(worst, e);
            if (e > 1e-4 * Math.max(1, Math.abs(want[i]))) {
                throw new VerificationException("the written model, re-loaded in ONNX Runtime, differs from the trained "
                        + "weights on sample " + i / m.classes() + " (|error| " + e + ")");
            }
        }
        return worst;
    }
}
