package org.polaris.workbench.ui.inference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.polaris.workbench.engine.inference.BenchResult;
import org.polaris.workbench.engine.util.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The benchmark table as JSON (the CLI's format) or CSV, written atomically. */
final class BenchExport {

    private BenchExport() {
    }

    static void write(Path file, List<BenchResult> results, boolean csv, Path model) throws IOException {
        byte[] bytes;
        if (csv) {
            StringBuilder b = new StringBuilder("runtime,batch,threads,runs,warmup_runs,p10_ms,p50_ms,p90_ms,p99_ms,"
                    + "mean_ms,throughput_per_sec\n");
            for (BenchResult r : results) {
                b.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%d,%.4f,%.4f,%.4f,%.4f,%.4f,%.2f%n", r.runtime(),
                        r.batch(), r.threads(), r.runs(), r.warmupRuns(), r.p10Ms(), r.p50Ms(), r.p90Ms(), r.p99Ms(),
                        r.meanMs(), r.throughputPerSec()));
            }
            bytes = b.toString().getBytes(StandardCharsets.UTF_8);
        } else {
            List<Map<String, Object>> rows = results.stream().map(BenchResult::toJson).toList();
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("model", String.valueOf(model));
            doc.put("configurations", rows);
            doc.put("ratios", org.polaris.workbench.engine.inference.RuntimeRatio.of(results));
            bytes = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(doc);
        }
        AtomicFiles.write(file, bytes, true);
    }
}
