package org.polaris.workbench.ui.common;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Dialogs and file choosers, behind an interface so ViewModels stay testable without a window. */
public interface DialogService {

    /** Lets the user pick one or more model files; empty when cancelled. */
    List<Path> chooseModelFiles(Optional<Path> initialDirectory);

    void showError(String title, String message);

    /** Asks a yes/no question; true when the user confirms. */
    boolean confirm(String title, String message, String confirmLabel);

    /** Lets the user pick where to save; empty when cancelled. */
    Optional<Path> chooseSaveFile(String title, Path suggested);

    /** Lets the user pick a data file (IDX) or, with {@code folder}, a folder of images; empty when cancelled. */
    Optional<Path> chooseData(boolean folder, Optional<Path> initialDirectory);
}
