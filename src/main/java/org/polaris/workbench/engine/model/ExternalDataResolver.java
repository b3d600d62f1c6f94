package org.polaris.workbench.engine.model;

import ai.onnx.proto.OnnxMl;
import org.polaris.workbench.engine.model.ModelLoadException.Problem;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Loads tensors stored beside the model ({@code data_location = EXTERNAL}). The side file must resolve inside the
 * model's folder (no absolute paths, no {@code ..}, no links leading out), and offset and length must lie within it.
 */
final class ExternalDataResolver {

    private final Path model;
    private final long maxTotalBytes;
    private final java.util.Map<String, Path> aliases;
    private long totalBytes;

    ExternalDataResolver(Path model, long maxTotalBytes, java.util.Map<String, Path> aliases) {
        this.model = model;
        this.maxTotalBytes = maxTotalBytes;
        this.aliases = aliases;
    }

    String locationOf(List<OnnxMl.StringStringEntryProto> entries) {
        return entries.stream().filter(e -> e.getKey().equals("location")).map(OnnxMl.StringStringEntryProto::getValue)
                .findFirst().orElse(null);
    }

    byte[] read(String tensor, List<OnnxMl.StringStringEntryProto> entries, long expectedBytes)
            throws ModelLoadException {
        String location = locationOf(entries);
        long offset = longEntry(tensor, entries, "offset", 0);
        long length = longEntry(tensor, entries, "length", expectedBytes);
        if (location == null || location.isEmpty()) {
            throw fail(tensor, "has external data without a location");
        }
        if (length != expectedBytes) {
            throw fail(tensor, "external length " + length + " does not match the " + expectedBytes + " bytes its shape needs");
        }
        if (totalBytes + length > maxTotalBytes) {
            throw new ModelLoadException(model, Problem.LIMIT_EXCEEDED, "external data exceeds " + maxTotalBytes
                    + " bytes in total (the limit follows the memory available; a larger -Xmx raises it)");
        }
        Path side = confined(tensor, location);
        try (FileChannel ch = FileChannel.open(side, StandardOpenOption.READ)) {
            long size = ch.size();
            if (offset < 0 || offset > size || length > size - offset) {
                throw fail(tensor, "external range [" + offset + ", +" + length + ") lies outside " + location
                        + " (" + size + " bytes)");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) length);
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) {
                    throw fail(tensor, "external file " + location + " ended early");
                }
            }
            totalBytes += length;
            return buf.array();
        } catch (IOException e) {
            throw fail(tensor, "cannot read external file " + location + ": " + e.getMessage());
        }
    }

    private Path confined(String tensor, String location) throws ModelLoadException {
        try {
            Path dir = model.toAbsolutePath().getParent().toRealPath();
            Path alias = aliases.get(location);
            Path rel = alias != null ? alias.getFileName() : Path.of(location);
            if (alias != null && !alias.toAbsolutePath().getParent().toRealPath().equals(dir)) {
                throw fail(tensor, "external alias for '" + location + "' is not beside the model");
            }
            if (rel.isAbsolute()) {
                throw fail(tensor, "external location '" + location + "' is absolute; it must be relative to the model");
            }
            Path candidate = dir.resolve(rel).normalize();
            if (!candidate.startsWith(dir)) {
                throw fail(tensor, "external location '" + location + "' points outside the model's folder");
            }
            if (!Files.isRegularFile(candidate)) {
                throw fail(tensor, "external file '" + location + "' not found beside the model");
            }
            Path real = candidate.toRealPath();
            if (!real.startsWith(dir)) {
                throw fail(tensor, "external location '" + location + "' links outside the model's folder");
            }
            return real;
        } catch (InvalidPathException | IOException e) {
            throw fail(tensor, "bad external location '" + location + "': " + e.getMessage());
        }
    }

    private long longEntry(String tensor, List<OnnxMl.StringStringEntryProto> entries, String key, long dflt)
            throws ModelLoadException {
        for (OnnxMl.StringStringEntryProto e : entries) {
            if (e.getKey().equals(key)) {
                try {
                    return Long.parseLong(e.getValue().trim());
                } catch (NumberFormatException ex) {
                    throw fail(tensor, "external " + key + " '" + e.getValue() + "' is not a number");
                }
            }
        }
        return dflt;
    }

    private ModelLoadException fail(String tensor, String what) {
        return new ModelLoadException(model, Problem.EXTERNAL_DATA, "tensor '" + tensor + "' " + what);
    }
}
