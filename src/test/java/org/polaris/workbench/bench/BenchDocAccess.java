package org.polaris.workbench.bench;

import java.io.IOException;

/** Lets benchmarks in other packages write their section of docs/benchmarks.md. */
public final class BenchDocAccess {

    private BenchDocAccess() {
    }

    public static void replaceSection(String id, String content) throws IOException {
        BenchDoc.replaceSection(id, content);
    }

    public static String machine() {
        return BenchDoc.machine();
    }
}
