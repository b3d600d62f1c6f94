package org.polaris.workbench.ui.common;

import javafx.scene.Node;
import javafx.scene.input.TransferMode;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/** Lets a node accept files dropped from the desktop. */
public final class FileDrop {

    private FileDrop() {
    }

    public static void accept(Node node, Consumer<List<Path>> onDrop) {
        node.setOnDragOver(e -> {
            if (e.getDragboard().hasFiles()) {
                e.acceptTransferModes(TransferMode.COPY);
            }
            e.consume();
        });
        node.setOnDragDropped(e -> {
            boolean ok = e.getDragboard().hasFiles();
            if (ok) {
                onDrop.accept(e.getDragboard().getFiles().stream().map(File::toPath).toList());
            }
            e.setDropCompleted(ok);
            e.consume();
        });
    }
}
