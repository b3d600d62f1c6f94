package org.polaris.workbench.engine.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where ONNX Runtime's native libraries are loaded from. Left to itself, ONNX Runtime's Java binding unpacks them
 * into a new {@code onnxruntime-java*} folder under the system temporary folder on every start and leaves the
 * folder behind. Here they are unpacked once per version into the workbench's cache folder (verified by size,
 * written through the shared output rule) and ONNX Runtime is pointed there with
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
        Path dir = org.polaris.workbench.engine.util.CacheFolder.root().resolve("onnxruntime-" + (version == null ? "unknown" : version));
        try {
            Files.createDirectories(dir);
            for (String lib : LIBRARIES) {
                String resource = "/ai/onnxruntime/native/linux-x64/" + lib;
                java.net.URL url = ai.onnxruntime.OrtEnvironment.class.getResource(resource);
                if (url == null) {
                    return;
                }
                java.net.URLConnection c = url.openConnection();
                Path target = dir.resolve(lib);
                // the jar entry's size, without inflating 28 MB on every start
                if (Files.isRegularFile(target) && Files.size(target) == c.getContentLengthLong()) {
                    continue;
                }
                try (InputStream in = c.getInputStream()) {
                    org.polaris.workbench.engine.util.AtomicFiles.write(target, in.readAllBytes(), true);
                }
            }
            System.setProperty("onnxruntime.native.path", dir.toString());
        } catch (IOException | RuntimeException e) {
            // the binding falls back to unpacking into the temporary folder itself
        }
    }

    private static boolean tracked;

    /**
     * ONNX Runtime's binding creates an {@code onnxruntime-java*} folder even when it loads from
     * {@code onnxruntime.native.path}, and leaves its removal to {@code deleteOnExit}, which an interrupted run
     * (halted, see {@code cli.Interrupts}) skips: the folder is tracked with the workbench's temporary files.
     */
    static synchronized void trackTempFolder() {
        if (tracked) {
            return;
        }
        tracked = true;
        try {
            java.lang.reflect.Field f = Class.forName("ai.onnxruntime.OnnxRuntime").getDeclaredField("tempDirectory");
            f.setAccessible(true);
            if (f.get(null) instanceof Path p) {
                org.polaris.workbench.engine.io.TempFiles.track(p);
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // another binding version: its folder is left to deleteOnExit
        }
    }
}
