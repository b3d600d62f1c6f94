package org.polaris.workbench.ui.app;

import org.polaris.workbench.ui.common.DialogService;
import org.polaris.workbench.ui.common.TaskRunner;

/** Quitting (Ctrl+Q, the window's close button) while a job runs asks first, then cancels the job. */
final class QuitGuard {

    private final TaskRunner tasks;
    private final DialogService dialogs;
    private final Runnable quit;

    QuitGuard(TaskRunner tasks, DialogService dialogs, Runnable quit) {
        this.tasks = tasks;
        this.dialogs = dialogs;
        this.quit = quit;
    }

    /** True when the workbench may close now (nothing runs, or the user agreed to cancel it). */
    boolean mayQuit() {
        if (!tasks.runningProperty().get()) {
            return true;
        }
        String what = tasks.messageProperty().get();
        if (!dialogs.confirm("Quit Polaris Workbench?", "Background work is still running"
                + (what == null || what.isBlank() ? "" : " (" + what + ")")
                + ". Quitting cancels it; files it has not finished are not written.", "Cancel the work and quit")) {
            return false;
        }
        tasks.cancelAll();
        return true;
    }

    /** Quits when {@link #mayQuit()} allows it. */
    void quit() {
        if (mayQuit()) {
            quit.run();
        }
    }
}
