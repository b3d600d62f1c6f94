package org.polaris.workbench.engine.torch;

import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.ModelLoadException.Problem;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Checks a TorchScript archive before libtorch sees it. libtorch trusts its input: a storage shorter than the
 * tensors that view it is read past its end (a crash, or foreign memory copied out as "weights"). This reads the
 * zip directory and the pickled module ({@code data.pkl}, {@code constants.pkl}) with a small, bounded pickle
 * interpreter that builds nothing but the storage and tensor records, and checks every tensor's extent against its
 * storage's declared size and every storage against the bytes its entry holds.
 */
public final class TorchArchive {

    private static final int MAX_ENTRIES = 200_000;
    private static final long MAX_PICKLE_BYTES = 64L << 20;
    private static final int MAX_STACK = 100_000;
    private static final int MAX_OPS = 20_000_000;

    /** A storage as the pickle declares it. */
    record Storage(String key, String type, long elements) {
    }

    private final Path file;

    private TorchArchive(Path file) {
        this.file = file;
    }

    /** Throws a {@link ModelLoadException} naming the file and the first problem found. */
    public static void check(Path file) throws ModelLoadException {
        new TorchArchive(file).run();
    }

    private void run() throws ModelLoadException {
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException(file, Files.exists(file) ? Problem.NOT_A_FILE : Problem.NOT_FOUND,
                    Files.exists(file) ? "not a regular file" : "no such file");
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Map<String, ZipEntry> entries = new HashMap<>();
            Enumeration<? extends ZipEntry> e = zip.entries();
            while (e.hasMoreElements()) {
                ZipEntry z = e.nextElement();
                if (entries.size() >= MAX_ENTRIES) {
                    throw bad("more than " + MAX_ENTRIES + " archive entries");
                }
                entries.put(z.getName(), z);
            }
            String root = entries.keySet().stream().filter(n -> n.endsWith("/data.pkl") || n.equals("data.pkl"))
                    .map(n -> n.substring(0, n.length() - "data.pkl".length())).findFirst()
                    .orElseThrow(() -> bad("not a TorchScript archive (no data.pkl)"));
            for (String pkl : List.of("data.pkl", "constants.pkl")) {
                ZipEntry z = entries.get(root + pkl);
                if (z == null) {
                    continue;
                }
                Map<String, Storage> storages = new LinkedHashMap<>();
                new Unpickler(readBounded(zip, z), storages, root + pkl).run();
                for (Storage s : storages.values()) {
                    ZipEntry d = entries.get(root + (pkl.equals("constants.pkl") ? "constants/" : "data/") + s.key());
                    if (d == null) {
                        d = entries.get(root + "data/" + s.key());
                    }
                    if (d == null) {
                        throw bad("storage '" + s.key() + "' named in " + pkl + " is missing from the archive");
                    }
                    long need = Math.multiplyExact(s.elements(), elementBytes(s.type()));
                    if (d.getSize() < need) {
                        throw bad("storage '" + s.key() + "' holds " + d.getSize() + " bytes but declares " + s.elements()
                                + " " + s.type() + " elements (" + need + " bytes): truncated or corrupt");
                    }
                }
            }
        } catch (ZipException ex) {
            throw new ModelLoadException(file, Problem.NOT_ONNX, "not a TorchScript archive (" + ex.getMessage() + ")");
        } catch (IOException ex) {
            throw new ModelLoadException(file, Problem.UNREADABLE, "cannot read: " + ex.getMessage());
        } catch (ArithmeticException ex) {
            throw bad("declared sizes overflow");
        }
    }

    private byte[] readBounded(ZipFile zip, ZipEntry z) throws IOException, ModelLoadException {
        if (z.getSize() > MAX_PICKLE_BYTES) {
            throw bad(z.getName() + " is " + z.getSize() + " bytes (limit " + MAX_PICKLE_BYTES + ")");
        }
        try (InputStream in = zip.getInputStream(z)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (out.size() + n > MAX_PICKLE_BYTES) {
                    throw bad(z.getName() + " inflates past " + MAX_PICKLE_BYTES + " bytes");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }
    }

    static long elementBytes(String storageType) {
        String t = storageType.replace("torch.", "");
        return switch (t) {
            case "DoubleStorage", "LongStorage", "ComplexFloatStorage", "float64", "int64" -> 8;
            case "ComplexDoubleStorage" -> 16;
            case "HalfStorage", "BFloat16Storage", "ShortStorage", "float16", "bfloat16", "int16" -> 2;
            case "ByteStorage", "CharStorage", "BoolStorage", "QInt8Storage", "QUInt8Storage", "uint8", "int8", "bool" -> 1;
            default -> 4;
        };
    }

    private ModelLoadException bad(String what) {
        return new ModelLoadException(file, Problem.CORRUPT, what);
    }

    /** Markers and values on the pickle stack; only what tensor rebuilding needs is kept as structure. */
    private record Global(String module, String name) {
    }

    private record Tuple(List<Object> items) {
    }

    private static final Object MARK = new Object();
    private static final Object OPAQUE = new Object();

    /** A bounded interpreter for the pickle opcodes torch writes (protocols 2-4). */
    private final class Unpickler {
        private final ByteBuffer in;
        private final Map<String, Storage> storages;
        private final String entry;
        private final Deque<Object> stack = new ArrayDeque<>();
        private final Map<Long, Object> memo = new HashMap<>();

        Unpickler(byte[] bytes, Map<String, Storage> storages, String entry) {
            this.in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            this.storages = storages;
            this.entry = entry;
        }

        void run() throws ModelLoadException {
            try {
                for (int ops = 0; ops < MAX_OPS; ops++) {
                    if (stack.size() > MAX_STACK || memo.size() > MAX_STACK) {
                        throw bad(entry + ": pickle stack too deep");
                    }
                    int op = in.get() & 0xff;
                    if (op == '.') {
                        return;
                    }
                    step(op);
                }
                throw bad(entry + ": pickle too long");
            } catch (java.nio.BufferUnderflowException | java.util.NoSuchElementException | ClassCastException
                     | IndexOutOfBoundsException | NullPointerException | ArithmeticException e) {
                throw bad(entry + ": corrupt pickle");
            }
        }

        private void step(int op) throws ModelLoadException {
            switch (op) {
                case 0x80 -> in.get();                                         // PROTO
                case 0x95 -> in.getLong();                                     // FRAME
                case 'c' -> push(new Global(line(), line()));                  // GLOBAL
                case 0x93 -> { Object n = pop(); Object m = pop(); push(new Global(str(m), str(n))); } // STACK_GLOBAL
                case 'q' -> memo.put((long) (in.get() & 0xff), stack.element()); // BINPUT
                case 'r' -> memo.put(in.getInt() & 0xffffffffL, stack.element()); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), stack.element());    // MEMOIZE
                case 'h' -> push(memo.getOrDefault((long) (in.get() & 0xff), OPAQUE));
                case 'j' -> push(memo.getOrDefault(in.getInt() & 0xffffffffL, OPAQUE));
                case '(' -> push(MARK);
                case ')' -> push(new Tuple(List.of()));
                case 't' -> push(new Tuple(popToMark()));
                case 0x85 -> push(new Tuple(List.of(pop())));
                case 0x86 -> { Object b = pop(); push(new Tuple(List.of(pop(), b))); }
                case 0x87 -> { Object c = pop(); Object b = pop(); push(new Tuple(List.of(pop(), b, c))); }
                case 'X' -> push(string(in.getInt()));
                case 0x8c -> push(string(in.get() & 0xff));                    // SHORT_BINUNICODE
                case 'T' -> push(string(in.getInt()));                          // BINSTRING
                case 'U' -> push(string(in.get() & 0xff));                      // SHORT_BINSTRING
                case 'B' -> { skip(in.getInt()); push(OPAQUE); }                // BINBYTES
                case 'C' -> { skip(in.get() & 0xff); push(OPAQUE); }            // SHORT_BINBYTES
                case 0x8e -> { skip(Math.toIntExact(in.getLong())); push(OPAQUE); } // BINBYTES8
                case 'J' -> push((long) in.getInt());
                case 'K' -> push((long) (in.get() & 0xff));
                case 'M' -> push((long) (in.getShort() & 0xffff));
                case 0x8a -> push(long1(in.get() & 0xff));
                case 'G' -> { in.order(ByteOrder.BIG_ENDIAN); double d = in.getDouble(); in.order(ByteOrder.LITTLE_ENDIAN); push(d); }
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'N' -> push(OPAQUE);
                case '}', ']' -> push(new ArrayList<>());
                case 's' -> { pop(); pop(); }
                case 'u', 'e' -> popToMark();
                case 'a' -> pop();
                case 'b' -> pop();                                               // BUILD: state onto the object
                case 0x81 -> { pop(); pop(); push(OPAQUE); }                     // NEWOBJ
                case 'Q' -> push(persistent(pop()));                             // BINPERSID
                case 'R' -> { Object args = pop(); Object fn = pop(); push(reduce(fn, args)); }
                case '0' -> pop();                                               // POP
                case '2' -> push(stack.element());                               // DUP
                case '1' -> popToMark();                                         // POP_MARK
                default -> throw bad(entry + ": unsupported pickle opcode 0x" + Integer.toHexString(op));
            }
        }

        private Object persistent(Object pid) throws ModelLoadException {
            if (!(pid instanceof Tuple t) || t.items().size() < 5 || !"storage".equals(t.items().get(0))) {
                return OPAQUE;
            }
            Object type = t.items().get(1);
            String typeName = type instanceof Global g ? g.name() : String.valueOf(type);
            String key = str(t.items().get(2));
            if (!(t.items().get(4) instanceof Long n) || n < 0) {
                throw bad(entry + ": storage '" + key + "' has no valid element count");
            }
            Storage s = new Storage(key, typeName, n);
            Storage prev = storages.putIfAbsent(key, s);
            return prev != null ? prev : s;
        }

        /** {@code _rebuild_tensor_v2(storage, offset, size, stride, ...)}: the view must lie inside the storage. */
        private Object reduce(Object fn, Object args) throws ModelLoadException {
            if (fn instanceof Global g && g.module().equals("torch._utils") && g.name().startsWith("_rebuild_tensor")
                    && args instanceof Tuple t && t.items().size() >= 4 && t.items().get(0) instanceof Storage s) {
                long offset = asLong(t.items().get(1));
                List<Object> size = ((Tuple) t.items().get(2)).items();
                List<Object> stride = ((Tuple) t.items().get(3)).items();
                if (size.size() != stride.size() || offset < 0) {
                    throw bad(entry + ": a tensor on storage '" + s.key() + "' has a malformed view");
                }
                long extent = 1;
                boolean empty = false;
                for (int i = 0; i < size.size(); i++) {
                    long n = asLong(size.get(i));
                    long st = asLong(stride.get(i));
                    if (n < 0 || st < 0) {
                        throw bad(entry + ": a tensor on storage '" + s.key() + "' has a negative size or stride");
                    }
                    if (n == 0) {
                        empty = true;
                    } else {
                        extent = Math.addExact(extent, Math.multiplyExact(n - 1, st));
                    }
                }
                if (!empty && Math.addExact(offset, extent) > s.elements()) {
                    throw bad(entry + ": a tensor reads " + Math.addExact(offset, extent) + " elements of storage '"
                            + s.key() + "', which declares " + s.elements());
                }
            }
            return OPAQUE;
        }

        private long asLong(Object o) throws ModelLoadException {
            if (o instanceof Long l) {
                return l;
            }
            throw bad(entry + ": a tensor's view is not made of integers");
        }

        private long long1(int n) throws ModelLoadException {
            if (n > 8) {
                skip(n);
                return Long.MAX_VALUE;
            }
            long v = 0;
            for (int i = 0; i < n; i++) {
                v |= (long) (in.get() & 0xff) << (8 * i);
            }
            if (n > 0 && n < 8 && (v & (1L << (8 * n - 1))) != 0) {
                v -= 1L << (8 * n);
            }
            return v;
        }

        private String line() {
            StringBuilder b = new StringBuilder();
            for (int c; (c = in.get() & 0xff) != '\n'; ) {
                if (b.length() > 4096) {
                    throw new IndexOutOfBoundsException();
                }
                b.append((char) c);
            }
            return b.toString();
        }

        private String string(int len) {
            if (len < 0 || len > in.remaining()) {
                throw new IndexOutOfBoundsException();
            }
            byte[] b = new byte[len];
            in.get(b);
            return new String(b, StandardCharsets.UTF_8);
        }

        private void skip(int len) {
            if (len < 0 || len > in.remaining()) {
                throw new IndexOutOfBoundsException();
            }
            in.position(in.position() + len);
        }

        private String str(Object o) {
            return o instanceof String s ? s : String.valueOf(o);
        }

        private void push(Object o) {
            stack.push(o);
        }

        private Object pop() {
            Object o = stack.pop();
            if (o == MARK) {
                throw new java.util.NoSuchElementException();
            }
            return o;
        }

        private List<Object> popToMark() {
            ArrayDeque<Object> items = new ArrayDeque<>();
            for (Object o; (o = stack.pop()) != MARK; ) {
                items.addFirst(o);
            }
            return new ArrayList<>(items);
        }
    }
}
