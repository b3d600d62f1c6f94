package org.polaris.workbench.ui.app;

import org.polaris.workbench.cli.Main;

/**
 * The one launcher: with no arguments it opens the workbench window, with a subcommand it runs headless and never
 * touches the JavaFX toolkit. A plain class (not the Application) so JavaFX loads from the class path.
 */
public final class Launcher {

    private Launcher() {
    }

    public static void main(String[] args) {
        if (args.length > 0) {
            org.polaris.workbench.cli.Interrupts.install();
        }
        java.util.OptionalInt relaunched = org.polaris.workbench.cli.ShortCommandLine.relaunchIfLong(args);
        if (relaunched.isPresent()) {
            System.exit(relaunched.getAsInt());
        }
        if (args.length == 0) {
            WorkbenchApp.launchApp(args);
        } else {
            System.exit(Main.execute(args));
        }
    }
}
