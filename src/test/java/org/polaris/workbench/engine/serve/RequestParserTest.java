package org.polaris.workbench.engine.serve;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Decoding inference requests: every datatype, nested and flat data, binary data, and hostile bodies. */
class RequestParserTest {

    private static InferRequest parse(String json) throws ServeException {
        return RequestParser.parse(json.getBytes(StandardCharsets.UTF_8), -1);
    }

    private static String error(String json) {
        ServeException e = assertThrows(ServeException.class, () -> parse(json));
        assertThat(e.status()).isEqualTo(ServeException.Status.BAD_REQUEST);
        return e.getMessage();
    }

    private static String input(String datatype, String shape, String data) {
        return "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"" + datatype + "\",\"shape\":" + shape + ",\"data\":" + data + "}]}";
    }

    @Test
    void nestedAndFlatDataGiveTheSameRowMajorTensor() throws Exception {
        Tensor flat = parse(input("FP32", "[2,3]", "[1,2,3,4,5,6.5]")).inputs().get(0).tensor();
        Tensor nested = parse(input("FP32", "[2,3]", "[[1,2,3],[4,5,6.5]]")).inputs().get(0).tensor();
        assertThat(flat.toFloats()).containsExactly(1, 2, 3, 4, 5, 6.5f);
        assertThat(nested.raw()).isEqualTo(flat.raw());
        assertThat(flat.dims()).containsExactly(2, 3);
        // the shortest decimal of a float reads back as that float, not as a rounded double
        float f = 0.1f + 0.2f;
        assertThat(parse(input("FP32", "[1]", "[" + f + "]")).inputs().get(0).tensor().toFloats()).containsExactly(f);
    }

