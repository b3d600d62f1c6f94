package org.polaris.workbench.ui.app;

import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import org.polaris.workbench.ui.common.TaskRunner;

/** Bottom bar: what background work is doing, its progress, and a cancel button (Esc). */
final class StatusBar extends HBox {

    StatusBar(TaskRunner tasks) {
        Label message = new Label();
        message.setId("statusMessage");
        message.textProperty().bind(tasks.messageProperty());
        ProgressBar bar = new ProgressBar();
        bar.setId("statusProgress");
        bar.progressProperty().bind(tasks.progressProperty());
        bar.visibleProperty().bind(tasks.runningProperty());
        bar.setPrefWidth(180);
        Button cancel = new Button("Cancel");
        cancel.setId("statusCancel");
        cancel.setCancelButton(false);
        cancel.visibleProperty().bind(tasks.runningProperty());
        cancel.setOnAction(e -> tasks.cancelAll());
        Label spacer = new Label();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        getChildren().addAll(message, spacer, bar, cancel);
        setAlignment(Pos.CENTER_LEFT);
        setSpacing(8);
        setPadding(new Insets(3, 8, 3, 8));
        getStyleClass().add("status-bar");
    }
}
