package org.polaris.workbench.ui.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The bundled sample models: {@code polaris.samples.dir} when set (the launchers set it), else {@code samples/}
 * in the working folder.
 */
public final class SampleCatalog {

    private final Path dir;

    public SampleCatalog(Path dir) {
        this.dir = dir;
    }

    public static SampleCatalog fromEnvironment() {
        String p = System.getProperty("polaris.samples.dir");
        return new SampleCatalog(p != null ? Path.of(p) : Path.of("samples"));
    }

    public Path directory() {
        return dir;
    }

    /** ONNX and TorchScript models in the samples folder, up to two folders down, sorted by name. */
    public List<Path> models() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir, 3)) {
            return s.filter(p -> (p.getFileName().toString().endsWith(".onnx") || p.getFileName().toString().endsWith(".pt"))
                            && Files.isRegularFile(p))
                    .sorted((a, b) -> a.getFileName().toString().compareToIgnoreCase(b.getFileName().toString()))
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
