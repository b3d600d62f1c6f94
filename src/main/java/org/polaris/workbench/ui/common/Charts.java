package org.polaris.workbench.ui.common;

import io.fair_acc.chartfx.Chart;
import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.axes.spi.DefaultNumericAxis;
import io.fair_acc.chartfx.renderer.spi.ErrorDataSetRenderer;

/** Chart titles are cut off on small charts: the full title shows on hover and can be copied. */
public final class Charts {

    private Charts() {
    }

    public static <C extends Chart> C titled(C chart) {
        Texts.copyable(chart.getTitleLabel());
        return chart;
    }

    /**
     * A chart of lines over "seconds ago" (telemetry, traffic): not animated, no markers, and a NaN point breaks the
     * line (a pause in sampling shows as a gap, not a straight line across). Its one renderer takes the data sets.
     */
    public static XYChart timeLines(String id, String title, String yUnit) {
        XYChart c = titled(new XYChart(new DefaultNumericAxis("seconds ago", null), new DefaultNumericAxis(yUnit, null)));
        c.setId(id);
        c.setTitle(title);
        c.setAnimated(false);
        ErrorDataSetRenderer r = new ErrorDataSetRenderer();
        r.setDrawMarker(false);
        r.setAllowNaNs(true);
        c.getRenderers().setAll(r);
        return c;
    }
}
