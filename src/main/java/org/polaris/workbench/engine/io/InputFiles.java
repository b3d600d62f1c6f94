package org.polaris.workbench.engine.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The one check before any input file is opened: it must be a regular file (a FIFO would block forever, a device
 * could stream without end). Links are followed: a link to a regular file is fine to read.
 */
public final class InputFiles {

    private InputFiles() {
    }

    /** Why {@code file} cannot be read as a regular file, or {@code null} when it can. */
    public static String problem(Path file) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return "no such file";
        } catch (IOException e) {
            return "cannot read: " + TempFiles.reason(e);
        }
        if (a.isDirectory()) {
            return "is a folder, not a file";
        }
        if (!a.isRegularFile()) {
            return "not a regular file (a FIFO, device or socket); only regular files are read";
        }
        return null;
    }
}
