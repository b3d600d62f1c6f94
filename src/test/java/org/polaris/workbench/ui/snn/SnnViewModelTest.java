package org.polaris.workbench.ui.snn;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.snn.LiveSimulation;

import static org.assertj.core.api.Assertions.assertThat;

/** The SNN pane's logic on the real simulator, without the FX toolkit. */
class SnnViewModelTest {

    private final org.polaris.workbench.testutil.ScriptedDialogs dialogs = new org.polaris.workbench.testutil.ScriptedDialogs();
    private final org.polaris.workbench.ui.common.Workspace workspace = new org.polaris.workbench.ui.common.Workspace();
    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path tmp;

    private final SnnViewModel vm = new SnnViewModel(new org.polaris.workbench.ui.common.InlineTaskRunner(), dialogs, workspace);

    @AfterEach
    void tearDown() {
        vm.close();
    }

    private static double hiddenRate(LiveSimulation s) {
        return s.stats().ratesHz()[1];
    }

    @Test
    void stepsRecordSpikesAndLiveParametersTakeEffect() {
        vm.advanceNow(300);
        LiveSimulation s = vm.simulation();
        assertThat(s.stats().steps()).isEqualTo(300);
        assertThat(s.stats().spikes()).isPositive();
        assertThat(s.spikesSince(0)).isNotEmpty().allSatisfy(x -> assertThat(x.row()).isBetween(0, s.rows() - 1));
        assertThat(s.trace(0)[0]).hasSize(300);
        assertThat(s.rateHistory(1)[0]).hasSize(300 / LiveSimulation.RATE_WINDOW);
        assertThat(vm.statsCard()).extracting(r -> r[0]).contains("Simulated", "Spikes", "Synaptic events", "Mean rates");
        assertThat(hiddenRate(s)).isPositive();
        java.nio.file.Path csv = tmp.resolve("snn.csv");
        dialogs.saveAnswers.add(csv);
        vm.exportCsv();
        try {
            java.util.List<String> lines = java.nio.file.Files.readAllLines(csv);
            assertThat(lines.get(0)).isEqualTo("kind,step,neuron,value");
            assertThat(lines.stream().filter(l -> l.startsWith("spike,"))).hasSize(s.spikesSince(0).size());
            assertThat(lines.stream().filter(l -> l.startsWith("v,"))).hasSize(3 * 300);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        vm.tracedNeuronProperty().set(42);
        assertThat(s.tracedNeurons()).containsExactly(42, 43, 44);
        assertThat(s.trace(0)[0]).isEmpty(); // a new trace starts
        // a threshold far out of reach silences the hidden layer from the next step on
        long before = s.spikesSince(0).stream().filter(x -> x.row() >= 100 && x.row() < 600).count();
        vm.thresholdProperty().set(20);
        vm.advanceNow(300);
        long after = s.spikesSince(0).stream().filter(x -> x.row() >= 100 && x.row() < 600 && x.step() >= 310).count();
        assertThat(before).isPositive();
        assertThat(after).isZero();
    }

    @Test
    void neuronUpdatesMoveToOpenClAndBackWithTheSameSpikes() {
        org.junit.jupiter.api.Assumptions.assumeTrue(org.polaris.workbench.engine.opencl.OpenCl.discover().available(),
                "skipped: no OpenCL device");
        System.setProperty("polaris.cache.dir", tmp.resolve("cache").toString());
        try {
            SnnViewModel cpu = new SnnViewModel(new org.polaris.workbench.ui.common.InlineTaskRunner(), dialogs, workspace);
            cpu.advanceNow(200);
            vm.openClProperty().set(true);
            vm.advanceNow(200);
            assertThat(vm.simulation().onDevice()).isTrue();
            assertThat(vm.statsCard().get(0)[1]).contains("OpenCL");
            // same seeds, same network: the device gives the CPU's spikes
            assertThat(vm.simulation().stats().spikes()).isEqualTo(cpu.simulation().stats().spikes());
            vm.openClProperty().set(false);
            vm.advanceNow(1);
            assertThat(vm.simulation().onDevice()).isFalse();
            cpu.close();
        } finally {
            System.clearProperty("polaris.cache.dir");
        }
    }

    @Test
    void runPauseHideAndResetControlTheWorker() throws Exception {
        vm.run();
        assertThat(vm.advancing()).isTrue();
        long end = System.currentTimeMillis() + 5000;
        while (vm.simulation().stats().steps() < 50 && System.currentTimeMillis() < end) Thread.sleep(10);
        assertThat(vm.simulation().stats().steps()).isGreaterThanOrEqualTo(50);
        vm.setVisible(false);
        assertThat(vm.advancing()).isFalse();
        vm.setVisible(true);
        assertThat(vm.advancing()).isTrue();
        vm.pausedProperty().set(true);
        assertThat(vm.advancing()).isFalse();
        Thread.sleep(60);
        int steps = vm.simulation().stats().steps();
        vm.step();
        assertThat(vm.simulation().stats().steps()).isEqualTo(steps + 1);
        vm.reset();
        assertThat(vm.runningProperty().get()).isFalse();
        assertThat(vm.simulation().stats().steps()).isZero();
    }

    @Test
    void aConvertedModelIsWatchedImageByImageAndEvaluated() {
        vm.templateProperty().set(LiveSimulation.Template.CONVERTED);
        assertThat(vm.errorProperty().get()).contains("Open a ReLU MLP");
        workspace.add(org.polaris.workbench.testutil.TestData.FASHION_MLP);
        dialogs.dataAnswers.add(org.polaris.workbench.testutil.TestData.SAMPLES.resolve("fashion-mnist/t10k-2000-images-idx3-ubyte.gz"));
        vm.chooseData();
        assertThat(vm.errorProperty().get()).isEmpty();
        LiveSimulation s = vm.simulation();
        assertThat(s.template()).isEqualTo(LiveSimulation.Template.CONVERTED);
        assertThat(s.rows()).isEqualTo(784 + 128 + 64 + 10);
        vm.advanceNow(50);
        assertThat(s.stats().spikes()).isPositive();
        assertThat(vm.statsCard()).anyMatch(r -> r[0].equals("Output") && r[1].contains("label"));
        vm.encodingProperty().set("poisson");
        vm.sampleIndexProperty().set(1);
        assertThat(s.stats().steps()).isZero(); // a new image starts from rest
        vm.evaluateConversion();
        assertThat(vm.conversionCard()).extracting(r -> r[0]).contains("ANN accuracy", "SNN by steps", "Work per image", "Energy estimate");
    }

    @Test
    void stdpTemplateLearnsThePatternWhileYouWatch() {
        vm.templateProperty().set(LiveSimulation.Template.STDP);
        assertThat(vm.thresholdProperty().get()).isEqualTo(8);
        assertThat(vm.simulation().weights()).hasSize(100).containsOnly(0.5f);
        vm.advanceNow(20_000);
        float[] w = vm.simulation().weights();
        double pattern = 0;
        double noise = 0;
        for (int i = 0; i < 100; i++) {
            if (i < 20) pattern += w[i] / 20;
            else noise += w[i] / 80;
        }
        assertThat(pattern).isGreaterThan(noise + 0.4);
        assertThat(vm.statsCard()).anyMatch(r -> r[0].equals("STDP") && r[1].contains("pattern inputs"));
        // learning off: the weights stay where they are
        vm.stdpRateProperty().set(0);
        float[] frozen = vm.simulation().weights();
        vm.advanceNow(2_000);
        assertThat(vm.simulation().weights()).containsExactly(frozen);
    }
}
