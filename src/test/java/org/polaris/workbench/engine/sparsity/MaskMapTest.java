package org.polaris.workbench.engine.sparsity;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MaskMapTest {

    @Test
    void cellsAverageTheirTilesAndSmallMatricesKeepEveryWeight() {
        float[] w = new float[6 * 4];
        for (int r = 0; r < 6; r++) for (int c = 0; c < 4; c++) w[r * 4 + c] = (r < 3 && c < 2) ? 0f : 1f;
        MaskMap full = MaskMap.of("t", w, 6, 4, 96);
        assertThat(full.cells().length).isEqualTo(6);
        assertThat(full.cells()[0]).containsExactly(0, 0, 1, 1);
        MaskMap small = MaskMap.of("t", w, 6, 4, 2);
        assertThat(small.cells()[0]).containsExactly(0.0, 1.0);
        assertThat(small.cells()[1]).containsExactly(1.0, 1.0);
        // 7 rows into 3 cells: uneven tiles still average exactly
        float[] v = new float[7];
        v[0] = 1f;
        MaskMap uneven = MaskMap.of("t", v, 7, 1, 3);
        assertThat(uneven.cells()[0][0]).isCloseTo(1.0 / 3, org.assertj.core.data.Offset.offset(1e-12));
        assertThatThrownBy(() -> MaskMap.of("t", v, 3, 3, 4)).isInstanceOf(IllegalArgumentException.class);
    }
}
