package org.polaris.workbench.ui.sparsity;

import org.polaris.workbench.engine.quant.Evaluation;
import org.polaris.workbench.engine.sparsity.PruneService;
import org.polaris.workbench.engine.sparsity.Reconstruction;
import org.polaris.workbench.engine.util.Sizes;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The label/value rows and warnings comparing the original and the pruned model. */
final class PruneCard {

    private PruneCard() {
    }

    static List<String[]> rows(PruneService.Result r) {
        Evaluation.Side o = r.comparison().original();
        Evaluation.Side p = r.comparison().quantized();
        List<String[]> card = new ArrayList<>();
        boolean int8 = r.layers().stream().anyMatch(l -> l.format().contains("int8"));
        card.add(new String[] {"Method", r.method() + (int8 ? " + int8" : "") + ", " + r.scope() + " scope, "
                + String.format(Locale.ROOT, "%.1f%% removed", 100 * r.overallSparsity())});
        if (o.accuracy() != null) {
            card.add(new String[] {"Accuracy", String.format(Locale.ROOT, "%.2f%% -> %.2f%% (%+.2f points)",
                    100 * o.accuracy(), 100 * p.accuracy(), 100 * (p.accuracy() - o.accuracy()))});
        }
        card.add(new String[] {"Agreement", String.format(Locale.ROOT, "top-1 %.2f%%, mean cosine %.4f over %d samples",
                100 * r.comparison().agreement().top1(), r.comparison().agreement().meanCosine(),
                r.comparison().agreement().samples())});
        card.add(new String[] {"File size", Sizes.bytes(o.fileBytes()) + " -> " + Sizes.bytes(p.fileBytes())
                + String.format(Locale.ROOT, " (%.2fx smaller)", (double) o.fileBytes() / p.fileBytes())});
        card.add(new String[] {"Latency", String.format(Locale.ROOT, "%.3f -> %.3f ms (ONNX Runtime, batch 1)",
                o.latency().medianMs(), p.latency().medianMs())});
        if (!r.refit().isEmpty()) {
            card.add(new String[] {"Re-fit", r.refit().stream().filter(Reconstruction.Layer::refit).count() + " of "
                    + r.refit().size() + " layers on " + r.refitSamples() + " samples"
                    + (r.refitOnEvaluationData() ? " (the evaluation data: accuracy is optimistic)" : "")});
        }
        card.add(new String[] {"Output", r.output().toString()});
        return card;
    }

    /** What the user should know: a loss above {@code tolerance} points, layers left whole. */
    static List<String> warnings(PruneService.Result r, double tolerance) {
        Evaluation.Side o = r.comparison().original();
        Evaluation.Side p = r.comparison().quantized();
        List<String> warnings = new ArrayList<>();
        double drop = o.accuracy() != null ? 100 * (o.accuracy() - p.accuracy())
                : 100 * (1 - r.comparison().agreement().top1());
        if (drop > tolerance) {
            warnings.add(String.format(Locale.ROOT, "This setting costs %.2f %s, more than the %.2f-point tolerance: "
                            + "lower the target, try another allocation, or exclude sensitive layers.", drop,
                    o.accuracy() != null ? "accuracy points" : "points of top-1 agreement", tolerance));
        }
        if (!r.skipped().isEmpty()) {
            warnings.add("Left whole: " + String.join("; ",
                    r.skipped().stream().map(k -> k.node() + " (" + k.reason() + ")").toList()));
        }
        return warnings;
    }
}
