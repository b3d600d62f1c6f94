package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.opencl.OpenCl;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.FakeSysfs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class GpuCommandTest {

    @TempDir
    Path tmp;

    @Test
    void listNamesEveryDeviceWithItsRealTypeOrSaysWhyThereIsNone() throws Exception {
        CliRun r = CliRun.of("gpu", "list", "--json");
        assertThat(r.code()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        OpenCl.Discovery d = OpenCl.discover();
        assertThat(j.get("devices")).hasSize(d.devices().size());
        if (!d.available()) {
            assertThat(j.get("problem").asText()).isNotBlank();
            assertThat(CliRun.of("gpu", "list").out()).startsWith("No OpenCL device:");
            return;
        }
        for (JsonNode dev : j.get("devices")) {
            assertThat(dev.get("type").asText()).isIn("cpu", "gpu", "accelerator", "other");
            assertThat(dev.get("computeUnits").asInt()).isPositive();
            assertThat(dev.get("globalMemBytes").asLong()).isPositive();
            assertThat(dev.has("openclVersion") && dev.has("fp16") && dev.has("int8Dot")).isTrue();
            if (dev.get("platform").asText().contains("Portable Computing Language")) {
                assertThat(dev.get("type").asText()).isEqualTo("cpu"); // PoCL is the CPU, never a "GPU"
            }
        }
    }

    @Test
    void withoutAnOpenClPlatformTheCommandsSaySoInsteadOfFailing() throws Exception {
        // a fresh JVM whose ICD loader finds no vendor: what a machine without an OpenCL driver sees
        Path empty = Files.createDirectory(tmp.resolve("no-vendors"));
        Path javaExe = Path.of(System.getProperty("java.home"), "bin", "java");
        Path args = Files.writeString(tmp.resolve("cp.args"), "-cp \"" + System.getProperty("java.class.path")
                .replace("\\", "\\\\") + "\"");
        for (String[] cmd : new String[][] {{"gpu", "list"}, {"gpu", "bench"}, {"gpu", "check"}}) {
            ProcessBuilder pb = new ProcessBuilder(javaExe.toString(), "@" + args, "org.polaris.workbench.ui.app.Launcher", cmd[0], cmd[1])
                    .redirectErrorStream(true);
            pb.environment().put("OCL_ICD_VENDORS", empty.toString());
            pb.environment().put("OCL_ICD_FILENAMES", "");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(out).as(String.join(" ", cmd)).contains("No OpenCL device:");
            assertThat(p.exitValue()).as(out).isEqualTo(cmd[1].equals("list") ? 0 : 6);
        }
    }

    @Test
    void monitorWritesCsvRowsFromAFakeSysfsTree() throws Exception {
        FakeSysfs fs = new FakeSysfs(tmp.resolve("root"));
        fs.rx580(0, true);
        fs.intel(1);
        fs.proc(100, 900, 4096);
        CliRun r = CliRun.of("gpu", "monitor", "--interval", "20", "--duration", "0.1", "--sysfs-root", fs.root().toString());
        assertThat(r.code()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).startsWith("timestamp,device,busy_pct,mem_busy_pct,vram_used_mb");
        assertThat(lines.stream().filter(l -> l.contains(",card0,"))).hasSize(5).allSatisfy(l ->
                assertThat(l).contains(",card0,37,12,1536,8192,64,12288,64,121.500,1650,1300,2000,1150,6,2,"));
        assertThat(lines.stream().filter(l -> l.contains(",host,"))).hasSize(5);
        assertThat(lines.stream().filter(l -> l.contains(",card1,"))).isEmpty();

        Path out = tmp.resolve("telemetry.csv");
        assertThat(CliRun.of("gpu", "monitor", "--interval", "10", "--duration", "0.03", "--sysfs-root",
                fs.root().toString(), "--csv", out.toString()).code()).isZero();
        assertThat(Files.readAllLines(out)).hasSize(1 + 2 * 3);
        assertThat(CliRun.of("gpu", "monitor", "--interval", "5").code()).isEqualTo(2);
        assertThat(CliRun.of("gpu", "monitor", "--sysfs-root", tmp.resolve("missing").toString()).code()).isEqualTo(2);
    }

    @Test
    void theEngineRunsAModelOnOpenClFromTheCommandLine() throws Exception {
        assertThat(CliRun.of("run", org.polaris.workbench.testutil.TestData.FASHION_CNN.toString(), "--runtime", "engine",
                "--device", "tpu").code()).isEqualTo(2);
        Assumptions.assumeTrue(OpenCl.discover().available(), () -> "skipped: no OpenCL device (" + OpenCl.discover().problem() + ")");
        System.setProperty("polaris.cache.dir", tmp.toString());
        try {
            String data = org.polaris.workbench.testutil.TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz").toString();
            CliRun cpu = CliRun.of("run", org.polaris.workbench.testutil.TestData.FASHION_CNN.toString(), "--runtime", "engine",
                    "--device", "cpu", "--data", data, "--index", "5");
            CliRun gpu = CliRun.of("run", org.polaris.workbench.testutil.TestData.FASHION_CNN.toString(), "--runtime", "engine",
                    "--device", "gpu", "--data", data, "--index", "5");
            assertThat(gpu.code()).as(gpu.err()).isZero();
            // the same label and top-5 lines (class and score to four decimals) whichever device ran it; the raw
            // "first values" line prints four significant digits, where float sums on two devices may differ by one
            java.util.function.Function<String, List<String>> shown = out -> out.lines().skip(1)
                    .filter(l -> !l.trim().startsWith("first values:")).toList();
            assertThat(shown.apply(gpu.out())).isEqualTo(shown.apply(cpu.out()));
            assertThat(gpu.out()).contains("first values:");
            assertThat(System.getProperty("polaris.device")).isNull(); // the option does not leak into later runs
        } finally {
            System.clearProperty("polaris.cache.dir");
        }
    }

    @Test
    void benchMeasuresTunedSgemmAgainstNaive() throws Exception {
        Assumptions.assumeTrue(OpenCl.discover().available(), () -> "skipped: no OpenCL device (" + OpenCl.discover().problem() + ")");
        System.setProperty("polaris.cache.dir", tmp.toString());
        try {
            CliRun r = CliRun.of("gpu", "bench", "--device", "0", "--size", "96", "--json");
            assertThat(r.code()).as(r.err()).isZero();
            JsonNode res = new ObjectMapper().readTree(r.out()).get("results").get(0);
            assertThat(res.get("naiveGflops").asDouble()).isPositive();
            assertThat(res.get("tunedGflops").asDouble()).isPositive();
            assertThat(res.get("copyBandwidthGBs").asDouble()).isPositive();
            assertThat(CliRun.of("gpu", "bench", "--device", "99").code()).isEqualTo(2);
        } finally {
            System.clearProperty("polaris.cache.dir");
        }
    }
}
