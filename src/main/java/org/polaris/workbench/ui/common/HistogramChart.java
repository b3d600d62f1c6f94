package org.polaris.workbench.ui.common;

import io.fair_acc.chartfx.XYChart;
import io.fair_acc.chartfx.axes.spi.DefaultNumericAxis;
import io.fair_acc.chartfx.plugins.XRangeIndicator;
import io.fair_acc.chartfx.renderer.LineStyle;
import io.fair_acc.chartfx.renderer.spi.ErrorDataSetRenderer;
import io.fair_acc.dataset.spi.DoubleDataSet;

/** A filled histogram of equal-width bins over [min, max], with an optional highlighted range. */
public final class HistogramChart extends XYChart {

    private final DoubleDataSet data = new DoubleDataSet("values");
    private final DefaultNumericAxis x;
    private XRangeIndicator range;

    public HistogramChart(String xLabel, String emptyTitle) {
        super(new DefaultNumericAxis(xLabel, null), new DefaultNumericAxis("count", null));
        this.x = (DefaultNumericAxis) getXAxis();
        ((DefaultNumericAxis) getYAxis()).setForceZeroInRange(true);
        setLegendVisible(false);
        setTitle(emptyTitle);
        Charts.titled(this);
        ErrorDataSetRenderer renderer = new ErrorDataSetRenderer();
        renderer.setPolyLineStyle(LineStyle.HISTOGRAM_FILLED);
        renderer.setDrawMarker(false);
        getRenderers().setAll(renderer);
        renderer.getDatasets().add(data);
    }

    /** Shows {@code counts} in equal bins spanning [min, max]; an empty array clears the chart. */
    public void show(String title, double min, double max, long[] counts) {
        setTitle(title);
        double width = counts.length == 0 ? 0 : (max - min) / counts.length;
        double[] xs = new double[counts.length];
        double[] ys = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            xs[i] = min + (i + 0.5) * (width > 0 ? width : 1);
            ys[i] = counts[i];
        }
        data.set(xs, ys);
    }

    /** Highlights [lo, hi] (a clipping range), or removes the highlight when {@code lo > hi}. */
    public void highlight(double lo, double hi, String label) {
        if (range != null) {
            getPlugins().remove(range);
            range = null;
        }
        if (lo <= hi) {
            range = new XRangeIndicator(x, lo, hi, label);
            getPlugins().add(range);
        }
    }
}
