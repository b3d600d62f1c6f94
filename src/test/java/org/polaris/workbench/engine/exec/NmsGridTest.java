package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.model.Attribute;
import org.polaris.workbench.engine.model.Node;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * NonMaxSuppression with many candidates (where the kept boxes are looked up on a grid) against the greedy
 * definition written out plainly here: every candidate checked against every kept box. Boxes as torchvision's
 * batched NMS makes them (classes shifted apart along the diagonal, so most pairs are far apart), on a quarter-pixel
 * grid (IoUs exactly on thresholds, touching edges, empty boxes), plus boxes spanning the whole extent, boxes with
 * NaN and infinite corners, both box encodings, thresholds including 0 and negative ones, and a per-class limit.
 */
class NmsGridTest {

    private static final Map<String, Kernel> KERNELS = new HashMap<>();

    static {
        IndexKernels.register(KERNELS);
    }

    @Test
    void gridLookupKeepsExactlyWhatTheGreedyDefinitionKeeps() {
        Random r = new Random(17);
        int trials = 0;
        int suppressedSome = 0;
        for (boolean center : new boolean[] {false, true}) {
            for (double threshold : new double[] {0, 0.3, 0.5, 0.7, 1, -0.1}) {
                for (int variant = 0; variant < 4; variant++) {
                    int classes = 1 + r.nextInt(3);
                    int spatial = 300 + r.nextInt(900);
                    float[] boxes = new float[spatial * 4];
                    for (int i = 0; i < spatial; i++) {
                        // batched NMS: each box shifted by its own group's offset on both axes
                        float offset = r.nextInt(40) * 17f;
                        float y = r.nextInt(48) / 4f + offset;
                        float x = r.nextInt(48) / 4f + offset;
                        float h = r.nextInt(12) == 0 ? 0 : (1 + r.nextInt(16)) / 4f;
                        float w = (1 + r.nextInt(16)) / 4f;
                        float[] b = center ? new float[] {x + w / 2, y + h / 2, w, h}
                                : r.nextBoolean() ? new float[] {y, x, y + h, x + w} : new float[] {y + h, x + w, y, x};
                        System.arraycopy(b, 0, boxes, 4 * i, 4);
                    }
                    if (variant >= 1) {
                        // large boxes (over more grid cells than a lookup takes: checked against every kept box), some
                        // overlapping each other by more than the thresholds, one over the whole extent
                        for (int i = 0; i < spatial / 8; i++) {
                            int at = r.nextInt(spatial) * 4;
                            float y = r.nextInt(40) * 17f + r.nextInt(8), x = r.nextInt(40) * 17f + r.nextInt(8);
                            float h = 100 + r.nextInt(40), w = 100 + r.nextInt(40);
                            float[] b = i == 0 ? new float[] {-5, -5, 690, 690}
                                    : center ? new float[] {x + w / 2, y + h / 2, w, h} : new float[] {y, x, y + h, x + w};
                            if (i == 0 && center) b = new float[] {342.5f, 342.5f, 695, 695};
                            System.arraycopy(b, 0, boxes, at, 4);
                        }
                    }
                    if (variant >= 2) { // corners a grid cannot place
                        float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
                        for (int i = 0; i < 6; i++) boxes[r.nextInt(boxes.length)] = bad[i % 3];
                    }
                    float[] scores = new float[classes * spatial];
                    for (int i = 0; i < scores.length; i++) scores[i] = r.nextInt(200) / 200f; // ties included
                    long maxOut = variant == 3 ? 50 : spatial;
                    long[] got = run(boxes, scores, classes, spatial, maxOut, threshold, center);
                    // the kernel reads the threshold from a float tensor
                    long[] want = greedy(boxes, scores, classes, spatial, maxOut, (float) threshold, center);
                    assertThat(got).as("center %s threshold %s variant %d: %d boxes", center, threshold, variant, spatial)
                            .containsExactly(want);
                    trials++;
                    if (want.length / 3 < Math.min(maxOut, spatial) * classes) suppressedSome++;
                }
            }
        }
        assertThat(suppressedSome).as("trials where boxes were suppressed").isGreaterThan(trials / 2);
    }

    private static long[] run(float[] boxes, float[] scores, int classes, int spatial, long maxOut, double threshold,
                              boolean center) {
        Node n = new Node("nms", "NonMaxSuppression", "", List.of(), List.of(),
                List.of(Attribute.ofInt("center_point_box", center ? 1 : 0)), "");
        Value[] in = {Value.floats(new int[] {1, spatial, 4}, boxes), Value.floats(new int[] {1, classes, spatial}, scores),
                Value.longs(new int[] {1}, new long[] {maxOut}), Value.floats(new int[] {1}, new float[] {(float) threshold}),
                Value.floats(new int[] {1}, new float[] {0.05f})};
        return KERNELS.get("NonMaxSuppression").run(n, in, 11)[0].l;
    }

    /** The definition: candidates above the score threshold by descending score (ties: lower index), each kept unless
     * a kept box overlaps it by an IoU above the threshold (computed in float, as the kernel does). */
    private static long[] greedy(float[] boxes, float[] scores, int classes, int spatial, long maxOut, double threshold,
                                 boolean center) {
        float[][] c = new float[spatial][];
        for (int i = 0; i < spatial; i++) {
            float a0 = boxes[4 * i], a1 = boxes[4 * i + 1], a2 = boxes[4 * i + 2], a3 = boxes[4 * i + 3];
            float y1 = center ? a1 - a3 / 2 : Math.min(a0, a2), x1 = center ? a0 - a2 / 2 : Math.min(a1, a3);
            float y2 = center ? a1 + a3 / 2 : Math.max(a0, a2), x2 = center ? a0 + a2 / 2 : Math.max(a1, a3);
            c[i] = new float[] {y1, x1, y2, x2, (y2 - y1) * (x2 - x1)};
        }
        List<Long> out = new ArrayList<>();
        for (int cls = 0; cls < classes; cls++) {
            final int base = cls * spatial;
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < spatial; i++) if (scores[base + i] > 0.05f) order.add(i);
            order.sort((p, q) -> scores[base + p] != scores[base + q] ? Float.compare(scores[base + q], scores[base + p])
                    : Integer.compare(p, q));
            List<float[]> kept = new ArrayList<>();
            for (int i : order) {
                if (kept.size() >= maxOut) break;
                boolean suppressed = false;
                for (float[] k : kept) {
                    float ih = Math.min(c[i][2], k[2]) - Math.max(c[i][0], k[0]);
                    float iw = Math.min(c[i][3], k[3]) - Math.max(c[i][1], k[1]);
                    float inter = ih > 0 && iw > 0 ? ih * iw : 0;
                    boolean empty = c[i][4] <= 0 || k[4] <= 0;
                    float iou = empty || inter == 0 ? 0 : inter / (c[i][4] + k[4] - inter);
                    if (iou > threshold) {
                        suppressed = true;
                        break;
                    }
                }
                if (!suppressed) {
                    kept.add(c[i]);
                    out.add(0L);
                    out.add((long) cls);
                    out.add((long) i);
                }
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }
}
