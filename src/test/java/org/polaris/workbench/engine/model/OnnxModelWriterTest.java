package org.polaris.workbench.engine.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OnnxModelWriterTest {

    @TempDir
    Path tmp;

    private final OnnxModelReader reader = new OnnxModelReader();
    private final OnnxModelWriter writer = new OnnxModelWriter();

    @Test
    void neverReplacesAnExistingFileUnasked() throws Exception {
        OnnxModel m = reader.read(TestData.MNIST8);
        Path target = Files.writeString(tmp.resolve("user-model.onnx"), "precious");
        assertThatThrownBy(() -> writer.write(m, target, false))
                .isInstanceOf(org.polaris.workbench.engine.io.OutputException.class).hasMessageContaining("exists");
        assertThat(Files.readString(target)).isEqualTo("precious");
        assertThat(listing()).containsExactly("user-model.onnx");
        writer.write(m, target, true);
        assertThat(reader.read(target).graph().nodes()).hasSize(12);
        assertThat(listing()).containsExactly("user-model.onnx");
    }

    @Test
    void keepsMetadataOpsetsAndSymbolicDims() throws Exception {
        OnnxModel m = reader.read(TestData.MOBILENET);
        Path out = tmp.resolve("copy.onnx");
        writer.write(m, out, false);
        OnnxModel back = reader.read(out);
        assertThat(back.metadata()).isEqualTo(m.metadata());
        assertThat(back.opsets()).isEqualTo(m.opsets());
        assertThat(back.graph().inputs().get(0).type().description()).isEqualTo("float32[N,3,224,224]");
        assertThat(back.graph().initializers()).hasSameSizeAs(m.graph().initializers());
        for (int i = 0; i < m.graph().initializers().size(); i++) {
            assertThat(back.graph().initializers().get(i).raw()).isEqualTo(m.graph().initializers().get(i).raw());
        }
    }

    @Test
    void failedWriteLeavesNoTemporaryFile() throws Exception {
        OnnxModel m = reader.read(TestData.MNIST8);
        Path dirAsTarget = Files.createDirectory(tmp.resolve("taken"));
        Files.writeString(dirAsTarget.resolve("child"), "x");
        assertThatThrownBy(() -> writer.write(m, dirAsTarget, true)).isInstanceOf(java.io.IOException.class);
        assertThat(listing()).containsExactly("taken");
    }

    private List<String> listing() throws Exception {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
