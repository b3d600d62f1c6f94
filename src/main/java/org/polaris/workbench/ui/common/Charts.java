package org.polaris.workbench.ui.common;

import io.fair_acc.chartfx.Chart;

/** Chart titles are cut off on small charts: the full title shows on hover and can be copied. */
public final class Charts {

    private Charts() {
    }

    public static <C extends Chart> C titled(C chart) {
        Texts.copyable(chart.getTitleLabel());
        return chart;
    }
}
