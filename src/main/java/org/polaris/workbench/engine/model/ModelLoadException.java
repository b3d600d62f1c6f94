package org.polaris.workbench.engine.model;

import java.nio.file.Path;

/** A model file that cannot be read, with the file and the specific problem in the message. */
public class ModelLoadException extends Exception {

    private static final long serialVersionUID = 1L;

    /** What went wrong, so that callers (CLI exit codes, UI messages, tests) can tell cases apart. */
    public enum Problem {
        NOT_FOUND, NOT_A_FILE, EMPTY, TOO_LARGE, UNREADABLE, NOT_ONNX, CORRUPT, INVALID, LIMIT_EXCEEDED,
        EXTERNAL_DATA, RUNTIME_REJECTED
    }

    private final transient Path file;
    private final Problem problem;

    public ModelLoadException(Path file, Problem problem, String detail) {
        this(file, problem, detail, null);
    }

    public ModelLoadException(Path file, Problem problem, String detail, Throwable cause) {
        super((file == null ? "<memory>" : file.toString()) + ": " + detail, cause);
        this.file = file;
        this.problem = problem;
    }

    public Path file() {
        return file;
    }

    public Problem problem() {
        return problem;
    }
}
