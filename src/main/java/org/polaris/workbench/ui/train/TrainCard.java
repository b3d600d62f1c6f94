package org.polaris.workbench.ui.train;

import org.polaris.workbench.engine.train.TrainService;
import org.polaris.workbench.engine.train.Trainer;
import org.polaris.workbench.engine.train.TrainingLog;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The Train pane's texts: the result card, its headline and the progress line. */
final class TrainCard {

    private TrainCard() {
    }

    static String pct(Double v) {
        return v == null || v.isNaN() ? "n/a" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    static String headline(TrainService.Report r) {
        return r.qat() != null ? "INT8 accuracy " + pct(r.qat().int8Accuracy())
                : Double.isNaN(r.accuracyAfter()) ? "trained" : "accuracy " + pct(r.accuracyBefore()) + " → " + pct(r.accuracyAfter());
    }

    static List<String[]> rows(TrainService.Report r) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"Written", r.output()});
        rows.add(new String[] {"Method", r.method() + (r.sparse() == null ? "" : String.format(Locale.ROOT, " to %.0f%%, %s",
                100 * r.sparse().sparsity(), r.sparse().allocation().name().toLowerCase(Locale.ROOT)))});
        rows.add(new String[] {"Data", r.trainSamples() + " samples of " + r.trainData()});
        if (r.evalData() != null) {
            rows.add(new String[] {"Accuracy", pct(r.accuracyBefore()) + " before, " + pct(r.accuracyAfter()) + " after ("
                    + r.evalSamples() + " samples of " + r.evalData() + ")"});
        }
        if (r.qat() != null) {
            TrainService.QatResult q = r.qat();
            rows.add(new String[] {"INT8", pct(q.int8Accuracy()) + " (float " + pct(q.floatAccuracy()) + ") after QAT; "
                    + pct(q.ptqInt8Accuracy()) + " (float " + pct(q.ptqFloatAccuracy()) + ") quantizing the model as given"});
        }
        if (!r.epochs().isEmpty()) {
            Trainer.Epoch last = r.epochs().get(r.epochs().size() - 1);
            double mean = r.epochs().stream().mapToLong(Trainer.Epoch::millis).average().orElse(0) / 1000;
            rows.add(new String[] {"Epochs", String.format(Locale.ROOT, "%d, last loss %.4f, %.1f s per epoch",
                    r.epochs().size(), last.loss(), mean)});
        }
        if (!r.maskUpdates().isEmpty()) rows.add(new String[] {"Mask updates", String.valueOf(r.maskUpdates().size())});
        if (r.resumedAfterEpoch() > 0) rows.add(new String[] {"Resumed", "after epoch " + r.resumedAfterEpoch() + " from " + r.checkpoint()});
        rows.add(new String[] {"Verified", String.format(Locale.ROOT, "fresh ONNX Runtime session, max |difference| %.2g",
                r.maxAbsDifference())});
        return rows;
    }

    static String progress(TrainingLog.Snapshot s, boolean paused) {
        long per = s.started() == null ? 0 : s.started().stepsPerEpoch();
        if (s.lastStep() == 0 && s.epochs().isEmpty()) return paused ? "Paused before the first step" : "Starting…";
        long step = Math.max(s.lastStep(), s.epochs().size() * per);
        int epoch = per == 0 ? 0 : (int) Math.min(s.totalSteps() / Math.max(1, per), step / per + 1);
        String loss = s.loss().length == 0 ? "" : String.format(Locale.ROOT, ", loss %.4f", s.loss()[s.loss().length - 1]);
        String eval = s.epochs().isEmpty() ? "" : ", eval " + pct(s.epochs().get(s.epochs().size() - 1).evalAccuracy());
        return String.format(Locale.ROOT, "%s epoch %d, step %d of %d%s%s", paused ? "Paused at" : "Training:",
                epoch, step, s.totalSteps(), loss, eval);
    }
}
