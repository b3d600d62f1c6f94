package org.polaris.workbench.engine.graph;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.CancelledException;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.testutil.CorpusModels;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class GraphLayoutTest {

    /** Boxes sized for their text, inside the drawing, disjoint; every edge leaves its source's bottom and enters its
     *  target's top, one layer or more further down. */
    private static void assertWellFormed(ModelGraph g, GraphLayout l) {
        assertThat(l.boxes().keySet()).containsExactlyInAnyOrderElementsOf(g.nodes().stream().map(GraphNode::id).toList());
        List<GraphLayout.Box> boxes = new ArrayList<>();
        for (GraphNode n : g.nodes()) {
            GraphLayout.Box b = l.boxes().get(n.id());
            List<String> lines = NodeLabels.lines(n);
            assertThat(b.w()).isEqualTo(NodeLabels.width(lines));
            assertThat(b.h()).isEqualTo(NodeLabels.height(lines));
            assertThat(b.x()).isGreaterThanOrEqualTo(0);
            assertThat(b.y()).isGreaterThanOrEqualTo(0);
            assertThat(b.x() + b.w()).isLessThanOrEqualTo(l.width());
            assertThat(b.y() + b.h()).isLessThanOrEqualTo(l.height());
            boxes.add(b);
        }
        boxes.sort((p, q) -> Double.compare(p.y(), q.y()));
        for (int i = 0; i < boxes.size(); i++) {
            GraphLayout.Box p = boxes.get(i);
            for (int j = i + 1; j < boxes.size() && boxes.get(j).y() < p.y() + p.h(); j++) {
                GraphLayout.Box q = boxes.get(j);
                boolean apart = q.x() >= p.x() + p.w() || p.x() >= q.x() + q.w();
                assertThat(apart).as("%s overlaps %s", p, q).isTrue();
            }
        }
        assertThat(l.routes()).hasSameSizeAs(g.edges());
        for (int i = 0; i < g.edges().size(); i++) {
            ModelGraph.Edge e = g.edges().get(i);
            double[] r = l.routes().get(i);
            GraphLayout.Box from = l.boxes().get(e.from());
            GraphLayout.Box to = l.boxes().get(e.to());
            assertThat(r.length).isGreaterThanOrEqualTo(4).matches(n -> n % 2 == 0);
            assertThat(r[1]).as("start of %s", e).isCloseTo(from.y() + from.h(), within(0.5));
            assertThat(r[0]).isBetween(from.x(), from.x() + from.w());
            assertThat(r[r.length - 1]).as("end of %s", e).isCloseTo(to.y(), within(0.5));
            assertThat(r[r.length - 2]).isBetween(to.x(), to.x() + to.w());
            assertThat(to.y()).isGreaterThan(from.y() + from.h());
        }
    }

    @Test
    void fashionCnnIsOneColumnTopToBottom() throws Exception {
        ModelGraph g = ModelGraph.of(new OnnxModelReader().read(TestData.FASHION_CNN).graph());
        GraphLayout l = GraphLayout.of(g, CancellationToken.none());
        assertWellFormed(g, l);
        assertThat(l.nodeAt(l.boxes().get("/conv2/Conv").x() + 1, l.boxes().get("/conv2/Conv").y() + 1)).contains("/conv2/Conv");
        assertThat(l.nodeAt(-5, -5)).isEmpty();
    }

    @Test
    void detectorWithOverAThousandNodesAndItsSubgraphs() throws Exception {
        Path ssd = CorpusModels.get("ssdlite320_mobilenet_v3");
        ModelGraph g = ModelGraph.of(new OnnxModelReader().read(ssd).graph());
        assertThat(g.nodes()).hasSizeGreaterThan(1000);
        assertWellFormed(g, GraphLayout.of(g, CancellationToken.none()));
        List<ModelGraph> subs = g.nodes().stream().flatMap(n -> n.subgraphs().stream()).map(GraphNode.Subgraph::graph).toList();
        assertThat(subs).isNotEmpty();
        for (ModelGraph s : subs) {
            assertWellFormed(s, GraphLayout.of(s, CancellationToken.none()));
        }
    }

    @Test
    void cancelledLayoutStops() throws Exception {
        ModelGraph g = ModelGraph.of(new OnnxModelReader().read(TestData.FASHION_CNN).graph());
        CancellationToken c = new CancellationToken();
        c.cancel();
        assertThatThrownBy(() -> GraphLayout.of(g, c)).isInstanceOf(CancelledException.class);
    }
}
