package org.polaris.workbench.cli;

import org.junit.jupiter.api.Test;
import org.polaris.workbench.testutil.TestData;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code serve} as a user starts it: a separate process, its start-up lines, a request, and SIGTERM to stop it. */
class ServeCommandIT {

    @Test
    void servesUntilTerminatedAndSaysWhatItServes() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"), "org.polaris.workbench.ui.app.Launcher",
                "serve", TestData.FASHION_CNN.toString(), "--model", "mnist=" + TestData.MNIST8, "--port", "0"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            List<String> lines = new ArrayList<>();
            for (String l = out.readLine(); l != null && !l.equals("Stop with Ctrl-C."); l = out.readLine()) {
                if (!l.startsWith("WARNING") && !l.startsWith("engine:")) lines.add(l);
            }
            assertThat(lines).hasSize(3);
            assertThat(lines.get(0)).matches("Serving at http://127\\.0\\.0\\.1:\\d+ \\(Open Inference Protocol v2; metrics at "
                    + "http://127\\.0\\.0\\.1:\\d+/metrics\\)");
            assertThat(lines.get(1)).matches("  fashion_cnn \\(version 1\\): ready, \\d+\\.\\d MB, batched up to 32");
            assertThat(lines.get(2)).matches("  mnist \\(version 1\\): ready, \\d+\\.\\d MB, not batched: input 'Input3' has a "
                    + "fixed first dimension of 1 \\(export it with a dynamic batch axis to batch requests\\)");
            String url = lines.get(0).substring("Serving at ".length(), lines.get(0).indexOf(" ("));
            String body = "{\"inputs\":[{\"name\":\"image\",\"shape\":[1,1,28,28],\"datatype\":\"FP32\",\"data\":"
                    + java.util.Arrays.toString(new float[784]) + "}]}";
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url
                    + "/v2/models/fashion_cnn/infer")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(143);
        } finally {
            p.destroyForcibly();
        }
    }
}
