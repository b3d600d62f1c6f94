package org.polaris.workbench.engine.train;

import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.CancelledException;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Pause, resume and cancel for a training run, checked by the trainer before every step. A paused run holds its
 * thread until resumed or cancelled; cancelling a paused run ends it without another step.
 */
public final class TrainControl {

    private final CancellationToken cancel;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private boolean paused;
    private boolean waiting;
    private volatile CancellationToken also;

    public TrainControl(CancellationToken cancel) {
        this.cancel = cancel;
    }

    /** The token the run's steps check: this control's, or also the one {@link #link}ed. */
    public CancellationToken token() {
        CancellationToken other = also;
        return other == null ? cancel : CancellationToken.either(cancel, other);
    }

    /** Also stops when {@code other} is cancelled (the task runner's token of the job that trains). */
    public void link(CancellationToken other) {
        also = other;
    }

    private boolean cancelled() {
        CancellationToken other = also;
        return cancel.isCancelled() || other != null && other.isCancelled();
    }

    public void pause() {
        lock.lock();
        try {
            paused = true;
        } finally {
            lock.unlock();
        }
    }

    public void resume() {
        lock.lock();
        try {
            paused = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Cancels the run (a paused run wakes and ends). */
    public void cancel() {
        cancel.cancel();
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** True while the training thread is held by a pause (it has stopped between two steps). */
    public boolean isHeld() {
        lock.lock();
        try {
            return waiting;
        } finally {
            lock.unlock();
        }
    }

    /** Between steps: waits while paused, throws {@link CancelledException} once cancelled. */
    void checkpoint() {
        if (cancelled()) throw new CancelledException();
        lock.lock();
        try {
            while (paused && !cancelled()) {
                waiting = true;
                try {
                    // the token may also be cancelled from outside (a job's own token): look again now and then
                    changed.await(200, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CancelledException();
                }
            }
        } finally {
            waiting = false;
            lock.unlock();
        }
        if (cancelled()) throw new CancelledException();
    }
}
