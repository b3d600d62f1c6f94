package org.polaris.workbench.engine.exec;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The inner loop of NonMaxSuppression ({@link IndexKernels.Overlap}) over whole vectors of kept boxes: the same float
 * arithmetic as the scalar loop, lane by lane, so both decide alike. Loaded like {@link VectorQuant}.
 */
final class VectorNms implements IndexKernels.Overlap {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int W = F.length();

    @Override
    public int clearUpTo(float ay1, float ax1, float ay2, float ax2, float aa, float[] ky1, float[] kx1, float[] ky2,
                         float[] kx2, float[] karea, int kept, float threshold) {
        if (!(aa > 0) || !(threshold >= 0)) {
            return 0; // IoU 0 for every kept box: the scalar loop decides
        }
        int j = 0;
        for (; j + W <= kept; j += W) {
            FloatVector ih = FloatVector.fromArray(F, ky2, j).min(ay2).sub(FloatVector.fromArray(F, ky1, j).max(ay1));
            FloatVector iw = FloatVector.fromArray(F, kx2, j).min(ax2).sub(FloatVector.fromArray(F, kx1, j).max(ax1));
            FloatVector ka = FloatVector.fromArray(F, karea, j);
            VectorMask<Float> overlap = ih.compare(jdk.incubator.vector.VectorOperators.GT, 0f)
                    .and(iw.compare(jdk.incubator.vector.VectorOperators.GT, 0f))
                    .and(ka.compare(jdk.incubator.vector.VectorOperators.GT, 0f));
            if (!overlap.anyTrue()) {
                continue;
            }
            FloatVector inter = ih.mul(iw);
            FloatVector iou = inter.div(ka.add(aa).sub(inter));
            if (overlap.and(inter.compare(jdk.incubator.vector.VectorOperators.NE, 0f))
                    .and(iou.compare(jdk.incubator.vector.VectorOperators.GT, threshold)).anyTrue()) {
                return -1;
            }
        }
        return j;
    }
}
