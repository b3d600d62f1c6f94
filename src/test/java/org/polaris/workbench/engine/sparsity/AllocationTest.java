package org.polaris.workbench.engine.sparsity;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class AllocationTest {

    private static double removed(List<long[]> shapes, double[] s) {
        double r = 0;
        double t = 0;
        for (int i = 0; i < s.length; i++) {
            double n = 1;
            for (long d : shapes.get(i)) n *= d;
            r += s[i] * n;
            t += n;
        }
        return r / t;
    }

    @Test
    void erkMeetsTheTargetAndKeepsSmallLayersDenser() {
        List<long[]> shapes = List.of(new long[] {16, 1, 3, 3}, new long[] {32, 16, 3, 3}, new long[] {64, 1568},
                new long[] {10, 64});
        double[] s = Allocation.erk(shapes, 0.8);
        assertThat(removed(shapes, s)).isCloseTo(0.8, within(1e-6));
        assertThat(s[0]).isLessThan(s[1]);
        assertThat(s[3]).isLessThan(s[2]);
        assertThat(s[2]).isGreaterThan(0.8);
        // the first conv (144 weights, eps ~ 0.15) would need more than full density: kept dense
        assertThat(s[0]).isZero();
    }

    private static SensitivityScan.Curve curve(String name, long[] shape, double... accAt) {
        double[] levels = {0, 0.25, 0.5, 0.75, 0.9};
        List<SensitivityScan.Point> pts = new java.util.ArrayList<>();
        for (int i = 0; i < accAt.length; i++) pts.add(new SensitivityScan.Point(levels[i], accAt[i]));
        return new SensitivityScan.Curve(name, name, shape, pts);
    }

    @Test
    void sensitivityPrunesTheRobustLayerFirstAndHitsTheTargetExactly() {
        SensitivityScan.Result scan = new SensitivityScan.Result(0.9, SensitivityScan.Score.ACCURACY, 100, List.of(
                curve("fragile", new long[] {100, 100}, 0.9, 0.7, 0.5, 0.3, 0.1),
                curve("robust", new long[] {100, 100}, 0.9, 0.9, 0.9, 0.89, 0.88)));
        double[] s = Allocation.sensitivity(scan, 0.5);
        assertThat(s[1]).isEqualTo(0.9);
        assertThat(s[0]).isCloseTo(0.1, within(1e-9));
        assertThat(removed(List.of(new long[] {100, 100}, new long[] {100, 100}), s)).isCloseTo(0.5, within(1e-9));
        assertThat(Allocation.uniform(3, 0.4)).containsExactly(0.4, 0.4, 0.4);
        assertThat(Allocation.Strategy.parse("ERK")).isEqualTo(Allocation.Strategy.ERK);
    }
}
