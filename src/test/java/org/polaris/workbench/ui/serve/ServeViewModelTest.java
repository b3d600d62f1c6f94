package org.polaris.workbench.ui.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.polaris.workbench.engine.serve.TrafficLog;
import org.polaris.workbench.testutil.ScriptedDialogs;
import org.polaris.workbench.testutil.TestData;
import org.polaris.workbench.ui.common.InlineTaskRunner;
import org.polaris.workbench.ui.common.SettingsStore;
import org.polaris.workbench.ui.common.Workspace;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The Serve pane's logic without a window: a real server on a free loopback port, real requests. */
class ServeViewModelTest {

    @TempDir
    Path tmp;

    private final HttpClient client = HttpClient.newHttpClient();
    private final Workspace workspace = new Workspace();
    private final ScriptedDialogs dialogs = new ScriptedDialogs();
    private SettingsStore settings;
    private ServeViewModel vm;

    @BeforeEach
    void setUp() {
        settings = new SettingsStore(tmp.resolve("settings.json"));
        vm = new ServeViewModel(new InlineTaskRunner(), dialogs, settings, workspace);
        vm.portProperty().set(0);
    }

    @AfterEach
    void tearDown() {
        vm.close();
    }

    private static String payload(String curl) {
        int d = curl.indexOf("-d '");
        return curl.substring(d + 4, curl.lastIndexOf('\''));
    }

    private HttpResponse<String> post(String url, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void nothingToServeIsAnErrorAndNoSocketOpens() {
        vm.start();
        assertThat(vm.errorProperty().get()).isEqualTo("nothing to serve: open a model in the Models pane or choose a model repository");
        assertThat(vm.runningProperty().get()).isFalse();
        assertThat(vm.statusProperty().get()).isEqualTo("Stopped: no socket is open.");
    }

    @Test
    void anAddressBeyondThisMachineNeedsAKey() {
        workspace.add(TestData.FASHION_CNN);
        vm.hostProperty().set("0.0.0.0");
        vm.start();
        assertThat(vm.errorProperty().get()).startsWith("binding 0.0.0.0 exposes the server beyond this machine");
        assertThat(vm.runningProperty().get()).isFalse();
    }

    @Test
    void startServesTheOpenModelsAndTheCurlRequestWorks() throws Exception {
        workspace.add(TestData.FASHION_CNN);
        workspace.add(TestData.MNIST8);
        vm.maxBatchProperty().set(16);
        vm.start();
        assertThat(vm.errorProperty().get()).isEmpty();
        assertThat(vm.runningProperty().get()).isTrue();
        assertThat(vm.urlProperty().get()).startsWith("http://127.0.0.1:");
        assertThat(vm.rows()).extracting(ServeViewModel.ModelRow::name).containsExactly("fashion_cnn", "mnist-8");
        ServeViewModel.ModelRow cnn = vm.rows().get(0);
        assertThat(cnn.state()).isEqualTo("ready");
        assertThat(cnn.batching()).isEqualTo("up to 16");
        assertThat(vm.rows().get(1).batching()).startsWith("off: input 'Input3' has a fixed first dimension of 1");

        vm.selectedProperty().set(cnn);
        String curl = vm.curlProperty().get();
        assertThat(curl).startsWith("curl -s " + vm.urlProperty().get() + "/v2/models/fashion_cnn/infer -H 'Content-Type: application/json' -d '");
        assertThat(payload(curl)).startsWith("{\"inputs\":[{\"name\":\"image\",\"shape\":[1,1,28,28],\"datatype\":\"FP32\",\"data\":[0.0,");
        HttpResponse<String> r = post(vm.urlProperty().get() + "/v2/models/fashion_cnn/infer", payload(curl));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(new ObjectMapper().readTree(r.body()).get("outputs").get(0).get("shape").toString()).isEqualTo("[1,10]");
        long served = vm.traffic(10).stream().mapToLong(TrafficLog.Second::requests).sum();
        assertThat(served).isEqualTo(1);
        assertThat(vm.traffic(10)).hasSize(10);

        // unload and load again, pin
        vm.unloadSelected();
        vm.refresh();
        assertThat(vm.rows().get(0).state()).isEqualTo("unavailable");
        assertThat(vm.rows().get(0).reason()).isEqualTo("unloaded by request; loads again on its next request");
        vm.loadSelected();
        vm.refresh();
        assertThat(vm.rows().get(0).state()).isEqualTo("ready");
        vm.setPinned(true);
        assertThat(vm.rows().get(0).pinned()).isTrue();

        // the settings used are remembered
        ServeViewModel again = new ServeViewModel(new InlineTaskRunner(), dialogs, new SettingsStore(tmp.resolve("settings.json")), workspace);
        assertThat(again.maxBatchProperty().get()).isEqualTo(16);
        assertThat(again.portProperty().get()).isZero();

        String url = vm.urlProperty().get();
        vm.stop();
        assertThat(vm.runningProperty().get()).isFalse();
        assertThat(vm.rows()).isEmpty();
        assertThat(vm.traffic(10)).isEmpty();
        Exception e = assertThrows(Exception.class, () -> client.send(HttpRequest.newBuilder(URI.create(url + "/v2"))
                .timeout(java.time.Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString()));
        assertThat(e).isInstanceOf(ConnectException.class);
    }

    @Test
    void aLargeInputGetsItsRequestFromPythonAndTheKeyFromItsFile() throws Exception {
        Path key = Files.writeString(tmp.resolve("key"), "key-0123456789abcdef\n");
        workspace.add(TestData.MOBILENET);
        vm.apiKeyFileProperty().set(key);
        vm.start();
        assertThat(vm.runningProperty().get()).as(vm.errorProperty().get()).isTrue();
        vm.selectedProperty().set(vm.rows().get(0));
        String curl = vm.curlProperty().get();
        assertThat(curl).startsWith("python3 -c \"import json; print(json.dumps({'inputs': [{'name': 'input', "
                + "'shape': [1, 3, 224, 224], 'datatype': 'FP32', 'data': [0.0] * 150528}]}))\" | curl -s ");
        assertThat(curl).endsWith(" -H 'Content-Type: application/json' -H \"Authorization: Bearer $(cat '" + key
                + "')\" --data-binary @-");
        // run the python half as a user's shell would, and send what it prints with the key
        String py = curl.substring("python3 -c \"".length(), curl.indexOf("\" | curl"));
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", py).start();
        byte[] body = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(vm.urlProperty().get()
                + "/v2/models/mobilenet_v1_0.25_224/infer")).header("Authorization", "Bearer key-0123456789abcdef")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(new String(body, 0, Math.min(200, body.length), StandardCharsets.UTF_8)).isEqualTo(200);
    }
}
