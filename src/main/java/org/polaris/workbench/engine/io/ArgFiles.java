package org.polaris.workbench.engine.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Argument files ({@code java @file}, picocli's {@code @file}) for child processes. ONNX Runtime 1.29 crashes a
 * process whose command line is over about 4 KB (it reads {@code /proc/self/cmdline} into a fixed buffer), so every
 * child JVM the workbench starts gets its class path and arguments this way.
 */
public final class ArgFiles {

    private ArgFiles() {
    }

    /** One argument a line, quoted, with backslash, quote and line breaks escaped (both launchers read this). */
    public static String quote(List<String> args) {
        StringBuilder b = new StringBuilder();
        for (String a : args) {
            b.append('"').append(a.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")
                    .replace("\r", "\\r").replace("\t", "\\t")).append("\"\n");
        }
        return b.toString();
    }

    /** Writes {@code args} to {@code file} and returns {@code @file} for the command line. */
    public static String write(Path file, List<String> args) throws IOException {
        Files.writeString(file, quote(args), StandardCharsets.UTF_8);
        return "@" + file;
    }
}
