package org.polaris.workbench.ui.quantize;

import javafx.beans.property.BooleanProperty;
import javafx.beans.property.SimpleBooleanProperty;
import org.polaris.workbench.engine.quant.LayerReport;

/**
 * One row of the per-layer table: what quantization did to a layer, its sensitivity rank (1 = lowest weight
 * SQNR, the first candidate to keep in float) and the user's "keep FP32" choice for the next run.
 */
public final class LayerRow {

    private final LayerReport report;
    private final int rank;
    private final BooleanProperty keepFloat;

    LayerRow(LayerReport report, int rank, boolean keepFloat) {
        this.report = report;
        this.rank = rank;
        this.keepFloat = new SimpleBooleanProperty(keepFloat);
    }

    public LayerReport report() {
        return report;
    }

    public String name() {
        return report.name();
    }

    /** Sensitivity rank among quantized layers, 0 for layers kept in float. */
    public int rank() {
        return rank;
    }

    public BooleanProperty keepFloatProperty() {
        return keepFloat;
    }
}
