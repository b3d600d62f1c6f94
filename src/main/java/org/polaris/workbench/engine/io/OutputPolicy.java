package org.polaris.workbench.engine.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The one rule for every file the workbench writes: an existing file is replaced only with {@code force}; a target
 * that is not a regular file (folder, device node, FIFO, socket) or is a symbolic link is refused always; no output
 * may resolve to one of the run's inputs (compared as files, so symlinked folders and hard links count), and no two
 * outputs of a run may be the same file.
 *
 * @param force  replace existing regular files
 * @param inputs files and folders the run reads (model, external data, data sets, labels)
 */
public record OutputPolicy(boolean force, List<Path> inputs) {

    public OutputPolicy {
        inputs = List.copyOf(inputs);
    }

    /** Writes only to new files; no inputs to protect. */
    public static OutputPolicy createNew() {
        return new OutputPolicy(false, List.of());
    }

    public static OutputPolicy of(boolean force, Path... inputs) {
        List<Path> in = new ArrayList<>();
        for (Path p : inputs) {
            if (p != null) {
                in.add(p);
            }
        }
        return new OutputPolicy(force, in);
    }

    /** The same policy protecting more inputs (nulls skipped). */
    public OutputPolicy withInputs(List<Path> more) {
        List<Path> in = new ArrayList<>(inputs);
        more.stream().filter(p -> p != null).forEach(in::add);
        return new OutputPolicy(force, in);
    }

    /**
     * Checks every target against the rule and that its folder exists and takes new files (a file is created
     * there and removed), before any work starts.
     */
    public void preflight(Path... targets) throws OutputException {
        Set<Path> seen = new LinkedHashSet<>();
        for (Path t : targets) {
            if (t == null) {
                continue;
            }
            check(t);
            if (!seen.add(identity(t))) {
                throw new OutputException(t, OutputException.Reason.DUPLICATE, "is named for two outputs of this run");
            }
            probeFolder(t);
        }
    }

    /** Checks one target against the rule (not its folder's permissions). */
    public void check(Path target) throws OutputException {
        Path folder = folderOf(target);
        if (!Files.isDirectory(folder)) {
            throw new OutputException(target, OutputException.Reason.NO_FOLDER, "folder " + folder + " does not exist");
        }
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new OutputException(target, OutputException.Reason.NOT_WRITABLE, "cannot check it: " + e.getMessage());
        }
        if (a.isSymbolicLink()) {
            throw new OutputException(target, OutputException.Reason.SYMLINK,
                    "is a symbolic link; not writing through it (name the file it points to)");
        }
        if (!a.isRegularFile()) {
            throw new OutputException(target, OutputException.Reason.NOT_REGULAR,
                    (a.isDirectory() ? "is a folder" : "is not a regular file") + "; not replacing it");
        }
        for (Path in : inputs) {
            if (sameOrInside(target, in)) {
                throw new OutputException(target, OutputException.Reason.IS_INPUT,
                        "is an input of this run (" + in + "); not replacing it");
            }
        }
        if (!force) {
            throw new OutputException(target, OutputException.Reason.EXISTS, "exists; pass --force to replace it");
        }
    }

    private static boolean sameOrInside(Path target, Path input) {
        try {
            if (!Files.exists(input)) {
                return false;
            }
            if (Files.isDirectory(input)) {
                return target.toRealPath().startsWith(input.toRealPath());
            }
            return Files.isSameFile(target, input);
        } catch (IOException e) {
            return false;
        }
    }

    private static void probeFolder(Path target) throws OutputException {
        Path folder = folderOf(target);
        try {
            Path probe = TempFiles.createBeside(target);
            TempFiles.delete(probe);
        } catch (IOException e) {
            throw new OutputException(target, OutputException.Reason.NOT_WRITABLE,
                    "cannot create files in " + folder + " (" + TempFiles.reason(e) + ")");
        }
    }

    static Path folderOf(Path target) {
        Path parent = target.toAbsolutePath().getParent();
        return parent == null ? target.toAbsolutePath().getRoot() : parent;
    }

    /** The file a path names once its folder's links are resolved (the target itself may not exist yet). */
    static Path identity(Path target) {
        Path folder = folderOf(target);
        try {
            folder = folder.toRealPath();
        } catch (IOException e) {
            folder = folder.normalize();
        }
        return folder.resolve(target.getFileName().toString());
    }
}
