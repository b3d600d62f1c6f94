package org.polaris.workbench.engine.torch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The TorchScript archive check that runs before libtorch sees a file (no libtorch needed here). */
class TorchArchiveTest {

    @TempDir
    Path tmp;

    private Path rewrite(Path pt, String name, java.util.function.BiFunction<String, byte[], byte[]> edit)
            throws Exception {
        return org.polaris.workbench.testutil.Zips.rewrite(pt, tmp.resolve(name), edit);
    }

    @Test
    void theSampleArchivesPass() {
        for (String f : new String[] {"fashion_mlp.pt", "fashion_cnn.pt"}) {
            assertThatCode(() -> TorchArchive.check(TestData.SAMPLES.resolve("fashion-mnist/" + f))).doesNotThrowAnyException();
        }
    }

    @Test
    void aStorageShorterThanItsDeclaredElementsIsRefused() throws Exception {
        Path cut = rewrite(TestData.SAMPLES.resolve("fashion-mnist/fashion_mlp.pt"), "cut.pt",
                (n, d) -> n.endsWith("/data/0") ? java.util.Arrays.copyOf(d, 4) : d);
        assertThatThrownBy(() -> TorchArchive.check(cut)).isInstanceOf(ModelLoadException.class)
                .hasMessage(cut + ": storage '0' holds 4 bytes but declares 100352 FloatStorage elements (401408 bytes): "
                        + "truncated or corrupt");
    }

    @Test
    void aMissingStorageAHostilePickleAndANonArchiveAreRefused() throws Exception {
        Path pt = TestData.SAMPLES.resolve("fashion-mnist/fashion_mlp.pt");
        Path missing = rewrite(pt, "missing.pt", (n, d) -> n.endsWith("/data/3") ? null : d);
        assertThatThrownBy(() -> TorchArchive.check(missing)).hasMessageContaining("storage '3' named in data.pkl is missing");
        Path bomb = rewrite(pt, "bomb.pt", (n, d) -> n.endsWith("/data.pkl")
                ? new byte[] {(byte) 0x80, 2, 'X', (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f} : d);
        assertThatThrownBy(() -> TorchArchive.check(bomb)).hasMessageContaining("corrupt pickle");
        Path opcode = rewrite(pt, "opcode.pt", (n, d) -> n.endsWith("/data.pkl") ? new byte[] {(byte) 0x80, 2, 'i', 'x'} : d);
        assertThatThrownBy(() -> TorchArchive.check(opcode)).hasMessageContaining("unsupported pickle opcode 0x69");
        Path text = Files.writeString(tmp.resolve("text.pt"), "not a zip");
        assertThatThrownBy(() -> TorchArchive.check(text)).hasMessageContaining("not a TorchScript archive");
        assertThatThrownBy(() -> TorchArchive.check(tmp)).hasMessageContaining("not a regular file");
    }

    @Test
    void aViewReachingPastItsStorageIsRefused() throws Exception {
        // the first tensor's size (128, 784) becomes (129, 784): one row past the 100,352-element storage
        Path pt = TestData.SAMPLES.resolve("fashion-mnist/fashion_mlp.pt");
        Path wide = rewrite(pt, "wide.pt", (n, d) -> {
            if (!n.endsWith("/data.pkl")) {
                return d;
            }
            byte[] b = d.clone();
            for (int i = 0; i + 4 < b.length; i++) {
                // BININT1 128, BININT2 784: the first weight's size tuple
                if (b[i] == 'K' && (b[i + 1] & 0xff) == 128 && b[i + 2] == 'M' && b[i + 3] == 0x10 && b[i + 4] == 0x03) {
                    b[i + 1] = (byte) 129;
                    break;
                }
            }
            return b;
        });
        assertThat(Files.readAllBytes(wide)).isNotEqualTo(Files.readAllBytes(pt));
        assertThatThrownBy(() -> TorchArchive.check(wide)).hasMessageContaining("a tensor reads 101136 elements of storage '0'");
    }
}
