package org.polaris.workbench.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;

/** docs/benchmarks.md is shared by several benchmark commands: each rewrites only its own marked section. */
final class BenchDoc {

    static final Path FILE = Path.of("docs/benchmarks.md");

    private BenchDoc() {
    }

    static void replaceSection(String id, String content) throws IOException {
        String begin = "<!-- bench:" + id + " -->";
        String end = "<!-- /bench:" + id + " -->";
        String doc = Files.exists(FILE) ? Files.readString(FILE) : "# Benchmarks\n\nEach section below is written by the command it names; rerun it to refresh the numbers.\n";
        String block = begin + "\n" + content.strip() + "\n" + end;
        int b = doc.indexOf(begin);
        int e = doc.indexOf(end);
        if (b >= 0 && e > b) {
            doc = doc.substring(0, b) + block + doc.substring(e + end.length());
        } else {
            doc = doc.stripTrailing() + "\n\n" + block + "\n";
        }
        Files.createDirectories(FILE.getParent());
        Files.writeString(FILE, doc);
    }

    static String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (IOException ignored) {
            // not Linux: keep the placeholder
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores; Java " + System.getProperty("java.version")
                + "; " + LocalDate.now();
    }
}
