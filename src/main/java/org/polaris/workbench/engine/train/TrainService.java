package org.polaris.workbench.engine.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.data.InputData;
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

    /** What to train, on what, and where the result goes. */
    public record Request(OnnxModel model, Path source, Path output, boolean force, InputData train, InputData eval,
                          int trainLimit, Trainer.Options options, SparseTraining.Options sparse, int threads, Path report) {
    }

    /** The report: settings, the accuracy before and after, every epoch, the mask updates and the verification. */
    public record Report(String model, String output, Trainer.Options options, SparseTraining.Options sparse,
                         String trainData, int trainSamples, String evalData, int evalSamples, double accuracyBefore,
                         double accuracyAfter, List<Trainer.Epoch> epochs, List<SparseTraining.MaskUpdate> maskUpdates,
                         double maxAbsDifference) {
    }

    /** Thrown when the written model does not give the trained outputs (nothing is written then). */
    public static final class VerificationException extends Exception {
        public VerificationException(String message) {
            super(message);
        }
    }

    public Report run(Request r, Trainer.Listener listener, ProgressSink progress, CancellationToken cancel) throws Exception {
        OutputPolicy policy = OutputPolicy.of(r.force(), r.source()).withInputs(inputsOf(r));
        policy.preflight(r.report() == null ? new Path[] {r.output()} : new Path[] {r.output(), r.report()});
        try (EnginePool pool = new EnginePool(r.threads())) {
            TrainableModel m = TrainableModel.of(r.model(), pool, r.options().seed());
            progress.progress(0.01, "reading the training data");
            TrainData train = TrainData.load(r.train(), m, r.trainLimit());
            TrainData eval = r.eval() == null ? null : TrainData.load(r.eval(), m, 0);
            double before = eval == null ? Double.NaN : Trainer.accuracy(m, eval, 256);
            SparseTraining sparse = r.sparse() == null ? null : new SparseTraining(m, r.sparse());
            List<Trainer.Epoch> epochs = Trainer.train(m, train, eval, r.options(), sparse, new Trainer.Listener() {
                @Override
                public void epoch(Trainer.Epoch e) {
                    progress.progress((double) e.epoch() / r.options().epochs(), "epoch " + e.epoch() + " of " + r.options().epochs());
                    listener.epoch(e);
                }

                @Override
                public void step(long step, double loss) {
                    listener.step(step, loss);
                }
            }, cancel);
            OnnxModel trained = m.toOnnx();
            byte[] bytes = OnnxModelWriter.toBytes(trained);
            double diff = verify(bytes, m, eval != null ? eval : train);
            Report report = new Report(r.source().toString(), r.output().toString(), r.options(), r.sparse(),
                    r.train().description(), train.count(), eval == null ? null : r.eval().description(),
                    eval == null ? 0 : eval.count(), before, epochs.isEmpty() ? Double.NaN : epochs.get(epochs.size() - 1).evalAccuracy(),
                    epochs, sparse == null ? List.of() : sparse.updates(), diff);
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
