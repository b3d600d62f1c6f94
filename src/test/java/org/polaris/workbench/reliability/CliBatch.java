package org.polaris.workbench.reliability;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.polaris.workbench.cli.Main;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Child-JVM side of the reliability suite: runs many CLI invocations one after another in a JVM started with a
 * small heap, so every case runs under the same memory ceiling without paying a JVM start each. Writes one JSON
 * line per case as it finishes, and the name of the case it is starting, so a hang names its case.
 */
public final class CliBatch {

    /** One invocation: its name and the command line. */
    public record Invocation(String name, List<String> args) {
    }

    /** What it did. */
    public record Outcome(String name, int code, String out, String err, long millis) {
    }

    private CliBatch() {
    }

    public static void main(String[] a) throws Exception {
        ObjectMapper json = new ObjectMapper();
        Invocation[] cases = json.readValue(Path.of(a[0]).toFile(), Invocation[].class);
        Path results = Path.of(a[1]);
        Path started = Path.of(a[2]);
        for (Invocation c : cases) {
            Files.writeString(started, c.name(), StandardCharsets.UTF_8);
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            ByteArrayOutputStream e = new ByteArrayOutputStream();
            long t0 = System.nanoTime();
            int code = Main.execute(c.args().toArray(String[]::new), new PrintStream(o, true, StandardCharsets.UTF_8),
                    new PrintStream(e, true, StandardCharsets.UTF_8));
            Outcome r = new Outcome(c.name(), code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8),
                    (System.nanoTime() - t0) / 1_000_000);
            Files.writeString(results, json.writeValueAsString(r) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }
}
