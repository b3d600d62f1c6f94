package org.polaris.workbench.ui.common;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.quant.QuantOptions;

import static org.assertj.core.api.Assertions.assertThat;

class GuiMessagesTest {

    @Test
    void engineAdviceNamesControlsNotFlags() {
        String w = GuiMessages.text("Calibrated on random inputs: activation ranges may not match real data. Pass --calib-data.");
        assertThat(w).endsWith("Choose calibration data (Calibration > Data).");
        assertThat(GuiMessages.namesFlag(w)).isFalse();
        assertThat(GuiMessages.text("/tmp/out.onnx exists; pass --force to replace it"))
                .isEqualTo("/tmp/out.onnx exists; choose another name with Save as…");
    }

    @Test
    void everyFlagTheEngineSuggestsIsTranslated() {
        // the messages below are the engine's own texts that name a flag; none may reach the GUI as a flag
        String[] engine = {
                "Calibrated on random inputs: activation ranges may not match real data. Pass --calib-data.",
                "Evaluated on random inputs: agreement numbers say little about real accuracy. Pass --eval-data.",
                "keep the layers with the lowest SQNR in float (--exclude).",
                "quantization pays on larger layers and batches (try --latency-batch 32 to see throughput).",
                "MatMulNBits is written symmetric only here; use --int4-format dq for asymmetric",
                "3 nodes; use --int4-format nbits or re-export the model at opset 21",
                "per-channel needs opset 13: use --per-tensor or re-export at opset 13",
                "global scope ranks single weights across layers: use it with --method magnitude",
                "needs --scope layer and --method magnitude or block",
                "exists; pass --force to replace it",
        };
        for (String m : engine) {
            assertThat(GuiMessages.namesFlag(GuiMessages.text(m))).as(m).isFalse();
        }
        // and one thrown by the engine itself: 4-bit static is refused with a flag in the message
        IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new QuantOptions(QuantOptions.Mode.STATIC, 4, true, false,
                        org.polaris.workbench.engine.quant.IntType.UINT8, true, 32, QuantOptions.Int4Format.MATMUL_NBITS,
                        new org.polaris.workbench.engine.quant.Calibration(
                                org.polaris.workbench.engine.quant.Calibration.Method.MINMAX, 99.99),
                        java.util.Set.of(), java.util.Set.of()));
        assertThat(GuiMessages.namesFlag(refused.getMessage())).isTrue();
        assertThat(GuiMessages.of(refused)).isEqualTo("4-bit quantization is weight-only: choose Mode: weight-only");
    }

    @Test
    void javaAndRuntimeInternalsAreNotShown() {
        String s = GuiMessages.of(new ArrayIndexOutOfBoundsException("Index 162 out of bounds for length 144"));
        assertThat(s).startsWith("The workbench failed on this model").doesNotContain("Index 162");
        assertThat(GuiMessages.of(new RuntimeException(new IllegalStateException(
                "Error code - ORT_INVALID_ARGUMENT - message: Got invalid dimensions for input: x"))))
                .isEqualTo("ONNX Runtime: Got invalid dimensions for input: x");
    }
}
