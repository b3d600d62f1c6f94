package org.polaris.workbench.engine.job;

/** A job's piece failed on the cluster after every attempt the cluster allows; the message is the task's failure. */
public final class ClusterJobException extends Exception {
    public ClusterJobException(String message, Throwable cause) {
        super(message, cause);
    }
}