    @Test
    void everyDatatypeDecodesToItsOnnxType() throws Exception {
        assertThat(parse(input("BOOL", "[3]", "[true,false,1]")).inputs().get(0).tensor().raw()).containsExactly(1, 0, 1);
        assertThat(parse(input("UINT8", "[2]", "[0,255]")).inputs().get(0).tensor().raw()).containsExactly(0, -1);
        Tensor i64 = parse(input("INT64", "[1]", "[-9223372036854775808]")).inputs().get(0).tensor();
        assertThat(ByteBuffer.wrap(i64.raw()).order(ByteOrder.LITTLE_ENDIAN).getLong()).isEqualTo(Long.MIN_VALUE);
        Tensor u64 = parse(input("UINT64", "[1]", "[18446744073709551615]")).inputs().get(0).tensor();
        assertThat(ByteBuffer.wrap(u64.raw()).order(ByteOrder.LITTLE_ENDIAN).getLong()).isEqualTo(-1L);
        Tensor h = parse(input("FP16", "[2]", "[1.5,-2]")).inputs().get(0).tensor();
        assertThat(h.dataType()).isEqualTo(DataType.FLOAT16);
        ByteBuffer hb = ByteBuffer.wrap(h.raw()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(List.of(Tensor.halfToFloat(hb.getShort()), Tensor.halfToFloat(hb.getShort()))).containsExactly(1.5f, -2f);
        Tensor s = parse(input("BYTES", "[2]", "[\"ab\",\"\"]")).inputs().get(0).tensor();
        assertThat(s.strings()).extracting(b -> new String(b, StandardCharsets.UTF_8)).containsExactly("ab", "");
    }

    @Test
    void valuesThatDoNotFitOrMismatchAreNamed() {
        assertThat(error(input("INT8", "[1]", "[128]"))).isEqualTo("input 'x': value 128 does not fit INT8");
        assertThat(error(input("UINT8", "[1]", "[-1]"))).isEqualTo("input 'x': value -1 does not fit UINT8");
        assertThat(error(input("INT32", "[1]", "[1.5]"))).isEqualTo("input 'x': INT32 data must be integers, got 1.5");
        assertThat(error(input("FP32", "[1]", "[\"1\"]"))).isEqualTo("input 'x': FP32 data must be numbers, got 1");
        assertThat(error(input("FP32", "[2]", "[1,2,3]"))).isEqualTo("input 'x': shape [2] needs 2 values, 'data' has 3");
        assertThat(error(input("FLOAT", "[1]", "[1]"))).startsWith("input 'x': 'datatype' must come before 'data' and be one of [BOOL, UINT8");
        assertThat(error(input("FP32", "[-1]", "[1]"))).isEqualTo("input 'x': negative dimension -1 in 'shape'");
        assertThat(error(input("FP32", "[65536,65536,65536]", "[1]"))).isEqualTo("input 'x': shape [65536, 65536, 65536] has too many elements");
        assertThat(error("{\"inputs\":[]}")).isEqualTo("the request has no inputs");
        assertThat(error("[1,2]")).isEqualTo("the request must be a JSON object");
        assertThat(error("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"data\":[1]}]}")).startsWith("input 'x': 'datatype' must come before 'data'");
    }

    @Test
    void hostileNestingIsBoundedNotAStackOverflow() {
        String deep = "[".repeat(5000) + "1" + "]".repeat(5000);
        assertThat(error(input("FP32", "[1]", deep))).isEqualTo("input 'x': 'data' nested deeper than 64");
        // nesting elsewhere in the document stops at the parser's own limit
        assertThat(error("{\"x\":" + deep + "}")).isEqualTo("malformed JSON: over the server's limits (Document nesting depth (81) exceeds the maximum allowed)");
    }

    @Test
    void binaryDataFollowsTheHeaderInInputOrder() throws Exception {
        String header = "{\"inputs\":[{\"name\":\"a\",\"datatype\":\"FP32\",\"shape\":[2],\"parameters\":{\"binary_data_size\":8}},"
                + "{\"name\":\"b\",\"datatype\":\"BYTES\",\"shape\":[2],\"parameters\":{\"binary_data_size\":13}}],"
                + "\"outputs\":[{\"name\":\"y\",\"parameters\":{\"binary_data\":true}}],\"id\":\"7\"}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(h.length + 8 + 13).order(ByteOrder.LITTLE_ENDIAN);
        b.put(h).putFloat(1.25f).putFloat(-3f).putInt(3).put("abc".getBytes(StandardCharsets.UTF_8)).putInt(2).put("de".getBytes(StandardCharsets.UTF_8));
        InferRequest r = RequestParser.parse(b.array(), h.length);
        assertThat(r.id()).isEqualTo("7");
        assertThat(r.inputs().get(0).tensor().toFloats()).containsExactly(1.25f, -3f);
        assertThat(r.inputs().get(1).tensor().strings()).extracting(x -> new String(x, StandardCharsets.UTF_8)).containsExactly("abc", "de");
        assertThat(r.outputs()).containsExactly(new InferRequest.Output("y", true));

        ServeException short1 = assertThrows(ServeException.class, () -> RequestParser.parse(java.util.Arrays.copyOf(b.array(), h.length + 10), h.length));
        assertThat(short1.getMessage()).isEqualTo("input 'b': binary_data_size 13 runs past the end of the body");
        byte[] extra = java.util.Arrays.copyOf(b.array(), b.capacity() + 3);
        assertThat(assertThrows(ServeException.class, () -> RequestParser.parse(extra, h.length)).getMessage())
                .isEqualTo("3 bytes after the last input's binary data");
        assertThat(assertThrows(ServeException.class, () -> RequestParser.parse(b.array(), b.capacity() + 1)).getMessage())
                .isEqualTo("Inference-Header-Content-Length " + (b.capacity() + 1) + " exceeds the body's " + b.capacity() + " bytes");
        String wrongSize = "{\"inputs\":[{\"name\":\"a\",\"datatype\":\"FP32\",\"shape\":[2],\"parameters\":{\"binary_data_size\":7}}]}";
        assertThat(assertThrows(ServeException.class, () -> RequestParser.parse(wrongSize.getBytes(StandardCharsets.UTF_8), wrongSize.length())).getMessage())
                .isEqualTo("input 'a': binary_data_size 7 but shape [2] of FP32 needs 8 bytes");
    }

    @Test
    void requestBatchIsTheFirstInputsFirstDimension() throws Exception {
        assertThat(parse(input("FP32", "[3,1]", "[1,2,3]")).batch()).isEqualTo(3);
        assertThat(parse(input("FP32", "[]", "[5]")).batch()).isEqualTo(1);
        assertThat(List.of(parse(input("FP32", "[]", "[5]")).inputs().get(0).tensor().toFloats()[0])).containsExactly(5f);
    }
}
