package org.polaris.workbench.engine.search;

import org.polaris.workbench.engine.sparsity.Allocation;

import java.util.Locale;

/**
 * How a pruning candidate spreads its sparsity over layers: one magnitude threshold over every weight ({@code prune
 * --scope global}, magnitude only), or each layer by an allocation ({@code --scope layer --allocation ...}).
 */
public enum Spread {
    GLOBAL, UNIFORM, ERK, SENSITIVITY;

    /** {@code prune}'s scope. */
    public String scope() {
        return this == GLOBAL ? "global" : "layer";
    }

    /** {@code prune}'s allocation (what layer scope uses). */
    public Allocation.Strategy allocation() {
        return switch (this) {
            case GLOBAL, UNIFORM -> Allocation.Strategy.UNIFORM;
            case ERK -> Allocation.Strategy.ERK;
            case SENSITIVITY -> Allocation.Strategy.SENSITIVITY;
        };
    }

    public static Spread parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown allocation '" + s + "': use global, uniform, erk or sensitivity");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
