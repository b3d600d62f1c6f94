package org.polaris.workbench.ui.common;

import java.nio.file.Files;
import java.nio.file.Path;

/** Suggested output files, numbered so that a suggestion never names an existing file. */
public final class OutputNames {

    private OutputNames() {
    }

    /** {@code NAME-tag.onnx} beside {@code model}, else {@code NAME-tag-2.onnx}, {@code -3}, ... */
    public static Path beside(Path model, String tag) {
        return in(model.toAbsolutePath().getParent(), model, tag);
    }

    /** {@code NAME-tag.onnx} in {@code dir} for {@code model}, else {@code NAME-tag-2.onnx}, {@code -3}, ... */
    public static Path in(Path dir, Path model, String tag) {
        String base = model.getFileName().toString().replaceFirst("\\.onnx$", "");
        Path candidate = dir.resolve(base + "-" + tag + ".onnx");
        for (int i = 2; Files.exists(candidate); i++) {
            candidate = dir.resolve(base + "-" + tag + "-" + i + ".onnx");
        }
        return candidate;
    }
}
