package org.polaris.workbench.ui.common;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SettingsStoreTest {

    @TempDir
    Path tmp;

    @Test
    void recentListIsCappedDeduplicatedAndMostRecentFirst() {
        SettingsStore store = new SettingsStore(tmp.resolve("settings.json"));
        for (int i = 0; i < 15; i++) {
            store.get().touchRecent("/m/" + i + ".onnx");
        }
        store.get().touchRecent("/m/7.onnx");
        store.save();
        Settings back = new SettingsStore(tmp.resolve("settings.json")).get();
        assertThat(back.recentFiles).hasSize(Settings.MAX_RECENT).startsWith("/m/7.onnx", "/m/14.onnx")
                .doesNotHaveDuplicates();
    }

    @Test
    void damagedFileIsSetAsideAndDefaultsUsed() throws Exception {
        Path file = Files.writeString(tmp.resolve("settings.json"), "{ not json");
        SettingsStore store = new SettingsStore(file);
        assertThat(store.get().recentFiles).isEmpty();
        assertThat(tmp.resolve("settings.json.broken")).hasContent("{ not json");
        store.get().windowWidth = 1000;
        store.save();
        assertThat(new SettingsStore(file).get().windowWidth).isEqualTo(1000);
    }
}
