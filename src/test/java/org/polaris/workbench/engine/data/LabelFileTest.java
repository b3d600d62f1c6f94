package org.polaris.workbench.engine.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@code --labels}: labels from an IDX file or a text file, checked against the samples they label. */
class LabelFileTest {

    private static final Path IMAGES = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz");
    private static final Path LABELS = TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-labels-idx1-ubyte.gz");

    @TempDir
    Path tmp;

    private IdxDataset unlabelled(int n) throws Exception {
        Path images = Files.copy(IMAGES, tmp.resolve("pictures.gz"));
        return IdxDataset.open(images, Preprocessing.unitScale(), n);
    }

    @Test
    void idxAndTextLabelsGiveTheSameLabelsAsTheFileBesideTheImages() throws Exception {
        IdxDataset beside = IdxDataset.open(IMAGES, Preprocessing.unitScale(), 300);
        IdxDataset plain = unlabelled(300);
        assertThat(plain.hasLabels()).isFalse();
        InputData idx = LabelFile.attach(plain, LABELS);
        Path text = tmp.resolve("labels.txt");
        StringBuilder sb = new StringBuilder("# class per line\n");
        for (int i = 0; i < 300; i++) sb.append(beside.label(i)).append(i % 7 == 0 ? "\r\n" : "\n");
        Files.writeString(text, sb);
        InputData txt = LabelFile.attach(plain, text);
        int[] want = IntStream.range(0, 300).map(beside::label).toArray();
        assertThat(IntStream.range(0, 300).map(idx::label).toArray()).containsExactly(want);
        assertThat(IntStream.range(0, 300).map(txt::label).toArray()).containsExactly(want);
        assertThat(txt.files()).containsExactly(tmp.resolve("pictures.gz"), text);
        assertThat(txt.description()).endsWith(", labels from labels.txt");
    }

    @Test
    void tooFewWrongOrBinaryLabelsAreRefusedNamingTheFile() throws Exception {
        IdxDataset plain = unlabelled(300);
        Path few = Files.writeString(tmp.resolve("few.txt"), "1\n2\n3\n");
        assertThat(assertThrows(DataException.class, () -> LabelFile.attach(plain, few)).getMessage())
                .isEqualTo(few + ": holds 3 labels for 300 samples");
        Path bad = Files.writeString(tmp.resolve("bad.txt"), "1\n2\ncat\n");
        assertThat(assertThrows(DataException.class, () -> LabelFile.attach(plain, bad)).getMessage())
                .isEqualTo(bad + ": line 3 is not a class index 0..65535: 'cat'");
        Path negative = Files.writeString(tmp.resolve("neg.txt"), "-1\n");
        assertThat(assertThrows(DataException.class, () -> LabelFile.attach(plain, negative)).getMessage())
                .isEqualTo(negative + ": line 1 is not a class index 0..65535: '-1'");
        Path binary = Files.write(tmp.resolve("model.bin"), new byte[] {1, 2, 3, (byte) 0xff, (byte) 0xfe, 0, 9});
        assertThat(assertThrows(DataException.class, () -> LabelFile.attach(plain, binary)).getMessage())
                .isEqualTo(binary + ": not a text file of class indices, one per line, nor an IDX labels file");
        Path longLine = Files.writeString(tmp.resolve("long.txt"), "1".repeat(10_000));
        assertThat(assertThrows(DataException.class, () -> LabelFile.attach(plain, longLine)).getMessage())
                .isEqualTo(longLine + ": line 1 is longer than 64 characters; a label file holds one class index per line");
        assertThat(assertThrows(DataException.class, () -> LabelFile.attach(plain, tmp.resolve("none.txt"))).getMessage())
                .startsWith(tmp.resolve("none.txt") + ": ");
    }
}
