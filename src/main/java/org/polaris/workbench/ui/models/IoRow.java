package org.polaris.workbench.ui.models;

/** One row of the inputs/outputs table: what the file declares beside what ONNX Runtime reports. */
public record IoRow(String kind, String name, String declared, String runtime) {

    public boolean differs() {
        return !declared.equals(runtime);
    }
}
