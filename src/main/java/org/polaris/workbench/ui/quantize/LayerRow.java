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

    /** The rows of a result, ranked by measured accuracy sensitivity when it ran, else by weight SQNR. */
    static java.util.List<LayerRow> of(org.polaris.workbench.engine.quant.QuantReport r) {
        java.util.Set<String> kept = r.request().options().exclude();
        java.util.Set<String> weightsOnly = r.request().options().weightOnly();
        java.util.List<LayerReport> byRisk = r.layers().stream().filter(l -> l.bits() < 32)
                .sorted(java.util.Comparator.comparingDouble(l -> Double.isNaN(l.sqnrDb()) ? Double.MAX_VALUE : l.sqnrDb()))
                .toList();
        return r.layers().stream().map(l -> new LayerRow(l,
                r.sensitivity().isEmpty() ? byRisk.indexOf(l) + 1 : r.sensitivityRank(l.name()),
                kept.contains(l.name()), weightsOnly.contains(l.name()))).toList();
    }


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
