package org.polaris.workbench.ui.models;

/** One row of the operator histogram. */
public record OpRow(String opType, int count, double share) {
}
