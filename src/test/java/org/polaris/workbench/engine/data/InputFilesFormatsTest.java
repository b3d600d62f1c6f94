package org.polaris.workbench.engine.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.TensorEncoder;
import org.polaris.workbench.engine.onnx.OrtSessions;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** .npy/.npz, .wav and image inputs, read as users' files are: exact values, bounded lengths, clear errors. */
class InputFilesFormatsTest {

    private static final Path CNN = Path.of("samples/fashion-mnist/fashion_cnn.onnx");
    private static final Path IDX = Path.of("samples/fashion-mnist/t10k-2000-images-idx3-ubyte.gz");

    @TempDir
    Path tmp;

    @Test
    void npzRoundTripKeepsEveryTypeShapeAndValue() throws Exception {
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        arrays.put("image", TensorEncoder.encode("image", DataType.FLOAT, new long[] {1, 2, 3}, new double[] {1, -2, 3.5, 0, 9, -7}));
        arrays.put("sr", TensorEncoder.encode("sr", DataType.INT64, new long[0], new double[] {16000}));
        arrays.put("mask", TensorEncoder.encode("mask", DataType.BOOL, new long[] {3}, new double[] {1, 0, 1}));
        arrays.put("half", TensorEncoder.encode("half", DataType.FLOAT16, new long[] {2}, new double[] {0.5, -1}));
        Path f = tmp.resolve("s.npz");
        try (OutputStream out = Files.newOutputStream(f)) {
            NumpyFiles.writeNpz(arrays, out);
        }
        Map<String, Tensor> back = NumpyFiles.readNpz(f);
        assertThat(back.keySet()).containsExactly("image", "sr", "mask", "half");
        for (String k : arrays.keySet()) {
            assertThat(back.get(k).dataType()).isEqualTo(arrays.get(k).dataType());
            assertThat(back.get(k).dims()).isEqualTo(arrays.get(k).dims());
            assertThat(back.get(k).raw()).isEqualTo(arrays.get(k).raw());
        }
    }

    @Test
    void hostileNpyHeadersFailWithTheFileName() throws Exception {
        Path huge = tmp.resolve("huge.npy");
        Files.write(huge, npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100), }", new byte[8]));
        assertThatThrownBy(() -> NumpyFiles.readNpy(huge)).isInstanceOf(DataException.class)
                .hasMessageStartingWith(huge + ": array of").hasMessageContaining("over the limit");
        Path shortData = tmp.resolve("short.npy");
        Files.write(shortData, npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", new byte[8]));
        assertThatThrownBy(() -> NumpyFiles.readNpy(shortData)).hasMessage(shortData + ": holds 8 data bytes, its header says 16");
        Path fortran = tmp.resolve("f.npy");
        Files.write(fortran, npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", new byte[4]));
        assertThatThrownBy(() -> NumpyFiles.readNpy(fortran)).hasMessageContaining("Fortran-order");
        Path objects = tmp.resolve("o.npy");
        Files.write(objects, npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new byte[8]));
        assertThatThrownBy(() -> NumpyFiles.readNpy(objects)).hasMessage(objects + ": arrays of dtype |O are not supported");
        Path notNpy = tmp.resolve("x.npy");
        Files.writeString(notNpy, "hello");
        assertThatThrownBy(() -> NumpyFiles.readNpy(notNpy)).hasMessage(notNpy + ": not a .npy array (no \\x93NUMPY header)");
    }

