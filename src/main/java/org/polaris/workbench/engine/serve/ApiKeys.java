package org.polaris.workbench.engine.serve;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The API key file of {@code serve --api-key-file} and the Serve pane: one key of 16+ printable characters. */
public final class ApiKeys {

    private ApiKeys() {
    }

    /** The key in {@code file}; IllegalArgumentException naming the file and the problem otherwise. */
    public static String read(Path file) {
        try {
            if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": the API key file is not a regular file");
            if (Files.size(file) > 4096) throw new IllegalArgumentException(file + ": an API key file holds one key (at most 4 KB)");
            String k = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (k.isEmpty() || k.contains("\n") || k.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
                throw new IllegalArgumentException(file + ": the key file must hold one key of printable characters on one line");
            }
            if (k.length() < 16) throw new IllegalArgumentException(file + ": the key is shorter than 16 characters");
            return k;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }
}
