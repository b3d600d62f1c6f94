package org.polaris.workbench.engine.quant;

import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Accumulates the comparison of two models' outputs, every output, sample by sample: cosine, max abs error, and
 * top-1 agreement for class-like outputs ({@code [samples, classes]} floats, one row per sample). Accuracy against
 * labels uses the primary output: the first class-like one, else the first output that had values to compare.
 */
final class OutputComparison {

    private static final class Acc {
        boolean classLike;
        int n;
        int agree;
        int mismatched;
        int empty;
        double cosSum;
        double cosMin = 1;
        double maxAbs;
    }

    private final Map<String, Acc> outputs = new LinkedHashMap<>();
    private String primary;
    private int correctA;
    private int correctB;
    private int labelled;

    /** Adds one batch of {@code count} samples; {@code labels[i]} is sample i's class or -1. */
    void add(Map<String, Tensor> a, Map<String, Tensor> b, int count, int[] labels) {
        for (Map.Entry<String, Tensor> e : a.entrySet()) {
            Tensor ta = e.getValue();
            Tensor tb = b.get(e.getKey());
            if (tb == null || !ta.dataType().isNumeric() || ta.dataType() == DataType.STRING) {
                continue;
            }
            Acc acc = outputs.computeIfAbsent(e.getKey(), k -> new Acc());
            acc.classLike = ta.dataType() == DataType.FLOAT && ta.rank() == 2 && ta.dims()[0] == count
                    && ta.dims()[1] > 1;
            if (primary == null && acc.classLike) {
                primary = e.getKey();
            }
            boolean perSample = ta.rank() > 0 && ta.dims()[0] == count && tb.rank() > 0 && tb.dims()[0] == count;
            int items = perSample ? count : 1;
            if (!Arrays.equals(ta.dims(), tb.dims())) {
                acc.mismatched += items;
                acc.n += items;
                continue;
            }
            if (ta.elementCount() == 0) {
                acc.empty += items; // e.g. no detections in either model: nothing to compare
                acc.n += items;
                continue;
            }
            double[] va = ta.toDoubles();
            double[] vb = tb.toDoubles();
            int per = items == 0 ? 0 : va.length / items;
            // one tensor for the whole batch whose rows are a set (a detector's boxes): row order carries no meaning
            boolean rowSet = !perSample && ta.rank() >= 2 && ta.dims()[0] > 1;
            for (int i = 0; i < items; i++) {
                double[] ra = Arrays.copyOfRange(va, i * per, (i + 1) * per);
                double[] rb = Arrays.copyOfRange(vb, i * per, (i + 1) * per);
                if (rowSet && QuantMath.cosine(ra, rb) < QuantMath.cosineAnyRowOrder(ra, rb, (int) ta.dims()[0])) {
                    rb = QuantMath.matchRows(ra, rb, (int) ta.dims()[0]);
                }
                double cos = cosine(ra, rb);
                acc.cosSum += cos;
                acc.cosMin = Double.isNaN(cos) ? cos : Math.min(acc.cosMin, cos);
                for (int k = 0; k < per; k++) {
                    acc.maxAbs = Math.max(acc.maxAbs, Math.abs(ra[k] - rb[k]));
                }
                if (acc.classLike) {
                    int xa = argmax(ra);
                    int xb = argmax(rb);
                    if (xa == xb) {
                        acc.agree++;
                    }
                    if (e.getKey().equals(primary) && perSample && labels[i] >= 0) {
                        labelled++;
                        if (xa == labels[i]) correctA++;
                        if (xb == labels[i]) correctB++;
                    }
                }
                acc.n++;
            }
        }
    }

    /** Accuracy of model a (or b) on the labelled samples, or null without labels. */
    Double accuracy(boolean first) {
        return labelled == 0 ? null : (double) (first ? correctA : correctB) / labelled;
    }

    Evaluation.Agreement agreement() {
        List<Evaluation.OutputAgreement> list = new ArrayList<>();
        for (Map.Entry<String, Acc> e : outputs.entrySet()) {
            Acc a = e.getValue();
            int compared = a.n - a.mismatched - a.empty;
            list.add(new Evaluation.OutputAgreement(e.getKey(), a.classLike,
                    a.classLike && compared > 0 ? (double) a.agree / compared : Double.NaN,
                    compared > 0 ? a.cosSum / compared : Double.NaN, compared > 0 ? a.cosMin : Double.NaN,
                    a.maxAbs, a.n, a.mismatched, a.empty));
        }
        if (list.isEmpty()) {
            return new Evaluation.Agreement(Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, list);
        }
        Evaluation.OutputAgreement p = list.stream().filter(o -> o.output().equals(primary)).findFirst()
                .orElse(list.stream().filter(o -> !Double.isNaN(o.meanCosine())).findFirst().orElse(list.get(0)));
        return new Evaluation.Agreement(p.top1(), p.meanCosine(), p.minCosine(), p.maxAbsError(), p.samples(), list);
    }

    static double cosine(double[] a, double[] b) {
        return QuantMath.cosine(a, b);
    }

    private static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) best = i;
        }
        return best;
    }
}
