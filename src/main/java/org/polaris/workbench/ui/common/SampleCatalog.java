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

    /**
     * The models listed in the folder's {@code models.txt} (what ships), sorted by file name; without that file (a
     * folder the user pointed {@code polaris.samples.dir} at), the ONNX and TorchScript files up to two folders down.
     */
    public List<Path> models() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        Path manifest = dir.resolve("models.txt");
        try {
            if (Files.isRegularFile(manifest)) {
                try (Stream<String> lines = Files.lines(manifest)) {
                    return sorted(lines.map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#"))
                            .map(dir::resolve).filter(Files::isRegularFile));
                }
            }
            try (Stream<Path> s = Files.walk(dir, 3)) {
                return sorted(s.filter(p -> (p.getFileName().toString().endsWith(".onnx")
                        || p.getFileName().toString().endsWith(".pt")) && Files.isRegularFile(p)));
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            return List.of();
        }
    }

    private static List<Path> sorted(Stream<Path> models) {
        return models.sorted((a, b) -> a.getFileName().toString().compareToIgnoreCase(b.getFileName().toString()))
                .toList();
    }
}
