package org.polaris.workbench.engine.runtime;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NodeTimingTest {

    @Test
    void medianIsPerNodeAndKeepsGraphOrder() {
        List<NodeTiming> a = List.of(t("conv", 10), t("pool", 1), t("fc", 7));
        List<NodeTiming> b = List.of(t("conv", 30), t("pool", 2), t("fc", 5));
        List<NodeTiming> c = List.of(t("conv", 20), t("pool", 900), t("fc", 6));
        List<NodeTiming> m = NodeTiming.median(List.of(a, b, c));
        assertThat(m).extracting(NodeTiming::node).containsExactly("conv", "pool", "fc");
        assertThat(m).extracting(NodeTiming::nanos).containsExactly(20L, 2L, 6L);
        assertThat(NodeTiming.median(List.of(a, b))).extracting(NodeTiming::nanos).containsExactly(20L, 1L, 6L);
        assertThatThrownBy(() -> NodeTiming.median(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    private static NodeTiming t(String node, long nanos) {
        return new NodeTiming(node, "Op", nanos, 0, 0);
    }
}
