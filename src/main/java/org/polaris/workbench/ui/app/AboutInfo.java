package org.polaris.workbench.ui.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Version, licence and the user guide's location, for the Help menu. */
final class AboutInfo {

    private AboutInfo() {
    }

    /** The version in the jar's manifest, or "development build" when run from the source tree. */
    static String version() {
        String v = AboutInfo.class.getPackage().getImplementationVersion();
        return v == null ? "(development build)" : v;
    }

    static String text() {
        return "Inspect, compress and run neural networks on local hardware.\n\n"
                + "Version " + version() + "\n"
                + "Licence: Apache License 2.0; the bundled sample models and data carry their own licences "
                + "(see samples/README.md).\n"
                + "User guide: " + userGuide().map(Path::toString).orElse("docs/user-guide.md in the source tree") + "\n\n"
                + "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + "), JavaFX "
                + System.getProperty("javafx.version");
    }

    /** docs/user-guide.md beside the samples folder (the source tree, or the installed application's folder). */
    static Optional<Path> userGuide() {
        String samples = System.getProperty("polaris.samples.dir");
        Path base = samples != null ? Path.of(samples).toAbsolutePath().getParent() : Path.of("").toAbsolutePath();
        if (base == null) {
            return Optional.empty();
        }
        Path guide = base.resolve("docs").resolve("user-guide.md");
        return Files.isRegularFile(guide) ? Optional.of(guide) : Optional.empty();
    }
}
