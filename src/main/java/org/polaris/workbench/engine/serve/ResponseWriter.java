package org.polaris.workbench.engine.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Encodes an inference response: outputs as JSON {@code data}, or as binary data after a JSON header. */
final class ResponseWriter {

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();

    /** The encoded body and, when any output is binary, the JSON header's length. */
    record Encoded(byte[] body, int headerLength) {
        boolean binary() {
            return headerLength >= 0;
        }
    }

    private ResponseWriter() {
    }

    static Encoded infer(ServedModel model, InferRequest r, Map<String, Tensor> outputs) throws IOException {
        List<String> names = new ArrayList<>();
        List<Boolean> binary = new ArrayList<>();
        if (r.outputs().isEmpty()) {
            for (ServedModel.Signature s : model.outputs()) {
                names.add(s.name());
                binary.add(r.binaryOutput());
            }
        } else {
            for (InferRequest.Output o : r.outputs()) {
                names.add(o.name());
                binary.add(o.binary() == null ? r.binaryOutput() : o.binary());
            }
        }
        ByteArrayOutputStream header = new ByteArrayOutputStream(256);
        List<byte[]> blobs = new ArrayList<>();
        try (JsonGenerator g = JSON.createGenerator(header)) {
            g.writeStartObject();
            g.writeStringField("model_name", model.name());
            g.writeStringField("model_version", model.version());
            if (r.id() != null) g.writeStringField("id", r.id());
            g.writeArrayFieldStart("outputs");
            for (int i = 0; i < names.size(); i++) {
                Tensor t = outputs.get(names.get(i));
                KsDatatype d = KsDatatype.of(t.dataType());
                g.writeStartObject();
                g.writeStringField("name", names.get(i));
                g.writeStringField("datatype", d.name());
                g.writeArrayFieldStart("shape");
                for (long x : t.dims()) g.writeNumber(x);
                g.writeEndArray();
                if (binary.get(i)) {
                    byte[] b = binary(t);
                    blobs.add(b);
                    g.writeObjectFieldStart("parameters");
                    g.writeNumberField("binary_data_size", b.length);
                    g.writeEndObject();
                } else {
                    g.writeFieldName("data");
                    data(g, t, d);
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        if (blobs.isEmpty()) return new Encoded(header.toByteArray(), -1);
        int headerLength = header.size();
        for (byte[] b : blobs) header.write(b);
        return new Encoded(header.toByteArray(), headerLength);
    }

    private static byte[] binary(Tensor t) {
        if (t.dataType() != DataType.STRING) return t.raw();
        int n = 0;
        for (byte[] s : t.strings()) n += 4 + s.length;
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        for (byte[] s : t.strings()) {
            b.putInt(s.length);
            b.put(s);
        }
        return b.array();
    }

    private static void data(JsonGenerator g, Tensor t, KsDatatype d) throws IOException {
        g.writeStartArray();
        if (d == KsDatatype.BYTES) {
            for (byte[] s : t.strings()) g.writeString(new String(s, StandardCharsets.UTF_8));
            g.writeEndArray();
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(t.raw()).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            switch (d) {
                case BOOL -> g.writeBoolean(b.get() != 0);
                case UINT8 -> g.writeNumber(b.get() & 0xFF);
                case INT8 -> g.writeNumber(b.get());
                case UINT16 -> g.writeNumber(b.getShort() & 0xFFFF);
                case INT16 -> g.writeNumber(b.getShort());
                case UINT32 -> g.writeNumber(b.getInt() & 0xFFFF_FFFFL);
                case INT32 -> g.writeNumber(b.getInt());
                case UINT64 -> g.writeNumber(Long.toUnsignedString(b.getLong()));
                case INT64 -> g.writeNumber(b.getLong());
                case FP16 -> g.writeNumber(Tensor.halfToFloat(b.getShort()));
                case BF16 -> g.writeNumber(Float.intBitsToFloat((b.getShort() & 0xFFFF) << 16));
                case FP32 -> g.writeNumber(b.getFloat());
                case FP64 -> g.writeNumber(b.getDouble());
                default -> throw new IllegalStateException(d.name());
            }
        }
        g.writeEndArray();
    }

    /** {@code {"error": "..."}} */
    static byte[] error(String message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + message.length());
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("error", message);
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }
}
