package org.polaris.workbench.ui.snn;

import org.polaris.workbench.engine.snn.AnnToSnn;
import org.polaris.workbench.engine.snn.LiveSimulation;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The SNN pane's statistics and conversion cards as label/value rows. */
final class SnnCards {

    private SnnCards() {
    }

    static List<String[]> stats(LiveSimulation sim) {
        LiveSimulation.Stats s = sim.stats();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"Simulated", String.format(Locale.ROOT, "%d steps (%.1f s at 1 ms), neuron updates on %s", s.steps(),
                s.steps() / 1000.0, sim.onDevice() ? "OpenCL" : "the CPU")});
        rows.add(new String[] {"Spikes", String.format(Locale.ROOT, "%,d; event sparsity %.2f%%", s.spikes(), 100 * s.eventSparsity())});
        rows.add(new String[] {"Synaptic events", String.format(Locale.ROOT, "%,d", s.synops())});
        List<String> names = sim.populationNames();
        StringBuilder rates = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            rates.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s %.1f Hz", names.get(i), s.ratesHz()[i]));
        }
        rows.add(new String[] {"Mean rates", rates.toString()});
        if (sim.template() == LiveSimulation.Template.CONVERTED) {
            int[] pr = sim.prediction();
            rows.add(new String[] {"Output", "class " + pr[0] + (pr[1] >= 0 ? " (label " + pr[1] + (pr[0] == pr[1] ? ", correct)" : ")") : "")});
        }
        if (sim.template() == LiveSimulation.Template.STDP) {
            float[] w = sim.weights();
            double a = 0;
            double b = 0;
            for (int i = 0; i < w.length; i++) {
                if (i < 20) a += w[i];
                else b += w[i];
            }
            rows.add(new String[] {"STDP", String.format(Locale.ROOT, "pattern inputs (0-19) %.2f, noise inputs %.2f mean weight",
                    a / 20, b / (w.length - 20))});
        }
        return rows;
    }

    static List<String[]> conversion(AnnToSnn.Curve r) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ANN accuracy", String.format(Locale.ROOT, "%.2f%% on %d images", 100 * r.annAccuracy(), r.samples())});
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < r.steps().length; i++) {
            b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%d: %.2f%%", r.steps()[i], 100 * r.accuracy()[i]));
        }
        rows.add(new String[] {"SNN by steps", b.toString()});
        rows.add(new String[] {"Work per image", String.format(Locale.ROOT, "%,.0f synaptic events vs %,d ANN MACs",
                r.synopsPerSample(), r.annMacsPerSample())});
        rows.add(new String[] {"Energy estimate", String.format(Locale.ROOT, "%.0f nJ vs %.0f nJ (%.1f pJ/event, %.1f pJ/MAC)",
                r.snnEnergyNj(), r.annEnergyNj(), AnnToSnn.PJ_PER_SYNOP, AnnToSnn.PJ_PER_MAC)});
        return rows;
    }
}
