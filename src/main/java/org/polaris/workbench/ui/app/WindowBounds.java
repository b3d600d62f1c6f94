package org.polaris.workbench.ui.app;

/**
 * The main window's first size: the size remembered from the last run, but never larger than the screen's usable
 * area (a window saved on a large monitor must open inside a 1024x700 laptop screen), and never smaller than the
 * minimum the panes are laid out for (unless the screen itself is smaller).
 */
record WindowBounds(double width, double height, double minWidth, double minHeight) {

    static final double MIN_WIDTH = 960;
    static final double MIN_HEIGHT = 640;

    static WindowBounds initial(double savedWidth, double savedHeight, double screenWidth, double screenHeight) {
        double minW = Math.min(MIN_WIDTH, screenWidth);
        double minH = Math.min(MIN_HEIGHT, screenHeight);
        return new WindowBounds(clamp(savedWidth, minW, screenWidth, 1280), clamp(savedHeight, minH, screenHeight, 800),
                minW, minH);
    }

    private static double clamp(double v, double lo, double hi, double fallback) {
        double x = Double.isFinite(v) && v > 0 ? v : fallback;
        return Math.max(lo, Math.min(hi, x));
    }
}
