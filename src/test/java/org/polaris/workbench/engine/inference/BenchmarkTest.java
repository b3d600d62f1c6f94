package org.polaris.workbench.engine.inference;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.ProgressSink;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.runtime.ModelRuntime;
import org.polaris.workbench.engine.runtime.NodeTiming;
import org.polaris.workbench.testutil.TestData;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The one benchmark method: warm-up first, then the timed runs of every configuration interleaved in blocks. */
class BenchmarkTest {

    /** The real runtime, noting each run in a shared log. */
    private record Logged(ModelRuntime rt, String tag, List<String> log) implements ModelRuntime {
        @Override
        public String name() {
            return rt.name();
        }

        @Override
        public Map<String, Tensor> run(Map<String, Tensor> inputs) {
            log.add(tag);
            return rt.run(inputs);
        }

        @Override
        public List<NodeTiming> profile(Map<String, Tensor> inputs) {
            return rt.profile(inputs);
        }

        @Override
        public void close() {
            rt.close();
        }
    }

    @Test
    void warmUpFirstThenTimedRunsInterleavedInBlocks() throws Exception {
        OnnxModel m = new OnnxModelReader().read(TestData.FASHION_MLP);
        Map<String, Tensor> x = InputSpec.random().sample(m, 1).feeds();
        List<String> log = new ArrayList<>();
        try (ModelRuntime ort = new Logged(Runtimes.open(Runtimes.Kind.ORT, m, 1), "A", log);
             ModelRuntime engine = new Logged(Runtimes.open(Runtimes.Kind.ENGINE, m, 1), "B", log)) {
            List<BenchResult> r = Benchmark.run(List.of(new Benchmark.Config(ort, x, 1, 1),
                    new Benchmark.Config(engine, x, 1, 1)), Benchmark.Warmup.runs(7), 25, ProgressSink.NONE,
                    CancellationToken.none());
            int warmA = r.get(0).warmupRuns();
            int warmB = r.get(1).warmupRuns();
            assertThat(warmA).isGreaterThanOrEqualTo(7);
            assertThat(warmB).isGreaterThanOrEqualTo(7);
            String expected = "A".repeat(warmA) + "B".repeat(warmB) + "A".repeat(10) + "B".repeat(10)
                    + "A".repeat(10) + "B".repeat(10) + "A".repeat(5) + "B".repeat(5);
            assertThat(String.join("", log)).isEqualTo(expected);
            for (BenchResult b : r) {
                assertThat(b.runs()).isEqualTo(25);
                assertThat(b.p10Ms()).isPositive().isLessThanOrEqualTo(b.p50Ms());
                assertThat(b.p50Ms()).isLessThanOrEqualTo(b.p90Ms());
            }
        }
    }

    @Test
    void pairedRatioComparesBlocksThatRanTogether() {
        // a: 2 ms, but its second block ran in a slow spell that made b slow too (both x3); b: 1 ms. The pooled
        // medians would say 2.0 (the slow block is half of each); block by block the ratio is 2 every time.
        double[] a = new double[30];
        double[] b = new double[30];
        for (int i = 0; i < 30; i++) {
            boolean slow = i >= 10 && i < 20;
            a[i] = (slow ? 6 : 2) + 0.01 * (i % 3);
            b[i] = (slow ? 3 : 1) + 0.005 * (i % 3);
        }
        b[25] = 50; // one outlier inside a block does not move that block's median
        var r = Benchmark.pairedRatio(result("a", a), result("b", b));
        assertThat(r.median()).isCloseTo(2.0, org.assertj.core.data.Offset.offset(0.02));
        assertThat(r.low()).isCloseTo(2.0, org.assertj.core.data.Offset.offset(0.02));
        assertThat(r.high()).isCloseTo(2.0, org.assertj.core.data.Offset.offset(0.02));
        // a burst on one side only shows as spread, and the median follows the majority of blocks
        double[] c = a.clone();
        for (int i = 0; i < 10; i++) c[i] = 4;
        double[] d = new double[30];
        java.util.Arrays.fill(d, 1);
        var s = Benchmark.pairedRatio(result("c", c), result("d", d));
        assertThat(s.low()).isCloseTo(2.0, org.assertj.core.data.Offset.offset(0.02));
        assertThat(s.high()).isCloseTo(6.0, org.assertj.core.data.Offset.offset(0.05));
    }

    private static BenchResult result(String name, double[] ms) {
        return new BenchResult(name, 1, 1, ms.length, 0, 0, 0, 0, 0, ms, 0, 0);
    }
}
