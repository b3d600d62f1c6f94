package org.polaris.workbench.ui.common;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Loads and saves {@link Settings} as JSON in the user's config folder ({@code polaris.config.dir}, else
 * {@code $XDG_CONFIG_HOME/polaris-workbench}, else {@code ~/.config/polaris-workbench}). A damaged file is set
 * aside and defaults are used; saving is atomic.
 */
public final class SettingsStore {

    private static final Logger LOG = LoggerFactory.getLogger(SettingsStore.class);

    private final Path file;
    private final ObjectMapper mapper = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private Settings settings;

    public SettingsStore(Path file) {
        this.file = file;
    }

    public static SettingsStore forCurrentUser() {
        String dir = System.getProperty("polaris.config.dir");
        if (dir == null) {
            String xdg = System.getenv("XDG_CONFIG_HOME");
            Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
            return new SettingsStore(base.resolve("polaris-workbench").resolve("settings.json"));
        }
        return new SettingsStore(Path.of(dir).resolve("settings.json"));
    }

    public synchronized Settings get() {
        if (settings == null) {
            settings = load();
        }
        return settings;
    }

    private Settings load() {
        if (!Files.isRegularFile(file)) {
            return new Settings();
        }
        try {
            return mapper.readValue(file.toFile(), Settings.class);
        } catch (IOException e) {
            LOG.warn("settings file {} is unreadable ({}); starting with defaults", file, e.getMessage());
            try {
                Files.move(file, file.resolveSibling(file.getFileName() + ".broken"), StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException ignored) {
                // keep going with defaults; the next save replaces the file
            }
            return new Settings();
        }
    }

    public synchronized void save() {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".settings", ".tmp");
            try {
                mapper.writeValue(tmp.toFile(), get());
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            LOG.warn("cannot save settings to {}: {}", file, e.getMessage());
        }
    }

    public Path file() {
        return file;
    }
}
