package org.polaris.workbench.engine.job;

/** Cooperative cancellation: long operations call {@link #throwIfCancelled()} at coarse steps. */
public final class CancellationToken {

    private static final CancellationToken[] NO_PARENTS = {};

    private final CancellationToken[] parents;
    private final java.util.function.BooleanSupplier probe;
    private volatile boolean cancelled;

    public CancellationToken() {
        this(NO_PARENTS, null);
    }

    private CancellationToken(CancellationToken[] parents, java.util.function.BooleanSupplier probe) {
        this.parents = parents;
        this.probe = probe;
    }

    /** A token that is cancelled when {@code stop} says so (a cluster task asks its framework whether it was killed). */
    public static CancellationToken polling(java.util.function.BooleanSupplier stop) {
        return new CancellationToken(NO_PARENTS, stop);
    }

    public static CancellationToken none() {
        return new CancellationToken();
    }

    /** A token that is cancelled when it, {@code a} or {@code b} is. */
    public static CancellationToken either(CancellationToken a, CancellationToken b) {
        return new CancellationToken(new CancellationToken[] {a, b}, null);
    }

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        if (cancelled || probe != null && probe.getAsBoolean()) {
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
