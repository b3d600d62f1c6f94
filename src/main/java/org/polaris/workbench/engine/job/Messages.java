package org.polaris.workbench.engine.job;

/** How a failed piece of work (a task, a candidate, a checkpoint read) is said in one line: reports, the CLI. */
public final class Messages {

    private Messages() {
    }

    /** The first line of {@code text} ("" for null). */
    public static String firstLine(String text) {
        if (text == null) return "";
        int nl = text.indexOf('\n');
        return nl < 0 ? text : text.substring(0, nl);
    }

    /** The first line of the failure's message, or its type's name when it has none. */
    public static String firstLine(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : firstLine(t.getMessage());
    }
}
