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
}
