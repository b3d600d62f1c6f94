package org.polaris.workbench.engine.quant;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.model.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How detector-like outputs (a variable number of rows, possibly none) are compared. */
class OutputComparisonTest {

    private static Map<String, Tensor> detections(int n, float shift) {
        float[] boxes = new float[n * 4];
        float[] scores = new float[n];
        for (int i = 0; i < boxes.length; i++) boxes[i] = i + 1 + shift;
        for (int i = 0; i < n; i++) scores[i] = 0.9f - 0.1f * i;
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("boxes", Tensor.ofFloats("boxes", new long[] {n, 4}, boxes));
        m.put("scores", Tensor.ofFloats("scores", new long[] {n}, scores));
        return m;
    }

    @Test
    void boxesOfOneImageAreNotClassScores() {
        OutputComparison c = new OutputComparison();
        c.add(detections(3, 0), detections(3, 0.01f), 1, new int[] {-1});
        Evaluation.Agreement a = c.agreement();
        assertThat(a.outputs()).extracting(Evaluation.OutputAgreement::classLike).containsExactly(false, false);
        assertThat(a.top1()).isNaN();
        assertThat(a.meanCosine()).isGreaterThan(0.999).isLessThan(1.0);
    }

    @Test
    void noDetectionsInEitherModelAreCountedAsEmptyNotAsPerfectAgreement() throws Exception {
        OutputComparison c = new OutputComparison();
        c.add(detections(0, 0), detections(0, 0), 1, new int[] {-1});
        c.add(detections(2, 0), detections(2, 5f), 1, new int[] {-1});
        Evaluation.Agreement a = c.agreement();
        Evaluation.OutputAgreement boxes = a.outputs().get(0);
        assertThat(boxes.samples()).isEqualTo(2);
        assertThat(boxes.empty()).isEqualTo(1);
        // the mean is over the one sample that had boxes, not raised by an empty "1.0"
        assertThat(boxes.meanCosine()).isEqualTo(boxes.minCosine()).isCloseTo(0.9727, org.assertj.core.data.Offset.offset(1e-3));
        Verification.requireAgreement(a, 0.5);

        OutputComparison none = new OutputComparison();
        none.add(detections(0, 0), detections(0, 0), 1, new int[] {-1});
        assertThatThrownBy(() -> Verification.requireAgreement(none.agreement(), 0.5))
                .isInstanceOf(QuantizationException.class)
                .hasMessageContaining("every output was empty in both models");
    }

    @Test
    void detectionsInAnotherOrderAreMatchedRowByRow() throws Exception {
        Map<String, Tensor> a = detections(3, 0);
        float[] boxes = a.get("boxes").toFloats();
        float[] swapped = boxes.clone();
        // near-tied scores: the result lists the first two boxes the other way round, slightly moved
        for (int k = 0; k < 4; k++) {
            swapped[k] = boxes[4 + k] + 0.01f;
            swapped[4 + k] = boxes[k];
        }
        Map<String, Tensor> b = new LinkedHashMap<>(a);
        b.put("boxes", Tensor.ofFloats("boxes", new long[] {3, 4}, swapped));
        assertThat(QuantMath.cosine(boxes, swapped)).isLessThan(0.95);
        OutputComparison c = new OutputComparison();
        c.add(a, b, 1, new int[] {-1});
        Evaluation.OutputAgreement o = c.agreement().outputs().get(0);
        assertThat(o.meanCosine()).isGreaterThan(0.99999);
        assertThat(o.maxAbsError()).isCloseTo(0.01, org.assertj.core.data.Offset.offset(1e-5));
        Verification.requireClose(a, b, "quantized", 0.99);
        // a result that is wrong, not reordered, still fails
        Map<String, Tensor> wrong = new LinkedHashMap<>(a);
        wrong.put("boxes", Tensor.ofFloats("boxes", new long[] {3, 4}, new float[] {9, 0, 0, 0, 0, 9, 0, 0, 0, 0, 9, 0}));
        assertThatThrownBy(() -> Verification.requireClose(a, wrong, "quantized", 0.9))
                .hasMessageStartingWith("verification failed: output boxes has cosine");
    }
}
