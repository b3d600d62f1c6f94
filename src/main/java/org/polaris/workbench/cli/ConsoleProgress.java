package org.polaris.workbench.cli;

import org.polaris.workbench.engine.job.ProgressSink;

import java.io.PrintWriter;
import java.util.Locale;

/** Progress on stderr, at most a line per percent step, so scripts keep a clean stdout. */
final class ConsoleProgress implements ProgressSink {

    private final PrintWriter err;
    private int lastPercent = -1;
    private String lastStage = "";

    ConsoleProgress(PrintWriter err) {
        this.err = err;
    }

    @Override
    public synchronized void progress(double fraction, String message) {
        int pct = (int) Math.floor(100 * Math.max(0, fraction));
        String stage = message.contains(":") ? message.substring(0, message.indexOf(':')) : message;
        if (pct >= lastPercent + 5 || !stage.equals(lastStage)) {
            err.println(String.format(Locale.ROOT, "[%3d%%] %s", pct, message));
            err.flush();
            lastPercent = pct;
            lastStage = stage;
        }
    }
}
