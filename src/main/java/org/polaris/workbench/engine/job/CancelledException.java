package org.polaris.workbench.engine.job;

/** Thrown out of an operation whose {@link CancellationToken} was cancelled; not an error to report. */
public class CancelledException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CancelledException() {
        super("cancelled", null, false, false);
    }
}
