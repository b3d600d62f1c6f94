package org.polaris.workbench.ui.common;

/** A result with the model and settings that produced it. */
public record Outcome<R>(R result, Provenance provenance) {
}
