package org.polaris.workbench.ui.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the panes suggest writing compressed models: the folder last chosen with "Save as…" (remembered in the
 * settings), else a {@code Polaris Workbench} folder in the user's Documents (or home) folder. Never the source
 * model's folder: for the bundled samples that is the application's own (read-only when installed) folder, and
 * outputs there would be listed as samples on the next start.
 */
public final class OutputFolder {

    private OutputFolder() {
    }

    /** The remembered folder when it still exists, else {@link #standard()}. */
    public static Path current(SettingsStore settings) {
        String remembered = settings.get().outputDirectory;
        if (remembered != null && !remembered.isBlank() && Files.isDirectory(Path.of(remembered))) {
            return Path.of(remembered);
        }
        return standard();
    }

    /** {@code -Dpolaris.output.dir}, else {@code ~/Documents/Polaris Workbench}, else {@code ~/Polaris Workbench}. */
    public static Path standard() {
        String p = System.getProperty("polaris.output.dir");
        if (p != null && !p.isBlank()) {
            return Path.of(p);
        }
        Path home = Path.of(System.getProperty("user.home"));
        Path documents = home.resolve("Documents");
        return (Files.isDirectory(documents) ? documents : home).resolve("Polaris Workbench");
    }

    /** Remembers the folder of a file the user chose to save as. */
    public static void remember(SettingsStore settings, Path chosen) {
        Path parent = chosen.toAbsolutePath().getParent();
        if (parent != null) {
            settings.get().outputDirectory = parent.toString();
            settings.save();
        }
    }

    /** Creates the standard folder when {@code output} is to go there and it does not exist yet (nothing else). */
    public static void prepare(Path output) throws IOException {
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null && parent.equals(standard().toAbsolutePath()) && !Files.isDirectory(parent)) {
            Files.createDirectories(parent);
        }
    }
}
