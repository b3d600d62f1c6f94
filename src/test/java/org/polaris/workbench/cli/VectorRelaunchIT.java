package org.polaris.workbench.cli;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fast path does not depend on how the app is started: a JVM started without the Vector API module (as
 * {@code java -jar target/polaris-workbench.jar} is) relaunches itself with it, and the CLI says which kernels the
 * engine uses.
 */
class VectorRelaunchIT {

    private static String launch(String... jvmOptions) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"),
                "org.polaris.workbench.ui.app.Launcher", "run", TestData.FASHION_CNN.toString(), "--runtime", "engine"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void aJvmWithoutTheVectorModuleRelaunchesWithIt() throws Exception {
        assertThat(launch()).contains("engine: vector kernels (jdk.incubator.vector)");
    }

    @Test
    void scalarKernelsOnlyWhenAskedFor() throws Exception {
        assertThat(launch("-Dpolaris.scalar=true")).contains("engine: scalar kernels (-Dpolaris.scalar=true)");
    }
}
