package org.polaris.workbench.engine.telemetry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.testutil.FakeSysfs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Telemetry read from fake sysfs and /proc trees: every conversion, every missing or broken file. */
class TelemetryTest {

    @TempDir
    Path tmp;

    @Test
    void readsAnRx580OnOldAndNewKernelsAndIgnoresOtherCardsAndConnectors() throws Exception {
        FakeSysfs fs = new FakeSysfs(tmp);
        fs.rx580(0, false);
        fs.intel(1);
        fs.rx580(2, true);
        AmdSysfs amd = new AmdSysfs(tmp);
        List<AmdSysfs.Card> cards = amd.cards();
        assertThat(cards).extracting(AmdSysfs.Card::id).containsExactly("card0", "card2");
        assertThat(cards.get(0).model()).contains("RX 470/480/570/580");
        for (AmdSysfs.Card c : cards) {
            double[] v = amd.read(c);
            assertThat(v[Metric.BUSY_PCT.ordinal()]).isEqualTo(37);
            assertThat(v[Metric.MEM_BUSY_PCT.ordinal()]).isEqualTo(12);
            assertThat(v[Metric.VRAM_TOTAL_MB.ordinal()]).isEqualTo(8192);
            assertThat(v[Metric.VRAM_USED_MB.ordinal()]).isEqualTo(1536);
            assertThat(v[Metric.GTT_USED_MB.ordinal()]).isEqualTo(64);
            assertThat(v[Metric.TEMP_C.ordinal()]).isEqualTo(64.0);
            assertThat(v[Metric.POWER_W.ordinal()]).isCloseTo(121.5, within(1e-9)); // power1_average or power1_input
            assertThat(v[Metric.FAN_RPM.ordinal()]).isEqualTo(1650);
            assertThat(v[Metric.SCLK_MHZ.ordinal()]).isEqualTo(1300);
            assertThat(v[Metric.MCLK_MHZ.ordinal()]).isEqualTo(2000);
            assertThat(v[Metric.VOLTAGE_MV.ordinal()]).isEqualTo(1150);
            assertThat(v[Metric.SCLK_LEVEL.ordinal()]).isEqualTo(6);
            assertThat(v[Metric.MCLK_LEVEL.ordinal()]).isEqualTo(2);
        }
    }

    @Test
    void missingUnreadableAndMalformedFilesAreNotAvailableNeverErrors() throws Exception {
        FakeSysfs fs = new FakeSysfs(tmp);
        Path d = fs.rx580(0, false);
        Files.delete(d.resolve("hwmon/hwmon3/temp1_input"));
        Files.writeString(d.resolve("gpu_busy_percent"), "busy\n");
        Files.delete(d.resolve("mem_busy_percent"));
        Files.createDirectory(d.resolve("mem_busy_percent")); // a directory where a file should be: unreadable
        Files.writeString(d.resolve("pp_dpm_sclk"), "0: 300Mhz\n1: 600Mhz\n"); // no active level marked
        double[] v = new AmdSysfs(tmp).read(new AmdSysfs(tmp).cards().get(0));
        assertThat(v[Metric.TEMP_C.ordinal()]).isNaN();
        assertThat(v[Metric.BUSY_PCT.ordinal()]).isNaN();
        assertThat(v[Metric.MEM_BUSY_PCT.ordinal()]).isNaN();
        assertThat(v[Metric.SCLK_LEVEL.ordinal()]).isNaN();
        assertThat(v[Metric.POWER_W.ordinal()]).isCloseTo(121.5, within(1e-9));
        // no drm folder at all: no cards, no error
        assertThat(new AmdSysfs(tmp.resolve("nowhere")).cards()).isEmpty();
    }

    @Test
    void hostCpuComesFromStatDeltasAndMemoryFromVmRss() throws Exception {
        FakeSysfs fs = new FakeSysfs(tmp);
        fs.proc(1000, 9000, 204800);
        HostMetrics h = new HostMetrics(tmp);
        assertThat(h.read()[Metric.CPU_PCT.ordinal()]).isNaN(); // no delta yet
        fs.proc(1300, 9700, 204800);
        double[] v = h.read();
        assertThat(v[Metric.CPU_PCT.ordinal()]).isCloseTo(30.0, within(1e-9)); // 300 busy of 1000 jiffies
        assertThat(v[Metric.PROCESS_RSS_MB.ordinal()]).isEqualTo(200.0);
    }

