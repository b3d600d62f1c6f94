package org.polaris.workbench.engine.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's resident memory ({@code VmRSS}), the measure the model cache sizes models by. */
final class Resident {

    private static final Path STATUS = Path.of("/proc/self/status");

    private Resident() {
    }

    /** Resident bytes, or the JVM's used heap where {@code /proc} is missing. */
    static long bytes() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    String[] f = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(f[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }
}
