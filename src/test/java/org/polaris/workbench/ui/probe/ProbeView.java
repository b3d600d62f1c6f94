package org.polaris.workbench.ui.probe;

import javafx.scene.layout.Pane;
import org.polaris.workbench.engine.model.OnnxModelReader;

import java.nio.file.Path;

/** A view that breaks the MVVM rule only inside a nested and an anonymous class: the architecture test must see it. */
public final class ProbeView extends Pane {

    static final class Form {
        Object read() throws Exception {
            return new OnnxModelReader().read(Path.of("x.onnx"));
        }
    }

    final Runnable action = new Runnable() {
        @Override
        public void run() {
            new OnnxModelReader();
        }
    };
}
