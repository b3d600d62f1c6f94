package org.polaris.workbench.ui.search;

import org.polaris.workbench.engine.search.CompressionSearch;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The Search pane's texts: a candidate's card. */
final class SearchCard {

    private SearchCard() {
    }

    static List<String[]> rows(CompressionSearch.CandidateResult c, CompressionSearch.Report r) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"Candidate", c.id() + (r != null && c.id().equals(r.chosen()) ? " (chosen, written)" : "")});
        rows.add(new String[] {"Settings", c.settings()});
        rows.add(new String[] {"Status", c.status().name().toLowerCase(Locale.ROOT) + (c.reason() == null ? "" : ": " + c.reason())});
        if (c.status() == CompressionSearch.Status.EVALUATED) {
            rows.add(new String[] {"Accuracy", c.accuracy() == null ? "n/a (no labels)" : String.format(Locale.ROOT, "%.2f%%%s",
                    100 * c.accuracy(), r == null || r.originalAccuracy() == null ? "" : String.format(Locale.ROOT,
                            " (original %.2f%%)", 100 * r.originalAccuracy()))});
            rows.add(new String[] {"Agreement", String.format(Locale.ROOT, "%.2f%% top-1 with the original", 100 * c.agreement())});
            rows.add(new String[] {"Latency", String.format(Locale.ROOT, "%.3f ms vs %.3f ms: %.2fx (quartiles %.2f-%.2fx; "
                    + "batch 1, interleaved, on %s)", c.latencyMs(), c.originalLatencyMs(), c.speedup(), c.speedupLow(),
                    c.speedupHigh(), r == null ? "this machine" : r.device())});
            rows.add(new String[] {"Size", String.format(Locale.ROOT, "%.1f KiB, %.0f%% of the original", c.bytes() / 1024.0,
                    100 * c.sizeRatio())});
            rows.add(new String[] {"Within tolerance", c.withinTolerance() ? "yes" : "no"});
            rows.add(new String[] {"On the frontier", c.onFrontier() ? "yes" : "no"});
        }
        return rows;
    }
}
