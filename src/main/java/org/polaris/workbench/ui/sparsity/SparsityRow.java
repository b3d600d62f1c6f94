package org.polaris.workbench.ui.sparsity;

import org.polaris.workbench.engine.sparsity.PruneService;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * One prunable layer in the Sparsity table: what it is now and, after a run, what pruning made of it.
 *
 * @param current fraction of zero weights in the model as opened
 * @param after fraction removed by the last run (NaN before one)
 * @param format how the last run stored it ("" before one)
 * @param denseBytes float32 bytes of the weight as opened
 * @param storedBytes bytes the last run stores it in (0 before one)
 */
public record SparsityRow(PruneService.Target target, double current, double after, String format, long denseBytes,
                          long storedBytes) {

    /** A layer as read from the model, before any run. */
    static SparsityRow of(org.polaris.workbench.engine.sparsity.PrunableLayers.Layer l) {
        return new SparsityRow(l.target(), l.zeroFraction(), Double.NaN, "", l.denseBytes(), 0);
    }

    public String node() {
        return target.node();
    }

    public String shape() {
        return Arrays.stream(target.shape()).mapToObj(Long::toString).collect(Collectors.joining(" x "));
    }

    public SparsityRow withResult(double newAfter, String newFormat, long newStored) {
        return new SparsityRow(target, current, newAfter, newFormat, denseBytes, newStored);
    }
}
