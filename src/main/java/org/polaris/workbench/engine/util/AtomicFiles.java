package org.polaris.workbench.engine.util;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Puts a finished temporary file in place so readers never see a half-written target. */
public final class AtomicFiles {

    private AtomicFiles() {
    }

    /**
     * Moves {@code tmp} (in the target's folder) to {@code target}. Without {@code overwrite} an existing target is
     * never replaced, even one created a moment ago by someone else: a hard link claims the name atomically.
     */
    public static void moveIntoPlace(Path tmp, Path target, boolean overwrite) throws IOException {
        if (!overwrite) {
            try {
                Files.createLink(target, tmp);
                Files.delete(tmp);
                return;
            } catch (FileAlreadyExistsException e) {
                throw new FileAlreadyExistsException(target.toString(), null, "exists; not replacing it unasked");
            } catch (UnsupportedOperationException | FileSystemException e) {
                if (Files.exists(target)) {
                    throw new FileAlreadyExistsException(target.toString(), null, "exists; not replacing it unasked");
                }
                // File systems without hard links: fall through to a rename right after the check.
            }
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * A new hidden temporary file in the target's folder (created if missing), so {@link #moveIntoPlace} can rename
     * it over the target atomically. Callers delete it in a finally block.
     */
    public static Path tempBeside(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        return Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
    }

    /** Writes bytes to {@code target} through a temporary file in the same folder. */
    public static void write(Path target, byte[] bytes, boolean overwrite) throws IOException {
        Path tmp = tempBeside(target);
        try {
            Files.write(tmp, bytes);
            moveIntoPlace(tmp, target, overwrite);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
