package org.polaris.workbench.ui.train;

import org.polaris.workbench.engine.data.InputData;
import org.polaris.workbench.engine.data.InputPlan;
import org.polaris.workbench.engine.data.LabelFile;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.quant.QuantOptions;
import org.polaris.workbench.engine.sparsity.Allocation;
import org.polaris.workbench.engine.train.Checkpoint;
import org.polaris.workbench.engine.train.Optimizer;
import org.polaris.workbench.engine.train.SparseTraining;
import org.polaris.workbench.engine.train.TrainControl;
import org.polaris.workbench.engine.train.TrainService;
import org.polaris.workbench.engine.train.Trainer;
import org.polaris.workbench.engine.train.TrainingLog;
import org.polaris.workbench.ui.common.JobForm;
import org.polaris.workbench.ui.common.OutputFolder;

import java.nio.file.Path;
import java.util.Locale;

/** The Train pane's current run: its log and control, and the settings it was started with. */
final class TrainRun {

    private TrainingLog log;
    private TrainControl control;
    private long seen = -1;

    TrainingLog begin(TrainControl c) {
        log = new TrainingLog();
        control = c;
        seen = -1;
        return log;
    }

    TrainingLog log() {
        return log;
    }

    TrainControl control() {
        return control;
    }

    /** True when the log has news since the last call. */
    boolean changed() {
        long v = log.version();
        if (v == seen) return false;
        seen = v;
        return true;
    }

    /** Everything a run needs, taken on the FX thread; {@link #request} opens the files on the worker. */
    record Settings(Path model, Path data, Path labels, Path eval, int samples, String method, int epochs, int batch,
                    double lr, Optimizer.Kind optimizer, double sparsity, Allocation.Strategy allocation, int updateEvery,
                    double dropFraction, long seed, Path checkpoint, boolean resume, Path output, boolean overwrite,
                    InputPlan.Request inputs) {

        void validate() {
            if (epochs < 1 || epochs > 1000) throw new IllegalArgumentException("epochs must be 1 to 1000");
            if (batch < 1 || batch > 4096) throw new IllegalArgumentException("the batch must be 1 to 4096 samples");
            if (!(lr > 0 && lr <= 10)) throw new IllegalArgumentException("the learning rate must be above 0 and at most 10");
            if (resume && checkpoint == null) throw new IllegalArgumentException("resuming needs a checkpoint folder");
            if (checkpoint != null && !resume && Checkpoint.exists(checkpoint)) {
                throw new IllegalArgumentException(checkpoint + " holds a checkpoint: tick Resume to continue it, or "
                        + "choose another folder");
            }
            sparse();
        }

        SparseTraining.Options sparse() {
            return switch (method) {
                case "dense", "qat" -> null;
                default -> new SparseTraining.Options(SparseTraining.Method.parse(method), sparsity, allocation,
                        updateEvery, dropFraction, 0.75);
            };
        }

        Trainer.Options options() {
            return new Trainer.Options(epochs, batch, lr, optimizer, 0.9, 1e-4, Trainer.Schedule.COSINE, seed);
        }

        String describe() {
            String m = switch (method) {
                case "dense" -> "dense fine-tuning";
                case "static" -> "static mask";
                case "qat" -> "QAT for static INT8";
                default -> String.format(Locale.ROOT, "%s to %.0f%% (%s, every %d steps)", method, 100 * sparsity,
                        allocation.name().toLowerCase(Locale.ROOT), updateEvery);
            };
            String rate = new java.math.BigDecimal(lr).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
            return String.format(Locale.ROOT, "%s, %d epochs, batch %d, %s lr %s, seed %d, on %s", m, epochs, batch,
                    optimizer.name().toLowerCase(Locale.ROOT), rate, seed, data.getFileName());
        }

        /** Reads the model and opens the data (on the worker). */
        TrainService.Request request() throws Exception {
            OutputFolder.prepare(output);
            OnnxModel m = new OnnxModelReader().read(model);
            InputData train = JobForm.open(model, inputs, data, 0);
            if (labels != null) train = LabelFile.attach(train, labels);
            InputData evalData = eval == null ? null : JobForm.open(model, inputs, eval, 0);
            return new TrainService.Request(m, model, output, overwrite, train, evalData, samples, options(), sparse(),
                    method.equals("qat") ? QuantOptions.staticInt8() : null, 2, output.resolveSibling(output.getFileName()
                    + ".report.json"), checkpoint, resume);
        }
    }
}
