package org.polaris.workbench.engine.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An output the tool refuses to write, or could not write; nothing of the run was left in place. The message names
 * the file and says why in one line.
 */
public final class OutputException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Why; {@link #WRITE_FAILED} is the only one found while writing, the rest are refusals found before any work. */
    public enum Reason {
        EXISTS, NOT_REGULAR, SYMLINK, IS_INPUT, DUPLICATE, NO_FOLDER, NOT_WRITABLE, WRITE_FAILED, INTERRUPTED;

        /** A refusal is the user's choice of path (a usage error); the others are failures of the file system. */
        public boolean refusal() {
            return this != WRITE_FAILED && this != INTERRUPTED;
        }
    }

    private final transient Path path;
    private final Reason reason;

    public OutputException(Path path, Reason reason, String detail) {
        this(path, reason, detail, null);
    }

    public OutputException(Path path, Reason reason, String detail, Throwable cause) {
        super(path + ": " + detail, cause);
        this.path = path;
        this.reason = reason;
    }

    public Path path() {
        return path;
    }

    public Reason reason() {
        return reason;
    }
}
