package org.polaris.workbench.engine.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.TensorEncoder;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decodes an inference request: the JSON tensor form ({@code data} flat or nested, row-major) and the binary-data
 * extension (a JSON header of {@code Inference-Header-Content-Length} bytes, then each input with
 * {@code parameters.binary_data_size} as raw little-endian bytes in input order; BYTES elements with a 4-byte length
 * prefix). The JSON is streamed: values go straight into the tensor's bytes, never through a tree, and every count is
 * checked against the declared shape before the tensor is made. Errors are 400s naming the input.
 */
public final class RequestParser {

    /** Nesting allowed in a request (nested data arrays of a rank-64 tensor at most). */
    private static final int MAX_DEPTH = 80;
    private static final int MAX_RANK = 64;

    private static final JsonFactory JSON = JsonFactory.builder()
            // FastDoubleParser: a 784-value image parses in a fraction of the JDK's Double.parseDouble time
            .enable(com.fasterxml.jackson.core.StreamReadFeature.USE_FAST_DOUBLE_PARSER)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH)
                    .maxStringLength(64 << 20).maxNumberLength(400).build()).build();

    private RequestParser() {
    }

    /**
     * @param body the whole request body
     * @param headerLength the JSON header's length from {@code Inference-Header-Content-Length}, or -1 when the
     *                     body is JSON alone
     */
    public static InferRequest parse(byte[] body, int headerLength) throws ServeException {
        int jsonLength = headerLength < 0 ? body.length : headerLength;
        if (jsonLength > body.length) {
            throw bad("Inference-Header-Content-Length " + headerLength + " exceeds the body's " + body.length + " bytes");
        }
        List<Pending> inputs = new ArrayList<>();
        List<InferRequest.Output> outputs = new ArrayList<>();
        String id = null;
        boolean binaryOutput = false;
        try (JsonParser p = JSON.createParser(body, 0, jsonLength)) {
            expect(p.nextToken(), JsonToken.START_OBJECT, "the request must be a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "id" -> {
                        if (t != JsonToken.VALUE_STRING) throw bad("'id' must be a string");
                        id = p.getText();
                    }
                    case "parameters" -> binaryOutput = parameters(p, "binary_data_output") == Boolean.TRUE;
                    case "inputs" -> {
                        expect(t, JsonToken.START_ARRAY, "'inputs' must be an array");
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            inputs.add(input(p));
                        }
                    }
                    case "outputs" -> {
                        expect(t, JsonToken.START_ARRAY, "'outputs' must be an array");
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            outputs.add(output(p));
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT) throw bad("the request is not a complete JSON object");
        } catch (com.fasterxml.jackson.core.exc.StreamConstraintsException e) {
            throw bad("malformed JSON: over the server's limits (" + e.getOriginalMessage().replaceAll(" \\(\\d+, from .*", "")
                    + ")");
        } catch (JsonParseException e) {
            throw bad("malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw bad("malformed request: " + e.getMessage());
        }
        if (inputs.isEmpty()) throw bad("the request has no inputs");
        List<InferRequest.Input> decoded = new ArrayList<>(inputs.size());
        int offset = jsonLength;
        for (Pending in : inputs) {
            if (in.binarySize >= 0) {
                if ((long) offset + in.binarySize > body.length) {
                    throw bad("input '" + in.name + "': binary_data_size " + in.binarySize + " runs past the end of the body");
                }
                decoded.add(new InferRequest.Input(in.name, in.datatype, binary(in, body, offset)));
                offset += (int) in.binarySize;
            } else {
                decoded.add(new InferRequest.Input(in.name, in.datatype, in.tensor));
            }
        }
        if (offset != body.length) {
            throw bad((body.length - offset) + " bytes after the last input's binary data");
        }
        return new InferRequest(id, decoded, outputs, binaryOutput);
    }

    private record Pending(String name, KsDatatype datatype, long[] shape, long binarySize, Tensor tensor) {
    }

    private static Pending input(JsonParser p) throws IOException, ServeException {
        expect(p.currentToken(), JsonToken.START_OBJECT, "each input must be an object");
        String name = null;
        KsDatatype type = null;
        String typeName = null;
        long[] shape = null;
        long binarySize = -1;
        Values data = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            switch (field) {
                case "name" -> {
                    if (t != JsonToken.VALUE_STRING) throw bad("an input's 'name' must be a string");
                    name = p.getText();
                }
                case "datatype" -> {
                    if (t != JsonToken.VALUE_STRING) throw bad("an input's 'datatype' must be a string");
                    typeName = p.getText();
                    type = KsDatatype.parse(typeName);
                }
                case "shape" -> shape = shape(p, name);
                case "parameters" -> {
                    Object size = parameters(p, "binary_data_size");
                    if (size instanceof Long l) binarySize = l;
                    else if (size != null) throw bad("input '" + name + "': binary_data_size must be an integer");
                }
                case "data" -> {
                    if (type == null) {
                        throw bad("input '" + (name == null ? "?" : name) + "': 'datatype' must come before 'data'"
                                + (typeName == null ? "" : " and be one of " + Arrays.toString(KsDatatype.values())));
                    }
                    data = new Values(type, name);
                    data.read(p, 0);
                }
                default -> p.skipChildren();
            }
        }
        if (name == null) throw bad("an input has no 'name'");
        if (typeName == null) throw bad("input '" + name + "': no 'datatype'");
        if (type == null) throw bad("input '" + name + "': unknown datatype '" + typeName + "' (one of "
                + Arrays.toString(KsDatatype.values()) + ")");
        if (shape == null) throw bad("input '" + name + "': no 'shape'");
        long count = count(shape, name);
        if (binarySize >= 0) {
            if (data != null) throw bad("input '" + name + "': both 'data' and binary_data_size");
            if (type != KsDatatype.BYTES && binarySize != count * type.elementBytes()) {
                throw bad("input '" + name + "': binary_data_size " + binarySize + " but shape " + Arrays.toString(shape)
                        + " of " + type + " needs " + count * type.elementBytes() + " bytes");
            }
            return new Pending(name, type, shape, binarySize, null);
        }
        if (data == null) throw bad("input '" + name + "': no 'data' (and no binary_data_size)");
        if (data.count != count) {
            throw bad("input '" + name + "': shape " + Arrays.toString(shape) + " needs " + count + " values, 'data' has "
                    + data.count);
        }
        return new Pending(name, type, shape, -1, data.tensor(shape));
    }

    private static InferRequest.Output output(JsonParser p) throws IOException, ServeException {
        expect(p.currentToken(), JsonToken.START_OBJECT, "each requested output must be an object");
        String name = null;
        Boolean binary = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            if (field.equals("name")) {
                if (t != JsonToken.VALUE_STRING) throw bad("an output's 'name' must be a string");
                name = p.getText();
            } else if (field.equals("parameters")) {
                Object b = parameters(p, "binary_data");
                if (b instanceof Boolean x) binary = x;
            } else {
                p.skipChildren();
            }
        }
        if (name == null) throw bad("a requested output has no 'name'");
        return new InferRequest.Output(name, binary);
    }

    /** Reads a parameters object; returns the value of {@code wanted} (Boolean, Long, String) or null. */
    private static Object parameters(JsonParser p, String wanted) throws IOException, ServeException {
        expect(p.currentToken(), JsonToken.START_OBJECT, "'parameters' must be an object");
        Object found = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            if (field.equals(wanted)) {
                found = switch (t) {
                    case VALUE_TRUE -> Boolean.TRUE;
                    case VALUE_FALSE -> Boolean.FALSE;
                    case VALUE_NUMBER_INT -> p.getLongValue();
                    case VALUE_STRING -> p.getText();
                    default -> {
                        p.skipChildren();
                        yield null;
                    }
                };
            } else {
                p.skipChildren();
            }
        }
        return found;
    }

    private static long[] shape(JsonParser p, String name) throws IOException, ServeException {
        String who = "input '" + (name == null ? "?" : name) + "'";
        expect(p.currentToken(), JsonToken.START_ARRAY, who + ": 'shape' must be an array of integers");
        long[] dims = new long[8];
        int n = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) throw bad(who + ": 'shape' must be an array of integers");
            if (n == MAX_RANK) throw bad(who + ": 'shape' has more than " + MAX_RANK + " dimensions");
            long d = p.getLongValue();
            if (d < 0) throw bad(who + ": negative dimension " + d + " in 'shape'");
            if (n == dims.length) dims = Arrays.copyOf(dims, n * 2);
            dims[n++] = d;
        }
        return Arrays.copyOf(dims, n);
    }

    private static long count(long[] shape, String name) throws ServeException {
        long n = 1;
        for (long d : shape) {
            if (d != 0 && n > Integer.MAX_VALUE / d) {
                throw bad("input '" + name + "': shape " + Arrays.toString(shape) + " has too many elements");
            }
            n *= d;
        }
        return n;
    }

    private static Tensor binary(Pending in, byte[] body, int offset) throws ServeException {
        long count = count(in.shape, in.name);
        if (in.datatype != KsDatatype.BYTES) {
            byte[] raw = Arrays.copyOfRange(body, offset, offset + (int) in.binarySize);
            return new Tensor(in.name, in.datatype.onnx(), in.shape, raw, List.of(), null, "");
        }
        ByteBuffer b = ByteBuffer.wrap(body, offset, (int) in.binarySize).order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> strings = new ArrayList<>();
        while (b.hasRemaining()) {
            if (b.remaining() < 4) throw bad("input '" + in.name + "': truncated BYTES length prefix");
            int len = b.getInt();
            if (len < 0 || len > b.remaining()) throw bad("input '" + in.name + "': BYTES element length " + len
                    + " runs past its binary data");
            byte[] s = new byte[len];
            b.get(s);
            strings.add(s);
            if (strings.size() > count) break;
        }
        if (strings.size() != count) {
            throw bad("input '" + in.name + "': shape " + Arrays.toString(in.shape) + " needs " + count + " BYTES elements, "
                    + "the binary data has " + strings.size());
        }
        return new Tensor(in.name, DataType.STRING, in.shape, new byte[0], strings, null, "");
    }

    /** Values of a {@code data} array, flattened row-major into little-endian bytes as they are read. */
    private static final class Values {
        final KsDatatype type;
        final String name;
        ByteBuffer buf;
        final List<byte[]> strings = new ArrayList<>();
        long count;

        Values(KsDatatype type, String name) {
            this.type = type;
            this.name = name == null ? "?" : name;
            this.buf = ByteBuffer.allocate(type == KsDatatype.BYTES ? 0 : 64 * Math.max(1, type.elementBytes()))
                    .order(ByteOrder.LITTLE_ENDIAN);
        }

        void read(JsonParser p, int depth) throws IOException, ServeException {
            JsonToken t = p.currentToken();
            if (t != JsonToken.START_ARRAY) {
                value(p, t);
                return;
            }
            if (depth > MAX_RANK) throw bad("input '" + name + "': 'data' nested deeper than " + MAX_RANK);
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t == JsonToken.START_ARRAY) read(p, depth + 1);
                else value(p, t);
            }
        }

        private void room(int bytes) {
            if (buf.remaining() < bytes) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.capacity() + bytes))
                        .order(ByteOrder.LITTLE_ENDIAN);
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }

        private void value(JsonParser p, JsonToken t) throws IOException, ServeException {
            count++;
            try {
                switch (type) {
                    case BOOL -> {
                        room(1);
                        buf.put((byte) (switch (t) {
                            case VALUE_TRUE -> 1;
                            case VALUE_FALSE -> 0;
                            case VALUE_NUMBER_INT -> p.getLongValue() != 0 ? 1 : 0;
                            default -> throw wrong(p, "true or false");
                        }));
                    }
                    case BYTES -> {
                        if (t != JsonToken.VALUE_STRING) throw wrong(p, "strings");
                        strings.add(p.getText().getBytes(StandardCharsets.UTF_8));
                    }
                    case FP32, FP64, FP16, BF16 -> {
                        if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) throw wrong(p, "numbers");
                        if (type == KsDatatype.FP32) {
                            // parsed as a float directly: no double rounding
                            room(4);
                            buf.putFloat(p.getFloatValue());
                            return;
                        }
                        double v = p.getDoubleValue();
                        switch (type) {
                            case FP64 -> {
                                room(8);
                                buf.putDouble(v);
                            }
                            case FP16 -> {
                                room(2);
                                buf.putShort(TensorEncoder.toHalf((float) v));
                            }
                            default -> {
                                room(2);
                                buf.putShort((short) (Float.floatToRawIntBits((float) v) >>> 16));
                            }
                        }
                    }
                    default -> integer(p, t);
                }
            } catch (com.fasterxml.jackson.core.exc.InputCoercionException e) {
                throw bad("input '" + name + "': value " + p.getText() + " does not fit " + type);
            }
        }

        private void integer(JsonParser p, JsonToken t) throws IOException, ServeException {
            if (t != JsonToken.VALUE_NUMBER_INT) throw wrong(p, "integers");
            long v = type == KsDatatype.UINT64 ? p.getBigIntegerValue().longValue() : p.getLongValue();
            boolean fits = switch (type) {
                case UINT8 -> v >= 0 && v <= 0xFF;
                case INT8 -> v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE;
                case UINT16 -> v >= 0 && v <= 0xFFFF;
                case INT16 -> v >= Short.MIN_VALUE && v <= Short.MAX_VALUE;
                case UINT32 -> v >= 0 && v <= 0xFFFF_FFFFL;
                case INT32 -> v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
                case UINT64 -> p.getBigIntegerValue().signum() >= 0 && p.getBigIntegerValue().bitLength() <= 64;
                default -> true;
            };
            if (!fits) throw bad("input '" + name + "': value " + p.getText() + " does not fit " + type);
            int size = type.elementBytes();
            room(size);
            switch (size) {
                case 1 -> buf.put((byte) v);
                case 2 -> buf.putShort((short) v);
                case 4 -> buf.putInt((int) v);
                default -> buf.putLong(v);
            }
        }

        private ServeException wrong(JsonParser p, String what) throws IOException {
            return bad("input '" + name + "': " + type + " data must be " + what + ", got " + p.getText());
        }

        Tensor tensor(long[] shape) {
            if (type == KsDatatype.BYTES) {
                return new Tensor(name, DataType.STRING, shape, new byte[0], strings, null, "");
            }
            return new Tensor(name, type.onnx(), shape, Arrays.copyOf(buf.array(), buf.position()), List.of(), null, "");
        }
    }

    private static void expect(JsonToken t, JsonToken wanted, String message) throws ServeException {
        if (t != wanted) throw bad(message);
    }

    static ServeException bad(String message) {
        return new ServeException(ServeException.Status.BAD_REQUEST, message);
    }
}
