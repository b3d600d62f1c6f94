package org.polaris.workbench.reliability;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import org.polaris.workbench.testutil.Protos;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.CRC32;

/**
 * Writes hostile inputs at test time, from a fixed seed: each is a few bytes that claim much more, point outside
 * where they may, or break what a reader trusts. Nothing here is checked in.
 */
final class HostileFiles {

    private final Random random = new Random(20261206L);
    private final Path dir;

    HostileFiles(Path dir) {
        this.dir = dir;
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    /** {@code y = Identity(W)} where W is the given initializer: the smallest model that loads one tensor. */
    private static OnnxMl.ModelProto identityOf(OnnxMl.TensorProto w, long... outDims) {
        OnnxMl.GraphProto g = OnnxMl.GraphProto.newBuilder().setName("g")
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Identity").addInput(w.getName()).addOutput("y"))
                .addInitializer(w).addOutput(Protos.tensorValue("y", 1, outDims)).build();
        return Protos.model(g, 13);
    }

    /** A 2 GiB float tensor declared, no data present (under 100 bytes). */
    Path declaredWithoutData() throws IOException {
        OnnxMl.TensorProto w = OnnxMl.TensorProto.newBuilder().setName("W").setDataType(1).addDims(536_870_912L).build();
        return write("declared-2GiB.onnx", identityOf(w, 536_870_912L).toByteArray());
    }

    /** Element count that overflows a long. */
    Path overflowingDims() throws IOException {
        OnnxMl.TensorProto w = OnnxMl.TensorProto.newBuilder().setName("W").setDataType(1)
                .addDims(1L << 40).addDims(1L << 40).build();
        return write("overflow-dims.onnx", identityOf(w, 1).toByteArray());
    }

    /** A sparse initializer of one value that densifies to 1.6 GB. */
    Path sparseBomb() throws IOException {
        OnnxMl.SparseTensorProto st = OnnxMl.SparseTensorProto.newBuilder().addDims(20_000).addDims(20_000)
                .setValues(Protos.floats("S", new long[] {1}, 1f))
                .setIndices(OnnxMl.TensorProto.newBuilder().setName("S_i").setDataType(7).addDims(1)
                        .setRawData(ByteString.copyFrom(new byte[8])))
                .build();
        OnnxMl.GraphProto g = OnnxMl.GraphProto.newBuilder().setName("g")
                .addNode(OnnxMl.NodeProto.newBuilder().setOpType("Identity").addInput("S").addOutput("y"))
                .addSparseInitializer(st).addOutput(Protos.tensorValue("y", 1, 20_000, 20_000)).build();
        return write("sparse-bomb.onnx", Protos.model(g, 13).toByteArray());
    }

    /** A float tensor of {@code n} elements stored in the external file {@code location}. */
    Path externalData(String name, String location, long n) throws IOException {
        OnnxMl.TensorProto w = OnnxMl.TensorProto.newBuilder().setName("W").setDataType(1).addDims(n)
                .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(OnnxMl.StringStringEntryProto.newBuilder().setKey("location").setValue(location))
                .build();
        return write(name, identityOf(w, n).toByteArray());
    }

    /** The first {@code keep} bytes of {@code model}. */
    Path truncated(Path model, int keep) throws IOException {
        byte[] b = Files.readAllBytes(model);
        return write("truncated.onnx", java.util.Arrays.copyOf(b, Math.min(keep, b.length)));
    }

    Path garbage(String name, int n) throws IOException {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return write(name, b);
    }

    /** Subgraphs nested {@code depth} deep through If branches. */
    Path deepSubgraphs(int depth) throws IOException {
        OnnxMl.GraphProto leaf = OnnxMl.GraphProto.newBuilder().setName("leaf")
                .addOutput(Protos.tensorValue("c", 1, 1)).build();
        OnnxMl.GraphProto inner = leaf;
        for (int i = 0; i < depth; i++) {
            OnnxMl.NodeProto ifNode = OnnxMl.NodeProto.newBuilder().setOpType("If").addInput("cond").addOutput("o" + i)
                    .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("then_branch")
                            .setType(OnnxMl.AttributeProto.AttributeType.GRAPH).setG(inner))
                    .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("else_branch")
                            .setType(OnnxMl.AttributeProto.AttributeType.GRAPH).setG(leaf)).build();
            inner = OnnxMl.GraphProto.newBuilder().setName("g" + i).addNode(ifNode)
                    .addOutput(Protos.tensorValue("o" + i, 1, 1)).build();
        }
        return write("deep-subgraphs.onnx", Protos.model(inner, 13).toByteArray());
    }

    /** A chain of {@code n} Relu nodes (34 bytes a node on disk). */
    Path manyNodes(int n) throws IOException {
        return write("nodes-" + n + ".onnx", Protos.reluChain(n).toByteArray());
    }

    /** A real-sized model: {@code layers} float32 Gemm layers of {@code width}^2 random weights (a fixed seed). */
    Path wideMlp(String name, int width, int layers) throws IOException {
        return write(name, Protos.wideMlp(width, layers, random.nextLong()).toByteArray());
    }

    /** A valid model with terminal escape sequences in its metadata and graph name. */
    Path withControlCharacters(Path model, String fileName) throws IOException {
        OnnxMl.ModelProto m = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(model)).toBuilder()
                .addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder().setKey("title\u001b]0;pwned\u0007")
                        .setValue("\u001b[2J\u001b[Hcleared\r\u202eevil"))
                .setProducerName("\u001b[31mred").build();
        return write(fileName, m.toByteArray());
    }

    /** {@code model} with its first float initializer's first value set to NaN. */
    Path withNaNWeight(Path model) throws IOException {
        OnnxMl.ModelProto m = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(model));
        OnnxMl.GraphProto.Builder g = m.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            OnnxMl.TensorProto t = g.getInitializer(i);
            if (t.getDataType() == 1 && t.hasRawData() && t.getRawData().size() >= 4) {
                byte[] raw = t.getRawData().toByteArray();
                ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, Float.NaN);
                g.setInitializer(i, t.toBuilder().setRawData(ByteString.copyFrom(raw)));
                break;
            }
        }
        return write("nan-weights.onnx", m.toBuilder().setGraph(g).build().toByteArray());
    }

    /** An IDX images header that claims {@code count} 28x28 images and holds none. */
    Path lyingIdx(int count) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16).putInt(0x803).putInt(count).putInt(28).putInt(28);
        return write("lying-images-idx3-ubyte", b.array());
    }

    /** A gzip file cut in the middle. */
    Path truncatedGzip(Path gz) throws IOException {
        byte[] b = Files.readAllBytes(gz);
        return write("cut-images-idx3-ubyte.gz", java.util.Arrays.copyOf(b, b.length / 3));
    }

    /** A PNG whose header declares {@code w} x {@code h} pixels (no pixel data follows). */
    Path pngHeader(Path folder, String name, int w, int h) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IEND", new byte[0]);
        Files.createDirectories(folder);
        return Files.write(folder.resolve(name), out.toByteArray());
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.write(ByteBuffer.allocate(4).putInt(data.length).array());
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /**
     * A copy of the TorchScript {@code pt} whose first stored tensor is cut to 4 bytes: libtorch reads past it
     * (the crash of the issue). {@code pickleBomb} instead replaces data.pkl with a string claiming 2 GB.
     */
    Path torchScript(Path pt, String name, boolean pickleBomb) throws IOException {
        boolean[] cut = {false};
        return org.polaris.workbench.testutil.Zips.rewrite(pt, dir.resolve(name), (entry, data) -> {
            if (!pickleBomb && !cut[0] && entry.matches(".*/data/[0-9]+")) {
                cut[0] = true;
                return java.util.Arrays.copyOf(data, 4);
            }
            if (pickleBomb && entry.endsWith("/data.pkl")) {
                return new byte[] {(byte) 0x80, 2, 'X', (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 'a'};
            }
            return data;
        });
    }

    static Path fifo(Path p) throws IOException, InterruptedException {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        if (mk.waitFor() != 0) {
            throw new IOException("mkfifo failed for " + p);
        }
        return p;
    }
}
