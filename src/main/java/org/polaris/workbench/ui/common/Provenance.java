package org.polaris.workbench.ui.common;

import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;

/**
 * Which model, runtime and settings produced a result, and when: shown above every result so that numbers copied
 * from the screen can be traced back.
 */
public record Provenance(Path model, String settings, LocalTime at) {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    public static Provenance now(Path model, String settings) {
        return new Provenance(model, settings, LocalTime.now());
    }

    /** "model.onnx · ONNX Runtime, 1 thread · 14:02:11". */
    public String line() {
        return model.getFileName() + " · " + settings + " · " + TIME.format(at);
    }
}
