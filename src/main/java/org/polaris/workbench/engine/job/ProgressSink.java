package org.polaris.workbench.engine.job;

/** Receives progress from long engine operations. Implementations must be cheap and thread-safe. */
@FunctionalInterface
public interface ProgressSink {

    ProgressSink NONE = (fraction, message) -> { };

    /**
     * @param fraction done so far in [0, 1], or a negative value when the amount of work is unknown
     * @param message what is happening now, short enough for a status bar
     */
    void progress(double fraction, String message);
}
