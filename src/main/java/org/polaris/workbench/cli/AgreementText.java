package org.polaris.workbench.cli;

import org.polaris.workbench.engine.quant.Evaluation;

import java.util.Locale;

/** How quantize and prune print the comparison of a result with its original: the primary output, then each one. */
final class AgreementText {

    private AgreementText() {
    }

    /** Lines starting with "Agreement:", ending with a line separator; {@code note} follows the first line. */
    static String lines(Evaluation.Agreement a, String note) {
        StringBuilder b = new StringBuilder();
        String top1 = Double.isNaN(a.top1()) ? "" : String.format(Locale.ROOT, "top-1 %.2f%%, ", 100 * a.top1());
        b.append(String.format(Locale.ROOT, "Agreement:  %smean cosine %.5f, max |error| %.4g over %d samples%s%n",
                top1, a.meanCosine(), a.maxAbsError(), a.samples(), note));
        if (a.outputs().size() > 1) {
            for (Evaluation.OutputAgreement o : a.outputs()) {
                if (o.empty() + o.mismatched() == o.samples()) {
                    b.append(String.format(Locale.ROOT, "  output %s: not compared (%s)%n", o.output(),
                            o.mismatched() == 0 ? "empty in both models on every sample"
                                    : o.mismatched() + " samples of another shape, " + o.empty() + " empty in both"));
                    continue;
                }
                b.append(String.format(Locale.ROOT, "  output %s: %smean cosine %.5f (min %.5f), max |error| %.4g%s%n",
                        o.output(), Double.isNaN(o.top1()) ? "" : String.format(Locale.ROOT, "top-1 %.2f%%, ", 100 * o.top1()),
                        o.meanCosine(), o.minCosine(), o.maxAbsError(),
                        (o.mismatched() > 0 ? ", " + o.mismatched() + " samples of another shape" : "")
                                + (o.empty() > 0 ? ", " + o.empty() + " empty in both" : "")));
            }
        }
        return b.toString();
    }
}
