package org.polaris.workbench.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.TestData;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code serve}'s refusals: one line naming the problem and the documented exit code, no socket left open. */
class ServeCommandTest {

    @TempDir
    Path tmp;

    @Test
    void nothingToServeIsAUsageError() {
        CliRun r = CliRun.of("serve");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: nothing to serve: give MODEL.onnx files, --model NAME=PATH or --model-repository DIR");
    }

    @Test
    void aNonLoopbackAddressWithoutAKeyIsRefused() {
        CliRun r = CliRun.of("serve", TestData.FASHION_CNN.toString(), "--host", "0.0.0.0", "--port", "0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: binding 0.0.0.0 exposes the server beyond this machine: give "
                + "--api-key-file F (clients send Authorization: Bearer KEY), or bind 127.0.0.1");
    }

    @Test
    void aWeakOrMultiLineKeyFileIsRefused() throws Exception {
        Path shortKey = Files.writeString(tmp.resolve("short"), "abc\n");
        CliRun r = CliRun.of("serve", TestData.FASHION_CNN.toString(), "--api-key-file", shortKey.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: " + shortKey + ": the key is shorter than 16 characters");
        Path two = Files.writeString(tmp.resolve("two"), "0123456789abcdef\nsecond-line-key-x\n");
        r = CliRun.of("serve", TestData.FASHION_CNN.toString(), "--api-key-file", two.toString());
        assertThat(r.err().strip()).isEqualTo("error: " + two + ": the key file must hold one key of printable characters on one line");
    }

    @Test
    void aBrokenOrMissingModelIsExit3NamingTheFile() throws Exception {
        Path broken = Files.writeString(tmp.resolve("broken.onnx"), "not a model");
        CliRun r = CliRun.of("serve", broken.toString(), "--port", "0");
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.err().lines().count()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: ").contains("broken.onnx");
        r = CliRun.of("serve", tmp.resolve("missing.onnx").toString(), "--port", "0");
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.err().strip()).isEqualTo("error: " + tmp.resolve("missing.onnx") + ": not a regular file");
    }

    @Test
    void duplicateNamesUnknownPinsAndABusyPortAreUsageErrors() throws Exception {
        Path copy = Files.createDirectories(tmp.resolve("other"));
        Path cnn2 = Files.copy(TestData.FASHION_CNN, copy.resolve("fashion_cnn.onnx"));
        CliRun r = CliRun.of("serve", TestData.FASHION_CNN.toString(), cnn2.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: two models are named 'fashion_cnn': use --model NAME=PATH for one of them");
        r = CliRun.of("serve", TestData.FASHION_CNN.toString(), "--pin", "nope", "--port", "0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("error: --pin nope: no such model (models: [fashion_cnn])");
        try (ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            r = CliRun.of("serve", TestData.FASHION_CNN.toString(), "--port", Integer.toString(busy.getLocalPort()));
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).startsWith("error: cannot listen on 127.0.0.1:" + busy.getLocalPort() + ": ");
        }
        r = CliRun.of("serve", TestData.FASHION_CNN.toString(), "--max-queue-delay-ms", "-1");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().lines().findFirst()).contains("error: --max-queue-delay-ms must be 0..1,000, not -1.0");
    }
}
