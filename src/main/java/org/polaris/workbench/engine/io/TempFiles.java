package org.polaris.workbench.engine.io;

import org.polaris.workbench.engine.job.Schedulers;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Every temporary file and folder the workbench creates, so none outlives the process: callers delete theirs when
 * done, and a shutdown hook (Ctrl-C, SIGTERM, normal exit) deletes whatever is left. The hook and
 * {@link OutputSet#commit} share one lock, so an interrupt either sees all of a run's outputs in place or none.
 * Files are created without explicit permissions, so they get the usual {@code 0666 & ~umask}.
 */
public final class TempFiles {

    static final Object LOCK = new Object();
    private static final Set<Path> LIVE = new LinkedHashSet<>();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static boolean hookInstalled;
    private static boolean shuttingDown;

    private TempFiles() {
    }

    /** A new empty hidden file beside {@code target} ({@code .NAME.RANDOM.tmp}), registered for cleanup. */
    public static Path createBeside(Path target) throws IOException {
        Path folder = OutputPolicy.folderOf(target);
        String base = target.getFileName().toString();
        if (base.length() > 180) {
            base = base.substring(0, 180);
        }
        for (int attempt = 0; ; attempt++) {
            Path tmp = folder.resolve("." + base + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
            synchronized (LOCK) {
                refuseWhileShuttingDown(target);
                try {
                    Files.createFile(tmp);
                } catch (FileAlreadyExistsException e) {
                    if (attempt < 10) {
                        continue;
                    }
                    throw e;
                }
                register(tmp);
                return tmp;
            }
        }
    }

    /** A new folder under the system temporary folder, registered for cleanup (deleted with its contents). */
    public static Path createFolder(String prefix) throws IOException {
        synchronized (LOCK) {
            refuseWhileShuttingDown(Path.of(prefix));
            Path dir = Files.createTempDirectory(prefix);
            register(dir);
            return dir;
        }
    }

    /** A new file under the system temporary folder, registered for cleanup. */
    public static Path createFile(String prefix, String suffix) throws IOException {
        synchronized (LOCK) {
            refuseWhileShuttingDown(Path.of(prefix));
            Path f = Files.createTempFile(prefix, suffix);
            register(f);
            return f;
        }
    }

    /** Tracks a file or folder someone else created (a library's temporary folder), so cleanup removes it too. */
    public static void track(Path p) {
        if (p != null) {
            register(p);
        }
    }

    /** Deletes a registered file or folder (with its contents) and forgets it; missing is fine. */
    public static void delete(Path p) {
        if (p == null) {
            return;
        }
        synchronized (LOCK) {
            LIVE.remove(p);
        }
        deleteTree(p);
    }

    /** Stops tracking a file that has become a real output (moved into place). */
    static void forget(Path p) {
        synchronized (LOCK) {
            LIVE.remove(p);
        }
    }

    static void register(Path p) {
        synchronized (LOCK) {
            if (!hookInstalled) {
                Schedulers.onShutdown("polaris-temp-cleanup", TempFiles::cleanUpAtExit);
                hookInstalled = true;
            }
            LIVE.add(p);
        }
    }

    private static void refuseWhileShuttingDown(Path target) throws OutputException {
        if (shuttingDown) {
            throw new OutputException(target, OutputException.Reason.INTERRUPTED, "interrupted; not writing it");
        }
    }

    /** Deletes every registered temporary file now, and refuses new ones (what the shutdown hook does). */
    public static void cleanUpAtExit() {
        List<Path> all;
        synchronized (LOCK) {
            shuttingDown = true;
            all = List.copyOf(LIVE);
            LIVE.clear();
        }
        all.forEach(TempFiles::deleteTree);
    }

    private static void deleteTree(Path p) {
        try {
            if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                try (Stream<Path> s = Files.walk(p)) {
                    s.sorted(Comparator.reverseOrder()).forEach(f -> {
                        try {
                            Files.deleteIfExists(f);
                        } catch (IOException e) {
                            // best effort: the rest is still removed
                        }
                    });
                }
            } else {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // best effort at cleanup time
        }
    }

    /** A short reason for a file-system failure, without Java class names. */
    public static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
