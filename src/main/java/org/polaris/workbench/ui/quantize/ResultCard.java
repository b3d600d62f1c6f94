package org.polaris.workbench.ui.quantize;

import org.polaris.workbench.engine.quant.Evaluation;
import org.polaris.workbench.engine.quant.QuantReport;
import org.polaris.workbench.engine.util.Sizes;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The label/value rows comparing original and quantized models. */
final class ResultCard {

    private ResultCard() {
    }

    static List<String[]> rows(QuantReport r) {
        Evaluation.Side o = r.evaluation().original();
        Evaluation.Side q = r.evaluation().quantized();
        Evaluation.Agreement a = r.evaluation().agreement();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"Written", r.request().output().toString()});
        rows.add(new String[] {"Size", String.format(Locale.ROOT, "%s -> %s (%.2fx smaller)", Sizes.bytes(o.fileBytes()),
                Sizes.bytes(q.fileBytes()), r.sizeRatio())});
        if (o.accuracy() != null && q.accuracy() != null) {
            rows.add(new String[] {"Accuracy", String.format(Locale.ROOT, "%.2f%% -> %.2f%% top-1 (%d samples)",
                    100 * o.accuracy(), 100 * q.accuracy(), a.samples())});
        }
        rows.add(new String[] {"Agreement", String.format(Locale.ROOT, "top-1 %.2f%%, cosine %.5f", 100 * a.top1(),
                a.meanCosine())});
        rows.add(new String[] {"Latency", String.format(Locale.ROOT, "%.3f -> %.3f ms median (%.2fx, batch %d, %d thread)",
                o.latency().medianMs(), q.latency().medianMs(), r.speedup(), q.latency().batch(), q.latency().threads())});
        rows.add(new String[] {"Fused ops", q.quantizedOps().isEmpty() ? "none" : q.quantizedOps().toString()});
        rows.add(new String[] {"Left Q/DQ", Integer.toString(q.leftoverQdq())});
        rows.add(new String[] {"Report", r.request().reportPath().toString()});
        return rows;
    }
}
