package org.polaris.workbench.ui.quantize;

import javafx.beans.property.BooleanProperty;
import javafx.beans.property.SimpleBooleanProperty;
import org.polaris.workbench.engine.quant.LayerReport;

/**
 * One row of the per-layer table: what quantization did to a layer, its sensitivity rank (1 = lowest weight
 * SQNR or, when measured, largest output change: the first candidate to keep in float) and the user's "keep
 * FP32" / "weights only" choices for the next run.
 */
public final class LayerRow {

    private final LayerReport report;
    private final int rank;
    private final BooleanProperty keepFloat;
    private final BooleanProperty weightOnly;

    LayerRow(LayerReport report, int rank, boolean keepFloat, boolean weightOnly) {
        this.report = report;
        this.rank = rank;
        this.keepFloat = new SimpleBooleanProperty(keepFloat);
        this.weightOnly = new SimpleBooleanProperty(weightOnly);
        // The two choices exclude each other: keeping a layer in float overrides weight-only.
        this.keepFloat.addListener((o, a, b) -> {
            if (b) {
                this.weightOnly.set(false);
            }
        });
        this.weightOnly.addListener((o, a, b) -> {
            if (b) {
                this.keepFloat.set(false);
            }
        });
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

    /** Static mode: quantize this layer's weights only, keeping its activations in float. */
    public BooleanProperty weightOnlyProperty() {
        return weightOnly;
    }
}
