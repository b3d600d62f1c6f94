package org.polaris.workbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.CliRun;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SnnCommandTest {

    @TempDir
    Path tmp;

    @Test
    void runTemplateAndConvertedModelWithTheContractFields() throws Exception {
        Path raster = tmp.resolve("raster.csv");
        CliRun r = CliRun.of("snn", "run", "--neurons", "500", "--steps", "100", "--encoding", "poisson", "--raster",
                raster.toString(), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        for (String f : new String[] {"steps", "neurons", "spikes", "eventSparsity", "synops", "accuracy", "wallMs"}) {
            assertThat(j.has(f)).as(f).isTrue();
        }
        assertThat(j.get("accuracy").isNull()).isTrue();
        assertThat(j.get("spikes").asLong()).isPositive();
        assertThat(Files.readAllLines(raster)).hasSize(1 + j.get("spikes").asInt()).first().isEqualTo("step,population,neuron");

        CliRun c = CliRun.of("snn", "run", "--model", TestData.FASHION_MLP.toString(), "--convert", "--data",
                TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz").toString(), "--samples", "100",
                "--steps", "30", "--json");
        assertThat(c.code()).as(c.err()).isZero();
        JsonNode k = new ObjectMapper().readTree(c.out());
        assertThat(k.get("accuracy").asDouble()).isGreaterThan(0.7);
        assertThat(k.get("accuracyBySteps").has("30")).isTrue();
        assertThat(k.get("synops").asDouble()).isPositive();
        assertThat(k.get("neurons").asInt()).isEqualTo(784 + 128 + 64 + 10);

        // the same template on OpenCL gives the same spikes
        if (org.polaris.workbench.engine.opencl.OpenCl.discover().available()) {
            System.setProperty("polaris.cache.dir", tmp.resolve("cache").toString());
            try {
                CliRun cpu = CliRun.of("snn", "run", "--neurons", "300", "--steps", "60", "--json");
                CliRun gpu = CliRun.of("snn", "run", "--neurons", "300", "--steps", "60", "--device", "gpu", "--json");
                assertThat(gpu.code()).as(gpu.err()).isZero();
                assertThat(new ObjectMapper().readTree(gpu.out()).get("spikes").asLong())
                        .isEqualTo(new ObjectMapper().readTree(cpu.out()).get("spikes").asLong());
            } finally {
                System.clearProperty("polaris.cache.dir");
            }
        }
        assertThat(CliRun.of("snn", "run", "--convert").code()).isEqualTo(2);
        assertThat(CliRun.of("snn", "run", "--encoding", "morse").code()).isEqualTo(2);
        assertThat(CliRun.of("snn", "run", "--model", TestData.FASHION_CNN.toString(), "--convert", "--data",
                TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz").toString()).code()).isEqualTo(2);
    }

    @Test
    void benchReportsEventsPerSecondAtTheMeasuredRate() throws Exception {
        CliRun r = CliRun.of("snn", "bench", "--neurons", "20000", "--fanout", "50", "--rate", "10", "--steps", "300", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("measuredHz").asDouble()).isBetween(5.0, 20.0);
        assertThat(j.get("synapticEvents").asLong()).isEqualTo(j.get("spikes").asLong() * 50);
        assertThat(j.get("eventsPerSecond").asDouble()).isPositive();
        assertThat(CliRun.of("snn", "bench", "--rate", "0").code()).isEqualTo(2);
    }
}
