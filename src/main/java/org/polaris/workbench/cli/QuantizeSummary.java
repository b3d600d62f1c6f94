package org.polaris.workbench.cli;

import org.polaris.workbench.engine.quant.Evaluation;
import org.polaris.workbench.engine.quant.QuantReport;
import org.polaris.workbench.engine.util.Sizes;

import java.util.Locale;

/** The human-readable result of {@code quantize}; the JSON report holds the full detail. */
final class QuantizeSummary {

    private QuantizeSummary() {
    }

    static String text(QuantReport r) {
        Evaluation.Side o = r.evaluation().original();
        Evaluation.Side q = r.evaluation().quantized();
        Evaluation.Agreement a = r.evaluation().agreement();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Wrote %s%n", r.request().output()));
        b.append(String.format(Locale.ROOT, "Size:       %s -> %s (%.2fx smaller)%n", Sizes.bytes(o.fileBytes()),
                Sizes.bytes(q.fileBytes()), r.sizeRatio()));
        if (o.accuracy() != null) {
            b.append(String.format(Locale.ROOT, "Accuracy:   %.2f%% -> %.2f%% top-1 (%d samples)%n",
                    100 * o.accuracy(), 100 * q.accuracy(), a.samples()));
        }
        b.append(AgreementText.lines(a, r.evaluationSynthetic() ? " (generated inputs)" : ""));
        b.append(String.format(Locale.ROOT, "Latency:    %.3f ms -> %.3f ms median, p90 %.3f -> %.3f (%.2fx, batch %d, "
                        + "%d thread(s))%n", o.latency().medianMs(), q.latency().medianMs(), o.latency().p90Ms(),
                q.latency().p90Ms(), r.speedup(), q.latency().batch(), q.latency().threads()));
        b.append(String.format(Locale.ROOT, "Fused ops:  %s; leftover Q/DQ nodes: %d%n", q.quantizedOps(), q.leftoverQdq()));
        r.warnings().forEach(w -> b.append("WARNING: ").append(w).append(System.lineSeparator()));
        b.append(String.format(Locale.ROOT, "Report:     %s (%.1f s)%n", r.request().reportPath(), r.seconds()));
        return b.toString();
    }
}
