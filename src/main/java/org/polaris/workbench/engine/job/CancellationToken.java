package org.polaris.workbench.engine.job;

/** Cooperative cancellation: long operations call {@link #throwIfCancelled()} at coarse steps. */
public final class CancellationToken {

    private static final CancellationToken[] NO_PARENTS = {};

    private final CancellationToken[] parents;
    private volatile boolean cancelled;

    public CancellationToken() {
        this(NO_PARENTS);
    }

    private CancellationToken(CancellationToken[] parents) {
        this.parents = parents;
    }

    public static CancellationToken none() {
        return new CancellationToken();
    }

    /** A token that is cancelled when it, {@code a} or {@code b} is. */
    public static CancellationToken either(CancellationToken a, CancellationToken b) {
        return new CancellationToken(new CancellationToken[] {a, b});
    }

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        if (cancelled) {
            return true;
        }
        for (CancellationToken p : parents) {
            if (p.isCancelled()) {
                return true;
            }
        }
        return false;
    }

    public void throwIfCancelled() {
        if (isCancelled()) {
            throw new CancelledException();
        }
    }
}
