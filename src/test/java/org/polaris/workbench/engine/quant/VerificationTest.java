package org.polaris.workbench.engine.quant;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.model.Tensor;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VerificationTest {

    private static Map<String, Tensor> out(float... v) {
        return Map.of("logits", Tensor.ofFloats("logits", new long[] {1, v.length}, v));
    }

    @Test
    void aDriftingOutputFailsWithItsCosine() {
        assertThatThrownBy(() -> Verification.requireClose(out(1, 2, 3), out(3, -2, 1), "quantized", 0.5))
                .isInstanceOf(QuantizationException.class)
                .hasMessage("verification failed: output logits has cosine 0.1429 to the original (minimum 0.5000)");
    }

    @Test
    void anOriginalOutputThatIsNumericallyZeroIsNamedAsTheCause() {
        // a deep random network whose activations vanished: its float32 noise cannot be compared
        assertThatThrownBy(() -> Verification.requireClose(out(3e-14f, -4e-14f, 1e-15f), out(-1e-14f, 2e-14f, 5e-15f),
                "quantized", 0.5))
                .isInstanceOf(QuantizationException.class)
                .hasMessage("verification failed: the original model's output logits is numerically zero on these "
                        + "inputs (largest |value| 4.00e-14), so no comparison means anything; check the model's "
                        + "weights and the inputs");
    }

    @Test
    void closeOutputsPass() {
        assertThatCode(() -> Verification.requireClose(out(1, 2, 3), out(1.01f, 2, 2.98f), "quantized", 0.99))
                .doesNotThrowAnyException();
    }
}
