package org.polaris.workbench.engine.model;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class GraphPrepTransposeTest {

    private static Node transpose(long... perm) {
        List<Attribute> attrs = perm.length == 0 ? List.of()
                : List.of(new Attribute("perm", Attribute.Type.INTS, perm, "", ""));
        return new Node("t", "Transpose", "", List.of("w"), List.of("wt"), attrs, "");
    }

    @Test
    void aTransposedInitializerMatchesPlainIndexing() {
        float[] v = new float[2 * 3 * 4];
        for (int i = 0; i < v.length; i++) v[i] = i;
        Tensor w = Tensor.ofFloats("w", new long[] {2, 3, 4}, v);
        Tensor t = GraphPrep.transposed(w, transpose(2, 0, 1), "wt");
        assertThat(t.dims()).containsExactly(4, 2, 3);
        float[] got = t.toFloats();
        for (int a = 0; a < 4; a++) {
            for (int b = 0; b < 2; b++) {
                for (int c = 0; c < 3; c++) {
                    // out[a][b][c] = in[b][c][a]
                    assertThat(got[(a * 2 + b) * 3 + c]).isEqualTo(v[(b * 3 + c) * 4 + a]);
                }
            }
        }
        Tensor r = GraphPrep.transposed(Tensor.ofFloats("m", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}), transpose(), "mt");
        assertThat(r.dims()).containsExactly(3, 2);
        assertThat(r.toFloats()).containsExactly(1, 4, 2, 5, 3, 6);
    }
}
