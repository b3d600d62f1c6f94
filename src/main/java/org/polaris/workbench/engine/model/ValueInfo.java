package org.polaris.workbench.engine.model;

/** A named graph value (input, output or intermediate) and its declared type. */
public record ValueInfo(String name, ValueType type, String docString) {
}
