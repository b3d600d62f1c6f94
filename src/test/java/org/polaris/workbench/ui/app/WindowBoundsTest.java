package org.polaris.workbench.ui.app;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class WindowBoundsTest {

    @Test
    void aWindowSavedOnALargeScreenOpensInsideA1024x700Screen() {
        assertThat(WindowBounds.initial(1920, 1200, 1024, 700)).isEqualTo(new WindowBounds(1024, 700, 960, 640));
    }

    @Test
    void theRememberedSizeIsKeptWhenItFitsAndTooSmallOrBrokenSizesGrowToTheMinimum() {
        assertThat(WindowBounds.initial(1280, 800, 1600, 1200)).isEqualTo(new WindowBounds(1280, 800, 960, 640));
        assertThat(WindowBounds.initial(300, 200, 1600, 1200)).isEqualTo(new WindowBounds(960, 640, 960, 640));
        assertThat(WindowBounds.initial(Double.NaN, -5, 1600, 1200)).isEqualTo(new WindowBounds(1280, 800, 960, 640));
    }

    @Test
    void onAScreenSmallerThanTheMinimumTheWindowFillsTheScreen() {
        assertThat(WindowBounds.initial(1280, 800, 800, 600)).isEqualTo(new WindowBounds(800, 600, 800, 600));
    }
}
