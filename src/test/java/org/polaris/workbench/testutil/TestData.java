package org.polaris.workbench.testutil;

import ai.onnx.proto.OnnxMl;
import org.junit.jupiter.api.Assumptions;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Where the real models and data used by tests live. */
public final class TestData {

    public static final Path SAMPLES = Path.of(System.getProperty("polaris.samples.dir", "samples"));
    public static final Path MNIST8 = SAMPLES.resolve("zoo/mnist-8/mnist-8.onnx");
    public static final Path MOBILENET = SAMPLES.resolve("zoo/mobilenet_v1_0.25_224/mobilenet_v1_0.25_224.onnx");
    public static final Path FASHION_MLP = SAMPLES.resolve("fashion-mnist/fashion_mlp.onnx");
    public static final Path FASHION_CNN = SAMPLES.resolve("fashion-mnist/fashion_cnn.onnx");
    public static final Path CONFORMANCE = Path.of("/usr/share/libonnx-testdata/data");

    private TestData() {
    }

    /** Sample ONNX models shipped in the repository. */
    public static List<Path> sampleModels() {
        return List.of(MNIST8, MOBILENET, FASHION_MLP, FASHION_CNN);
    }

    /**
     * Model folders of one conformance set. Skips the test when the Debian package is absent locally; under CI
     * (which installs it) absence is a failure.
     */
    public static List<Path> conformanceModels(String set) throws IOException {
        Path dir = CONFORMANCE.resolve(set);
        if (!Files.isDirectory(dir)) {
            if (System.getenv("CI") != null) {
                throw new IllegalStateException(dir + " is missing: .ci/run must install libonnx-testdata");
            }
            Assumptions.abort(dir + " is missing: apt-get install libonnx-testdata");
        }
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.sorted().forEach(d -> {
                if (Files.isRegularFile(d.resolve("model.onnx"))) {
                    out.add(d.resolve("model.onnx"));
                }
            });
        }
        return out;
    }

    /** Reads an {@code input_N.pb} / {@code output_N.pb} test vector into the IR's tensor type. */
    public static OnnxMl.TensorProto readTensorProto(Path pb) throws IOException {
        return OnnxMl.TensorProto.parseFrom(Files.readAllBytes(pb));
    }

    public static Tensor floatTensor(String name, long[] dims, float[] values) {
        return Tensor.ofFloats(name, dims, values);
    }

    public static Tensor zeros(String name, DataType type, long[] dims) {
        long n = Tensor.elementCount(dims);
        return new Tensor(name, type, dims, new byte[(int) type.storageBytes(n)], List.of(), null, "");
    }
}
