package org.polaris.workbench.engine.util;

import org.polaris.workbench.engine.io.OutputPolicy;
import org.polaris.workbench.engine.io.OutputSet;

import java.io.IOException;
import java.nio.file.Path;

/** One file written through the shared {@link OutputSet} rule: temporary file, then moved into place. */
public final class AtomicFiles {

    private AtomicFiles() {
    }

    /** Writes bytes to {@code target}; an existing regular file is replaced only with {@code overwrite}. */
    public static void write(Path target, byte[] bytes, boolean overwrite) throws IOException {
        try (OutputSet out = new OutputSet(new OutputPolicy(overwrite, java.util.List.of()))) {
            out.write(target, bytes);
            out.commit();
        }
    }
}
