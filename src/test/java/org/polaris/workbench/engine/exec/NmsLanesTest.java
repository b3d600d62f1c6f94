package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * NonMaxSuppression's SIMD overlap test against its scalar loop: boxes on a quarter-pixel grid (so IoUs land
 * exactly on thresholds, boxes touch and some are empty), kept-box counts around the vector width, thresholds
 * including 0 and a negative one. In the scalar-kernel run the lanes decide nothing and the scalar loop does it all.
 */
class NmsLanesTest {

    @Test
    void vectorOverlapDecidesAsTheScalarLoop() {
        Random r = new Random(5);
        int checked = 0;
        int suppressed = 0;
        for (int trial = 0; trial < 4000; trial++) {
            int kept = r.nextInt(70);
            float[][] k = new float[5][kept];
            for (int j = 0; j < kept; j++) {
                float[] b = box(r);
                for (int q = 0; q < 5; q++) k[q][j] = b[q];
            }
            float[] a = box(r);
            float threshold = new float[] {0f, 0.25f, 0.5f, 1f, -0.1f}[trial % 5];
            boolean want = scalar(a, k, 0, kept, threshold);
            int from = IndexKernels.OVERLAP.clearUpTo(a[0], a[1], a[2], a[3], a[4], k[0], k[1], k[2], k[3], k[4], kept, threshold);
            boolean got = from < 0 || scalar(a, k, from, kept, threshold);
            assertThat(got).as("trial %d: %d kept boxes, threshold %s, lanes stopped at %d", trial, kept, threshold, from)
                    .isEqualTo(want);
            checked++;
            if (want) suppressed++;
        }
        assertThat(suppressed).as("trials that suppress").isBetween(checked / 10, checked * 9 / 10);
    }

    /** y1, x1, y2, x2 on a quarter-pixel grid in [0, 4), and the area; one in ten empty. */
    private static float[] box(Random r) {
        float y1 = r.nextInt(16) / 4f;
        float x1 = r.nextInt(16) / 4f;
        float y2 = r.nextInt(10) == 0 ? y1 : y1 + (1 + r.nextInt(8)) / 4f;
        float x2 = x1 + (1 + r.nextInt(8)) / 4f;
        return new float[] {y1, x1, y2, x2, (y2 - y1) * (x2 - x1)};
    }

    /** The scalar loop NonMaxSuppression runs after the lanes: is a suppressed by a kept box in [from, kept)? */
    private static boolean scalar(float[] a, float[][] k, int from, int kept, double threshold) {
        return IndexKernels.overlaps(a[0], a[1], a[2], a[3], a[4], k[0], k[1], k[2], k[3], k[4], from, kept, threshold);
    }
}
