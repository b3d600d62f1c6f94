package org.polaris.workbench.engine.job;

/** Cooperative cancellation: long operations call {@link #throwIfCancelled()} at coarse steps. */
public final class CancellationToken {

    private volatile boolean cancelled;

    public static CancellationToken none() {
        return new CancellationToken();
    }

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    public void throwIfCancelled() {
        if (cancelled) {
            throw new CancelledException();
        }
    }
}
