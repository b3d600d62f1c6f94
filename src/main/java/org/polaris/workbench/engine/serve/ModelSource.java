package org.polaris.workbench.engine.serve;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where served models come from: files named on the command line (served under their file name without
 * {@code .onnx}, or the name given, as version 1) and a model repository laid out as Triton and OpenVINO Model
 * Server lay theirs out, {@code DIR/NAME/VERSION/model.onnx} with numeric versions; the highest version is served.
 */
public final class ModelSource {

    /** A model that can be served: its name, the version served and its file. */
    public record Available(String name, String version, Path file, boolean fromRepository) {
    }

    /** Model names: what a URL path segment can carry without escaping. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,128}");
    private static final Pattern VERSION = Pattern.compile("[0-9]{1,18}");
    /** Entries a repository scan looks at, so a huge folder cannot stall the server. */
    static final int MAX_ENTRIES = 10_000;

    private final Map<String, Path> files;
    private final Path repository;

    /**
     * @param files name to model file, in the order given
     * @param repository the repository folder, or null
     */
    public ModelSource(Map<String, Path> files, Path repository) {
        this.files = new LinkedHashMap<>(files);
        this.repository = repository;
        this.files.keySet().forEach(n -> {
            if (!NAME.matcher(n).matches()) {
                throw new IllegalArgumentException("model name '" + n + "' must be 1-128 letters, digits, '_', '.' or '-'");
            }
        });
    }

    /** The name a file is served under: its file name without {@code .onnx}. */
    public static String nameOf(Path file) {
        String n = file.getFileName().toString();
        return n.toLowerCase(Locale.ROOT).endsWith(".onnx") ? n.substring(0, n.length() - 5) : n;
    }

    public Path repository() {
        return repository;
    }

    /** Every model that can be served now, name to its latest version; a repository name clashing with a file is skipped. */
    public Map<String, Available> scan() throws IOException {
        Map<String, Available> all = new LinkedHashMap<>();
        files.forEach((n, f) -> all.put(n, new Available(n, "1", f, false)));
        if (repository == null) return all;
        int seen = 0;
        try (DirectoryStream<Path> models = Files.newDirectoryStream(repository)) {
            for (Path dir : models) {
                if (++seen > MAX_ENTRIES) break;
                String name = dir.getFileName().toString();
                if (!NAME.matcher(name).matches() || !Files.isDirectory(dir) || all.containsKey(name)) continue;
                long best = -1;
                Path bestFile = null;
                try (DirectoryStream<Path> versions = Files.newDirectoryStream(dir)) {
                    for (Path v : versions) {
                        if (++seen > MAX_ENTRIES) break;
                        String vn = v.getFileName().toString();
                        Path f = v.resolve("model.onnx");
                        if (!VERSION.matcher(vn).matches() || !Files.isRegularFile(f)) continue;
                        long num = Long.parseLong(vn);
                        if (num > best) {
                            best = num;
                            bestFile = f;
                        }
                    }
                } catch (IOException e) {
                    continue; // an unreadable model folder is not served; the others still are
                }
                if (bestFile != null) all.put(name, new Available(name, Long.toString(best), bestFile, true));
            }
        }
        return all;
    }
}
