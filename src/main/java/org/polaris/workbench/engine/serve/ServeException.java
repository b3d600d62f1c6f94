package org.polaris.workbench.engine.serve;

/**
 * A request the server answers with an error: the HTTP status the protocol gives for it and the message sent as
 * {@code {"error": "..."}}.
 */
public final class ServeException extends Exception {

    /** The statuses the server answers with, and what each means. */
    public enum Status {
        BAD_REQUEST(400), UNAUTHORIZED(401), NOT_FOUND(404), METHOD_NOT_ALLOWED(405), TOO_LARGE(413),
        INTERNAL(500), UNAVAILABLE(503);

        private final int code;

        Status(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    private final Status status;
    private final int retryAfterSeconds;

    public ServeException(Status status, String message) {
        this(status, message, 0);
    }

    public ServeException(Status status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.retryAfterSeconds = 0;
    }

    public ServeException(Status status, String message, int retryAfterSeconds) {
        super(message);
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public Status status() {
        return status;
    }

    /** Seconds for a {@code Retry-After} header (503 only), else 0. */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