    private static byte[] npy(String dict, byte[] data) {
        byte[] h = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length).put(h).put(data);
        return b.array();
    }

    @Test
    void stereoPcmIsMixedDownAndTheSampleRateIsChecked() throws Exception {
        Path wav = tmp.resolve("a.wav");
        short[] lr = {16384, 0, -32768, -32768, 32767, 32767};
        Files.write(wav, wav16(lr, 2, 8000));
        WavFiles.Audio a = WavFiles.read(wav);
        assertThat(a.sampleRate()).isEqualTo(8000);
        assertThat(a.samples()).containsExactly(0.25f, -1f, 32767 / 32768f);
        var input = List.of(new org.polaris.workbench.engine.model.ValueInfo("input",
                org.polaris.workbench.engine.model.ValueType.tensor(DataType.FLOAT,
                        List.of(org.polaris.workbench.engine.model.Dim.symbolic("batch"),
                                org.polaris.workbench.engine.model.Dim.symbolic("n"))), ""));
        InputPlan p = InputPlan.resolve(input, new InputPlan.Request(List.of(),
                List.of(new InputSource.Binding(null, new InputSource.File(wav))), Preprocessing.unitScale(), 0), Set.of());
        assertThat(p.feeds(1).get("input").dims()).containsExactly(1, 3);
        assertThatThrownBy(() -> InputPlan.resolve(input, new InputPlan.Request(List.of(),
                List.of(new InputSource.Binding(null, new InputSource.File(wav))), Preprocessing.unitScale(), 16000),
                Set.of())).hasMessage(wav + ": sampled at 8000 Hz, not the 16000 Hz given with --sample-rate");
        Path junk = tmp.resolve("junk.wav");
        Files.writeString(junk, "RIFF....WAVEfmt ");
        assertThatThrownBy(() -> WavFiles.read(junk)).hasMessageStartingWith(junk + ": ");
    }

    static byte[] wav16(short[] interleaved, int channels, int rate) {
        ByteBuffer b = ByteBuffer.allocate(44 + 2 * interleaved.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + 2 * interleaved.length).put("WAVE".getBytes());
        b.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) channels).putInt(rate)
                .putInt(rate * channels * 2).putShort((short) (channels * 2)).putShort((short) 16);
        b.put("data".getBytes()).putInt(2 * interleaved.length);
        for (short s : interleaved) {
            b.putShort(s);
        }
        return b.array();
    }

    /** A 28x28 grayscale PNG of IDX sample 3 feeds the Fashion CNN exactly as the IDX sample does. */
    @Test
    void aGrayscalePngOfTheInputSizeIsTheSameTensorAsItsIdxSample() throws Exception {
        Dataset idx = IdxDataset.open(IDX, Preprocessing.unitScale(), 4);
        float[] pixels = idx.batch(3, 1).toFloats();
        BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                int v = Math.round(pixels[y * 28 + x] * 255);
                img.getRaster().setSample(x, y, 0, v);
            }
        }
        Path png = tmp.resolve("shirt.png");
        ImageIO.write(img, "png", png.toFile());
        OnnxModel m = new OnnxModelReader().read(CNN);
        InputPlan p = InputPlan.resolve(m.graph().feedInputs(), new InputPlan.Request(List.of(),
                List.of(new InputSource.Binding(null, new InputSource.File(png))), Preprocessing.unitScale(), 0), Set.of());
        Tensor x = p.feeds(1).values().iterator().next();
        assertThat(x.dims()).containsExactly(1, 1, 28, 28);
        assertThat(x.toFloats()).containsExactly(pixels);
        byte[] model = Files.readAllBytes(CNN);
        var fromPng = OrtSessions.run(model, Map.of(x.name(), x)).values().iterator().next().toFloats();
        var fromIdx = OrtSessions.run(model, idx.feeds(3, 1, m.graph().feedInputs())).values().iterator().next().toFloats();
        assertThat(fromPng).containsExactly(fromIdx);
    }

    /** A colour image of any size becomes the input's channels, height and width, NCHW or NHWC. */
    @Test
    void imagesAreResizedAndConvertedToTheInputsGeometry() throws Exception {
        BufferedImage img = new BufferedImage(50, 30, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 50; x++) {
                img.setRGB(x, y, 0xff0000);
            }
        }
        Path png = tmp.resolve("red.png");
        ImageIO.write(img, "png", png.toFile());
        Tensor gray = ImageFolderDataset.ofFile(png, Preprocessing.unitScale(), ImageGeometry.of(new long[] {1, 1, 16, 24}, true, "NCHW")).batch(0, 1);
        assertThat(gray.dims()).containsExactly(1, 1, 16, 24);
        assertThat(gray.toFloats()[0]).isCloseTo(76 / 255f, org.assertj.core.data.Offset.offset(1e-6f));
        Tensor nhwc = ImageFolderDataset.ofFile(png, Preprocessing.unitScale(), ImageGeometry.of(new long[] {1, 8, 8, 3}, true, "NCHW")).batch(0, 1);
        assertThat(nhwc.dims()).containsExactly(1, 8, 8, 3);
        assertThat(java.util.Arrays.copyOf(nhwc.toFloats(), 3)).containsExactly(1f, 0f, 0f);
        assertThatThrownBy(() -> ImageGeometry.of(new long[] {1, 5, 8, 8}, true, "NCHW")).hasMessageContaining("1, 3 or 4 image channels");
        // one image without a batch dimension, as torchvision detectors take it: [C,H,W] and [H,W,C]
        Tensor chw = ImageFolderDataset.ofFile(png, Preprocessing.unitScale(), ImageGeometry.of(new long[] {3, 16, 24}, false, "NCHW")).batch(0, 1);
        assertThat(chw.dims()).containsExactly(3, 16, 24);
        float[] v = chw.toFloats();
        assertThat(new float[] {v[0], v[16 * 24], v[2 * 16 * 24]}).containsExactly(1f, 0f, 0f);
        Tensor hwc = ImageFolderDataset.ofFile(png, Preprocessing.unitScale(), ImageGeometry.of(new long[] {16, 24, 3}, false, "NCHW")).batch(0, 1);
        assertThat(hwc.dims()).containsExactly(16, 24, 3);
        assertThat(java.util.Arrays.copyOf(hwc.toFloats(), 3)).containsExactly(1f, 0f, 0f);
        // a dynamic first dimension is a batch of gray images
        assertThat(ImageGeometry.of(new long[] {3, 16, 24}, true, "NCHW").dims(2)).containsExactly(2, 16, 24);
        assertThatThrownBy(() -> ImageGeometry.of(new long[] {3, 16, 24}, false, "NCHW").dims(2))
                .hasMessageContaining("no batch dimension");
    }
}
