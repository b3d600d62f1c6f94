package org.polaris.workbench.ui.common;

import javafx.animation.Animation;
import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.scene.Node;
import javafx.util.Duration;

/**
 * A pane's refresh timer that runs only while the pane is shown: the tick runs at once when the pane enters a scene
 * and then every period, and stops when the pane leaves it (another pane selected, the window closed).
 */
public final class Pulse {

    private final Timeline timeline;

    private Pulse(Timeline timeline) {
        this.timeline = timeline;
    }

    public static Pulse whileShown(Node pane, Duration every, Runnable tick) {
        Timeline t = new Timeline(new KeyFrame(every, e -> tick.run()));
        t.setCycleCount(Animation.INDEFINITE);
        pane.sceneProperty().addListener((o, a, scene) -> {
            if (scene != null) {
                tick.run();
                t.play();
            } else {
                t.stop();
            }
        });
        return new Pulse(t);
    }

    /** Whether the timer runs now (only while the pane is shown). */
    public boolean running() {
        return timeline.getStatus() == Animation.Status.RUNNING;
    }
}
