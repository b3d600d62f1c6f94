package org.polaris.workbench.engine.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Where ONNX Runtime's native libraries are loaded from. Left to itself, ONNX Runtime's Java binding unpacks them
 * into a new {@code onnxruntime-java*} folder under the system temporary folder on every start and leaves the
 * folder behind. Here they are unpacked once per version into the workbench's cache folder (verified by size,
 * written through a temporary file and renamed) and ONNX Runtime is pointed there with
 * {@code onnxruntime.native.path}. A user's own {@code -Donnxruntime.native.path} wins.
 */
final class OrtNatives {

    private static final String[] LIBRARIES = {"libonnxruntime.so", "libonnxruntime4j_jni.so"};
    private static boolean prepared;

    private OrtNatives() {
    }

    static synchronized void prepare() {
        if (prepared || System.getProperty("onnxruntime.native.path") != null
                || !System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")
                || !System.getProperty("os.arch", "").matches("amd64|x86_64")) {
            prepared = true;
            return;
        }
        prepared = true;
        Package pkg = ai.onnxruntime.OrtEnvironment.class.getPackage();
        String version = pkg == null ? null : pkg.getImplementationVersion();
        Path dir = cacheDir().resolve("onnxruntime-" + (version == null ? "unknown" : version));
        try {
            Files.createDirectories(dir);
            for (String lib : LIBRARIES) {
                String resource = "/ai/onnxruntime/native/linux-x64/" + lib;
                try (InputStream in = ai.onnxruntime.OrtEnvironment.class.getResourceAsStream(resource)) {
                    if (in == null) {
                        return;
                    }
                    Path target = dir.resolve(lib);
                    byte[] bytes = in.readAllBytes();
                    if (Files.isRegularFile(target) && Files.size(target) == bytes.length) {
                        continue;
                    }
                    Path tmp = Files.createTempFile(dir, "." + lib, ".tmp");
                    try {
                        Files.write(tmp, bytes);
                        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } finally {
                        Files.deleteIfExists(tmp);
                    }
                }
            }
            System.setProperty("onnxruntime.native.path", dir.toString());
        } catch (IOException | RuntimeException e) {
            // the binding falls back to unpacking into the temporary folder itself
        }
    }

    /** {@code -Dpolaris.cache.dir}, else the XDG cache folder. */
    private static Path cacheDir() {
        String p = System.getProperty("polaris.cache.dir");
        if (p != null && !p.isBlank()) {
            return Path.of(p);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("polaris-workbench");
    }
}