    @Test
    void samplerMemoryStaysFlatOverALongFastClockRun() throws Exception {
        FakeSysfs fs = new FakeSysfs(tmp);
        fs.rx580(0, true);
        fs.proc(1, 1, 1024);
        AtomicLong clock = new AtomicLong(1_700_000_000_000L);
        try (TelemetrySampler s = new TelemetrySampler(tmp, 600, false, () -> clock.addAndGet(100))) {
            for (int i = 0; i < 2000; i++) s.sampleOnce();
            System.gc();
            Runtime rt = Runtime.getRuntime();
            long before = rt.totalMemory() - rt.freeMemory();
            // 20,000 more samples at 10 Hz: over half an hour of telemetry through a 60-second ring
            for (int i = 0; i < 20_000; i++) s.sampleOnce();
            System.gc();
            long after = rt.totalMemory() - rt.freeMemory();
            assertThat(s.ringOf("card0").size()).isEqualTo(600);
            assertThat(s.ringOf("card0").capacity()).isEqualTo(600);
            assertThat(after - before).isLessThan(16L << 20);
            List<Sample> snap = s.ringOf("card0").snapshot("card0");
            assertThat(snap).hasSize(600);
            // oldest first, 100 ms apart, ending at the latest tick
            assertThat(snap.get(599).epochMillis() - snap.get(0).epochMillis()).isEqualTo(599 * 100L);
            assertThat(snap.get(599).get(Metric.BUSY_PCT)).isEqualTo(37);
            assertThat(s.devices()).containsKeys(TelemetrySampler.HOST, "card0");
            s.mark("inference started");
            assertThat(s.markers()).extracting(TelemetrySampler.Marker::label).containsExactly("inference started");
        }
    }

    @Test
    void samplerRunsOnItsOwnThreadAndStops() throws Exception {
        FakeSysfs fs = new FakeSysfs(tmp);
        fs.rx580(0, false);
        fs.proc(1, 1, 1024);
        try (TelemetrySampler s = new TelemetrySampler(tmp, 100, false, System::currentTimeMillis)) {
            s.start(10);
            long end = System.currentTimeMillis() + 5000;
            while ((s.ringOf("card0") == null || s.ringOf("card0").size() < 5) && System.currentTimeMillis() < end) {
                Thread.sleep(10);
            }
            assertThat(s.running()).isTrue();
            s.stop();
            assertThat(s.running()).isFalse();
            assertThat(s.ringOf("card0").size()).isGreaterThanOrEqualTo(5);
        }
        String row = TelemetrySampler.csvRow(new Sample(0, "card0", new AmdSysfs(tmp).read(new AmdSysfs(tmp).cards().get(0))));
        assertThat(row).startsWith("1970-01-01T00:00:00Z,card0,37,12,1536,8192,");
        assertThat(TelemetrySampler.csvHeader().split(",")).hasSize(2 + Metric.values().length);
    }

    @Test
    void stopWaitsForTheSampleInFlight() throws Exception {
        FakeSysfs fs = new FakeSysfs(tmp);
        fs.rx580(0, false);
        fs.proc(1, 1, 1024);
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
        // the clock is read first in every sample: the first sample blocks there until released
        java.util.function.LongSupplier clock = () -> {
            if (first.getAndSet(false)) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return 1000;
        };
        try (TelemetrySampler s = new TelemetrySampler(tmp, 100, false, clock)) {
            s.start(10);
            assertThat(entered.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            Thread stopper = new Thread(s::stop, "stopper");
            stopper.start();
            // stop() must be parked waiting for the sample, not returned
            while (stopper.getState() != Thread.State.BLOCKED && stopper.getState() != Thread.State.TERMINATED) {
                Thread.onSpinWait();
            }
            assertThat(stopper.getState()).isEqualTo(Thread.State.BLOCKED);
            assertThat(s.ringOf("card0")).isNull();
            release.countDown();
            stopper.join(10_000);
            assertThat(stopper.isAlive()).isFalse();
            // the sample in flight was written before stop() returned, and nothing after it
            assertThat(s.ringOf("card0").size()).isEqualTo(1);
            assertThat(s.running()).isFalse();
        }
    }

    @Test
    void nvidiaSmiLinesParseWithNotAvailableFields() {
        NvidiaSmi.Gpu g = NvidiaSmi.parse("0, NVIDIA H200, 45, 12, 1024, 143771, 38, [N/A], 1980, 3201");
        assertThat(g.id()).isEqualTo("nvidia0");
        assertThat(g.name()).isEqualTo("NVIDIA H200");
        assertThat(g.values()[Metric.BUSY_PCT.ordinal()]).isEqualTo(45);
        assertThat(g.values()[Metric.POWER_W.ordinal()]).isNaN();
        assertThat(NvidiaSmi.parse("garbage")).isNull();
    }
}
