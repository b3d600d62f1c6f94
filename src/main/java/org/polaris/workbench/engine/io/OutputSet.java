package org.polaris.workbench.engine.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outputs of one run, written together or not at all. Each target is checked against the {@link OutputPolicy},
 * written to a hidden temporary file in its own folder, and only {@link #commit} moves them all into place; if any
 * move fails the ones already moved are undone (replaced files come back). {@link #close} removes whatever was not
 * committed, and so does the shutdown hook on Ctrl-C. A replaced file keeps its permissions; new files get the
 * usual {@code 0666 & ~umask}.
 */
public final class OutputSet implements AutoCloseable {

    private final OutputPolicy policy;
    private final Map<Path, Path> staged = new LinkedHashMap<>();
    private final Map<Path, Path> identities = new LinkedHashMap<>();
    private boolean committed;

    public OutputSet(OutputPolicy policy) {
        this.policy = policy;
    }

    /** Checks {@code target} and creates its (empty) temporary file; returns the temporary file. */
    public Path stage(Path target) throws OutputException {
        Path existing = staged.get(target);
        if (existing != null) {
            return existing;
        }
        policy.check(target);
        Path id = OutputPolicy.identity(target);
        if (identities.containsKey(id)) {
            throw new OutputException(target, OutputException.Reason.DUPLICATE, "is named for two outputs of this run");
        }
        Path tmp;
        try {
            tmp = TempFiles.createBeside(target);
        } catch (OutputException e) {
            throw e;
        } catch (IOException e) {
            throw new OutputException(target, OutputException.Reason.NOT_WRITABLE,
                    "cannot create files in " + OutputPolicy.folderOf(target) + " (" + TempFiles.reason(e) + ")", e);
        }
        staged.put(target, tmp);
        identities.put(id, target);
        return tmp;
    }

    /**
     * A stream into {@code target}'s temporary file. It never re-creates a temporary file that cleanup removed
     * (an interrupted run writes nothing after the hook ran).
     */
    public OutputStream open(Path target) throws OutputException {
        Path tmp = stage(target);
        try {
            return new Guarded(target, Files.newOutputStream(tmp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING));
        } catch (IOException e) {
            throw writeFailed(target, e);
        }
    }

    /** Turns a failed write (full disk, quota) into one message naming the user's target, not the temporary file. */
    private static final class Guarded extends java.io.FilterOutputStream {
        private final Path target;

        private interface Io {
            void run() throws IOException;
        }

        Guarded(Path target, OutputStream out) {
            super(out);
            this.target = target;
        }

        private void guard(Io io) throws OutputException {
            try {
                io.run();
            } catch (IOException e) {
                throw writeFailed(target, e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            guard(() -> out.write(b, off, len));
        }

        @Override
        public void write(int b) throws IOException {
            guard(() -> out.write(b));
        }

        @Override
        public void flush() throws IOException {
            guard(out::flush);
        }

        @Override
        public void close() throws IOException {
            guard(out::close);
        }
    }

    /** Writes {@code bytes} as {@code target}'s content (staged, not yet in place). */
    public void write(Path target, byte[] bytes) throws OutputException {
        try (OutputStream out = open(target)) {
            out.write(bytes);
        } catch (IOException e) {
            throw writeFailed(target, e);
        }
    }

    /** The temporary file behind a staged target (for re-reading what was written before commit). */
    public Path temporary(Path target) {
        Path tmp = staged.get(target);
        if (tmp == null) {
            throw new IllegalStateException(target + " was not staged");
        }
        return tmp;
    }

    /** Moves every staged file into place, all or none. */
    public void commit() throws OutputException {
        if (committed) {
            throw new IllegalStateException("already committed");
        }
        synchronized (TempFiles.LOCK) {
            List<Path[]> done = new ArrayList<>();
            Path target = null;
            try {
                for (Map.Entry<Path, Path> e : staged.entrySet()) {
                    target = e.getKey();
                    Path tmp = e.getValue();
                    if (!Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) {
                        throw new OutputException(target, OutputException.Reason.INTERRUPTED, "interrupted; not written");
                    }
                    policy.check(target);
                    Path backup = null;
                    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                        keepPermissions(target, tmp);
                        backup = backupOf(target);
                    }
                    moveIntoPlace(tmp, target, policy.force());
                    TempFiles.forget(tmp);
                    done.add(new Path[] {target, backup});
                }
            } catch (IOException | RuntimeException e) {
                undo(done);
                throw writeFailed(target, e);
            }
            for (Path[] d : done) {
                TempFiles.delete(d[1]);
            }
            committed = true;
        }
    }

    /** A hard link to the file about to be replaced, so a failed commit can put it back. */
    private static Path backupOf(Path target) {
        try {
            Path b = TempFiles.createBeside(target);
            Files.delete(b);
            Files.createLink(b, target);
            return b;
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    private static void undo(List<Path[]> done) {
        for (int i = done.size() - 1; i >= 0; i--) {
            Path target = done.get(i)[0];
            Path backup = done.get(i)[1];
            try {
                if (backup != null) {
                    Files.move(backup, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    TempFiles.forget(backup);
                } else {
                    Files.deleteIfExists(target);
                }
            } catch (IOException e) {
                // best effort: the rest is still undone
            }
        }
    }

    private static void keepPermissions(Path from, Path to) {
        PosixFileAttributeView src = Files.getFileAttributeView(from, PosixFileAttributeView.class);
        PosixFileAttributeView dst = Files.getFileAttributeView(to, PosixFileAttributeView.class);
        if (src != null && dst != null) {
            try {
                dst.setPermissions(src.readAttributes().permissions());
            } catch (IOException e) {
                // the new file keeps the default permissions
            }
        }
    }

    /**
     * Without {@code overwrite} an existing target is never replaced, even one created a moment ago by someone
     * else: a hard link claims the name atomically.
     */
    private static void moveIntoPlace(Path tmp, Path target, boolean overwrite) throws IOException {
        if (!overwrite) {
            try {
                Files.createLink(target, tmp);
                Files.delete(tmp);
                return;
            } catch (FileAlreadyExistsException e) {
                throw new OutputException(target, OutputException.Reason.EXISTS, "exists; pass --force to replace it");
            } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw new OutputException(target, OutputException.Reason.EXISTS, "exists; pass --force to replace it");
                }
                // file systems without hard links: a rename right after the check
            }
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static OutputException writeFailed(Path target, Exception e) {
        if (e instanceof OutputException oe) {
            return oe;
        }
        String why = e instanceof IOException io ? TempFiles.reason(io) : String.valueOf(e.getMessage());
        return new OutputException(target, OutputException.Reason.WRITE_FAILED, "cannot write it (" + why
                + "); nothing was written", e);
    }

    /** Removes every temporary file not committed. */
    @Override
    public void close() {
        if (!committed) {
            staged.values().forEach(TempFiles::delete);
        }
        staged.clear();
    }
}
