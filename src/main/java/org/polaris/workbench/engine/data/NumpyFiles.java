package org.polaris.workbench.engine.data;

import org.polaris.workbench.engine.io.InputFiles;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * NumPy {@code .npy} arrays and {@code .npz} archives (a zip of {@code NAME.npy} entries), read and written in C
 * order, little-endian. Every length in a file is checked against limits before anything is allocated for it.
 */
public final class NumpyFiles {

    /** Largest array read, in bytes (1 GiB); raise with {@code -Dpolaris.maxArrayBytes=N}. */
    public static final long MAX_ARRAY_BYTES = Long.getLong("polaris.maxArrayBytes", 1L << 30);
    private static final int MAX_HEADER = 1 << 16;
    private static final int MAX_RANK = 16;
    private static final int MAX_ENTRIES = 4096;
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NumpyFiles() {
    }

    /** One {@code .npy} file as a tensor named after the file. */
    public static Tensor readNpy(Path file) throws DataException {
        check(file);
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, stem(file), file.toString());
        } catch (IOException e) {
            throw new DataException(file + ": cannot read: " + e.getMessage());
        }
    }

    /** Every array of an {@code .npz} archive, by name (without {@code .npy}), in archive order. */
    public static Map<String, Tensor> readNpz(Path file) throws DataException {
        check(file);
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            long total = 0;
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (out.size() >= MAX_ENTRIES) {
                    throw new DataException(file + ": holds over " + MAX_ENTRIES + " arrays");
                }
                if (e.isDirectory() || !e.getName().endsWith(".npy")) {
                    continue;
                }
                String name = e.getName().substring(0, e.getName().length() - 4);
                try (InputStream in = zip.getInputStream(e)) {
                    Tensor t = read(in, name, file + " (" + e.getName() + ")");
                    total += t.raw().length;
                    if (total > MAX_ARRAY_BYTES) {
                        throw new DataException(file + ": arrays over " + MAX_ARRAY_BYTES + " bytes in all");
                    }
                    out.put(name, t);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new DataException(file + ": not a readable .npz archive (" + message(e) + ")");
        }
        if (out.isEmpty()) {
            throw new DataException(file + ": holds no .npy arrays");
        }
        return out;
    }

    /**
     * Writes arrays as a deflated {@code .npz} (what {@code numpy.savez_compressed} writes) to {@code out}. The entries
     * carry a fixed time, so the same arrays give the same bytes (a batch shard computed twice, or on another machine,
     * is byte-identical).
     */
    public static void writeNpz(Map<String, Tensor> arrays, OutputStream out) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        for (Map.Entry<String, Tensor> e : arrays.entrySet()) {
            ZipEntry entry = new ZipEntry(safeName(e.getKey()) + ".npy");
            entry.setTimeLocal(java.time.LocalDateTime.of(1980, 1, 1, 0, 0));
            zip.putNextEntry(entry);
            writeNpy(e.getValue(), zip);
            zip.closeEntry();
        }
        zip.finish();
    }

    /** Writes one array in {@code .npy} format 1.0. */
    public static void writeNpy(Tensor t, OutputStream out) throws IOException {
        StringBuilder shape = new StringBuilder("(");
        for (long d : t.dims()) {
            shape.append(d).append(", ");
        }
        if (t.rank() > 0) {
            // "(3,)" for rank 1 as Python writes a 1-tuple; "(1, 3,)" is as valid a tuple
            shape.setLength(shape.length() - 1);
        }
        shape.append(')');
        byte[] data = t.dataType() == DataType.STRING ? utf32(t) : t.raw();
        String type = t.dataType() == DataType.STRING ? "<U" + Math.max(1, data.length / Math.max(1, 4 * t.elementCount()))
                : descr(t.dataType());
        String dict = "{'descr': '" + type + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        out.write(MAGIC);
        out.write(new byte[] {1, 0, (byte) (header.length() & 0xff), (byte) (header.length() >> 8)});
        out.write(header.getBytes(StandardCharsets.ISO_8859_1));
        out.write(data);
    }

    /** String elements as NumPy's fixed-width unicode: UTF-32LE code points, zero-padded to the longest. */
    private static byte[] utf32(Tensor t) {
        List<int[]> cps = t.strings().stream().map(b -> new String(b, StandardCharsets.UTF_8).codePoints().toArray()).toList();
        int width = Math.max(1, cps.stream().mapToInt(c -> c.length).max().orElse(1));
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(Math.multiplyExact(cps.size(), width * 4))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int[] c : cps) {
            for (int i = 0; i < width; i++) {
                b.putInt(i < c.length ? c[i] : 0);
            }
        }
        return b.array();
    }

    /** Output names may hold characters a zip entry cannot ('/', '\', ':'): those become '_'. */
    static String safeName(String name) {
        String s = name.replaceAll("[/\\\\:\\x00-\\x1f]", "_");
        return s.isEmpty() ? "_" : s;
    }

    private static Tensor read(InputStream in, String name, String where) throws IOException, DataException {
        byte[] magic = in.readNBytes(8);
        if (magic.length < 8 || !java.util.Arrays.equals(java.util.Arrays.copyOf(magic, 6), MAGIC)) {
            throw new DataException(where + ": not a .npy array (no \\x93NUMPY header)");
        }
        int major = magic[6];
        int headerLen;
        if (major == 1) {
            byte[] l = in.readNBytes(2);
            headerLen = (l[0] & 0xff) | (l[1] & 0xff) << 8;
        } else if (major == 2 || major == 3) {
            byte[] l = in.readNBytes(4);
            headerLen = (l[0] & 0xff) | (l[1] & 0xff) << 8 | (l[2] & 0xff) << 16 | (l[3] & 0xff) << 24;
        } else {
            throw new DataException(where + ": .npy format version " + major + " is not supported");
        }
        if (headerLen < 0 || headerLen > MAX_HEADER) {
            throw new DataException(where + ": .npy header of " + headerLen + " bytes");
        }
        String header = new String(in.readNBytes(headerLen), StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !s.find()) {
            throw new DataException(where + ": .npy header without descr or shape");
        }
        if (f.find() && f.group(1).equals("True")) {
            throw new DataException(where + ": Fortran-order arrays are not supported (save with numpy.ascontiguousarray)");
        }
        long[] dims = dims(s.group(1), where);
        if (d.group(1).matches("[<|]U\\d+")) {
            return strings(in, name, where, dims, Integer.parseInt(d.group(1).substring(2)));
        }
        DataType type = type(d.group(1), where);
        long count = 1;
        for (long x : dims) {
            count = Math.multiplyExact(count, x);
        }
        long bytes = type.storageBytes(count);
        if (bytes > MAX_ARRAY_BYTES) {
            throw new DataException(where + ": array of " + bytes + " bytes, over the limit of " + MAX_ARRAY_BYTES
                    + " (raise it with -Dpolaris.maxArrayBytes=N)");
        }
        byte[] raw = in.readNBytes((int) bytes);
        if (raw.length != bytes) {
            throw new DataException(where + ": holds " + raw.length + " data bytes, its header says " + bytes);
        }
        return new Tensor(name, type, dims, raw, List.of(), null, "");
    }

    /** A fixed-width unicode array ({@code <Un}) as a string tensor. */
    private static Tensor strings(InputStream in, String name, String where, long[] dims, int width)
            throws IOException, DataException {
        long count = 1;
        for (long x : dims) {
            count = Math.multiplyExact(count, x);
        }
        long bytes = Math.multiplyExact(count, 4L * width);
        if (width > (1 << 20) || bytes > MAX_ARRAY_BYTES) {
            throw new DataException(where + ": string array of " + bytes + " bytes, over the limit of " + MAX_ARRAY_BYTES);
        }
        byte[] raw = in.readNBytes((int) bytes);
        if (raw.length != bytes) {
            throw new DataException(where + ": holds " + raw.length + " data bytes, its header says " + bytes);
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        List<byte[]> out = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < width; k++) {
                int cp = b.getInt();
                if (cp != 0 && Character.isValidCodePoint(cp)) {
                    sb.appendCodePoint(cp);
                }
            }
            out.add(sb.toString().getBytes(StandardCharsets.UTF_8));
        }
        return new Tensor(name, DataType.STRING, dims, new byte[0], out, null, "");
    }

    private static long[] dims(String text, String where) throws DataException {
        List<Long> out = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            try {
                long v = Long.parseLong(p.endsWith("L") ? p.substring(0, p.length() - 1) : p);
                if (v < 0) {
                    throw new NumberFormatException();
                }
                out.add(v);
            } catch (NumberFormatException e) {
                throw new DataException(where + ": bad .npy shape (" + text + ")");
            }
        }
        if (out.size() > MAX_RANK) {
            throw new DataException(where + ": rank " + out.size() + " over the limit of " + MAX_RANK);
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static DataType type(String descr, String where) throws DataException {
        String order = descr.isEmpty() ? "" : descr.substring(0, 1);
        if (order.equals(">") && !descr.endsWith("1")) {
            throw new DataException(where + ": big-endian arrays (" + descr + ") are not supported");
        }
        return switch (descr.substring(Math.min(1, descr.length()))) {
            case "f4" -> DataType.FLOAT;
            case "f8" -> DataType.DOUBLE;
            case "f2" -> DataType.FLOAT16;
            case "i8" -> DataType.INT64;
            case "i4" -> DataType.INT32;
            case "i2" -> DataType.INT16;
            case "i1" -> DataType.INT8;
            case "u1" -> DataType.UINT8;
            case "u2" -> DataType.UINT16;
            case "u4" -> DataType.UINT32;
            case "u8" -> DataType.UINT64;
            case "b1" -> DataType.BOOL;
            default -> throw new DataException(where + ": arrays of dtype " + descr + " are not supported");
        };
    }

    private static String descr(DataType t) {
        return switch (t) {
            case FLOAT -> "<f4";
            case DOUBLE -> "<f8";
            case FLOAT16 -> "<f2";
            case INT64 -> "<i8";
            case INT32 -> "<i4";
            case INT16 -> "<i2";
            case INT8 -> "|i1";
            case UINT8 -> "|u1";
            case UINT16 -> "<u2";
            case UINT32 -> "<u4";
            case UINT64 -> "<u8";
            case BOOL -> "|b1";
            default -> throw new IllegalArgumentException(t + " has no NumPy dtype here");
        };
    }

    private static void check(Path file) throws DataException {
        String problem = InputFiles.problem(file);
        if (problem != null) {
            throw new DataException(file + ": " + problem);
        }
    }

    private static String stem(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    private static String message(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().toLowerCase(Locale.ROOT);
    }

    /** Bytes of an array as {@code .npy}, for tests and small outputs. */
    static byte[] npyBytes(Tensor t) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        writeNpy(t, b);
        return b.toByteArray();
    }
}
