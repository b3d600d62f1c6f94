package org.polaris.workbench.testutil;

import org.polaris.workbench.engine.job.CancellationToken;
import org.polaris.workbench.engine.job.CancelledException;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Holds a real job at its start until the test opens it, so "while a job runs" is a state the test can be sure of
 * instead of a race with a fast machine. A job waiting here is cancelled like any engine step would be.
 */
public final class Gate {

    private final CountDownLatch entered = new CountDownLatch(1);
    private volatile boolean open;
    private volatile boolean closedByCancel;

    /** Called by the job: waits until {@link #open()} or until the job is cancelled. */
    public void pass(CancellationToken cancel) throws InterruptedException {
        entered.countDown();
        while (!open) {
            if (cancel.isCancelled()) {
                closedByCancel = true;
                throw new CancelledException();
            }
            Thread.sleep(5);
        }
    }

    /** Waits until a job is held here. */
    public void awaitJob() throws InterruptedException {
        if (!entered.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("no job reached the gate");
        }
    }

    public void open() {
        open = true;
    }

    /** True when the held job was cancelled while it waited. */
    public boolean cancelledWhileHeld() {
        return closedByCancel;
    }
}
