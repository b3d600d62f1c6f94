package org.polaris.workbench.ui.common;

import javafx.beans.binding.Bindings;
import javafx.scene.control.ContextMenu;
import javafx.scene.control.Labeled;
import javafx.scene.control.MenuItem;
import javafx.scene.control.Tooltip;
import javafx.scene.input.Clipboard;
import javafx.scene.input.ClipboardContent;

/** Text that may not fit: the full text as a tooltip and a "Copy" context menu. */
public final class Texts {

    /** What the panes' "Data folder…" buttons take (the data sets of DataSources). */
    public static final String DATA_FOLDER_TIP = "A folder of images, .wav clips, .npz samples (one array per input "
            + "name) or ONNX test_data_set_* folders";

    private Texts() {
    }

    /** Shows {@code l}'s full text as its tooltip and offers to copy it. */
    public static void copyable(Labeled l) {
        l.tooltipProperty().bind(Bindings.createObjectBinding(() -> {
            String t = l.getText();
            if (t == null || t.isEmpty()) {
                return null;
            }
            Tooltip tip = new Tooltip(t);
            tip.setWrapText(true);
            tip.setMaxWidth(640);
            return tip;
        }, l.textProperty()));
        MenuItem copy = new MenuItem("Copy");
        copy.setOnAction(e -> copy(l.getText()));
        l.setContextMenu(new ContextMenu(copy));
    }

    /** Puts {@code text} on the system clipboard. */
    public static void copy(String text) {
        ClipboardContent c = new ClipboardContent();
        c.putString(text == null ? "" : text);
        Clipboard.getSystemClipboard().setContent(c);
    }
}
