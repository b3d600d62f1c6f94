package org.polaris.workbench.engine.util;

import java.nio.file.Path;

/** The workbench's cache folder: {@code -Dpolaris.cache.dir}, else {@code $XDG_CACHE_HOME/polaris-workbench}. */
public final class CacheFolder {

    private CacheFolder() {
    }

    public static Path root() {
        String p = System.getProperty("polaris.cache.dir");
        if (p != null && !p.isBlank()) {
            return Path.of(p);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("polaris-workbench");
    }
}
