package org.polaris.workbench.ui.inference;

/** Where the Inference pane's input comes from. */
public enum InputSource {
    RANDOM("random values"), DATASET("a sample of a data set"), IMAGE("an image file");

    private final String label;

    InputSource(String label) {
        this.label = label;
    }

    /** What the Source box shows. */
    public String label() {
        return label;
    }
}
