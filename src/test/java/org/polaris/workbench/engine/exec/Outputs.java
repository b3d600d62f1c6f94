package org.polaris.workbench.engine.exec;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine's differential tolerance: |got - want| <= 1e-4 * max|want| + 1e-6, element-wise. */
final class Outputs {

    private Outputs() {
    }

    static void assertClose(float[] want, float[] got, String what) {
        assertThat(got).hasSameSizeAs(want);
        double scale = 0;
        for (float v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < want.length; i++) {
            assertThat((double) Math.abs(want[i] - got[i])).as("%s [%d]", what, i).isLessThanOrEqualTo(1e-4 * scale + 1e-6);
        }
    }
}
