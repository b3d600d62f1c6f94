package org.polaris.workbench.engine.exec;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.polaris.workbench.engine.job.EnginePool;
import org.polaris.workbench.engine.model.DataType;
import org.polaris.workbench.engine.model.ModelLoadException;
import org.polaris.workbench.engine.model.OnnxModel;
import org.polaris.workbench.engine.model.OnnxModelReader;
import org.polaris.workbench.engine.model.Tensor;
import org.polaris.workbench.engine.model.ValueInfo;
import org.polaris.workbench.testutil.TestData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ONNX backend node tests (Debian libonnx-testdata) through the engine: every test must match its expected
 * outputs (rtol 1e-3, atol 1e-5, the backend suite's own tolerance scale) unless it is listed, with its reason, in
 * {@code src/test/resources/conformance/node-not-passing.txt}. The list is the exact set: a test that starts failing
 * fails this test, and so does a listed test that now passes (take it off the list), so a regression in one op
 * cannot hide behind progress in another.
 */
public class ConformanceNodeIT {

    static final Path NOT_PASSING = Path.of("src/test/resources/conformance/node-not-passing.txt");

    /**
     * @param notPassing test name -> "unsupported: Op, Op" (ops the engine lacks) or "fails: why"
     */
    public record Outcome(int passed, int failed, int unsupported, java.util.SortedMap<String, String> notPassing) {
    }

    public static Outcome runAll() throws Exception {
        OnnxModelReader reader = new OnnxModelReader();
        int passed = 0;
        int failed = 0;
        int unsupported = 0;
        java.util.SortedMap<String, String> notPassing = new java.util.TreeMap<>();
        for (Path model : TestData.conformanceModels("node")) {
            Path dir = model.getParent();
            Path vector = dir.resolve("test_data_set_0");
            if (!Files.isDirectory(vector)) {
                continue;
            }
            String name = dir.getFileName().toString();
            OnnxModel m;
            EngineSession s;
            try {
                m = reader.read(model);
                s = EngineSession.load(m, EnginePool.shared());
            } catch (UnsupportedOpsException e) {
                unsupported++;
                notPassing.put(name, "unsupported: " + String.join(", ", new java.util.TreeSet<>(e.nodesByOp().keySet())));
                continue;
            } catch (ModelLoadException e) {
                failed++;
                notPassing.put(name, "fails: " + oneLine(e.getMessage()));
                continue;
            }
            String why = check(reader, m, s, vector);
            if (why == null) {
                passed++;
            } else {
                failed++;
                notPassing.put(name, "fails: " + oneLine(why));
            }
        }
        return new Outcome(passed, failed, unsupported, notPassing);
    }

    private static String oneLine(String s) {
        String t = String.valueOf(s).replaceAll("\\s+", " ").trim();
        return t.length() > 160 ? t.substring(0, 157) + "..." : t;
    }

    /** The checked-in list: "name<TAB>reason" lines; blank lines and # comments ignored. */
    static java.util.SortedMap<String, String> listed() throws java.io.IOException {
        java.util.SortedMap<String, String> m = new java.util.TreeMap<>();
        for (String line : Files.readAllLines(NOT_PASSING)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] p = line.split("\t", 2);
            m.put(p[0].trim(), p.length > 1 ? p[1].trim() : "");
        }
        return m;
    }

    /** Rewrites the list from a run: {@code ./mvnw -q test-compile exec:exec@conformance-list} after adding ops. */
    public static void main(String[] args) throws Exception {
        Outcome o = runAll();
        StringBuilder b = new StringBuilder("# ONNX backend node tests (Debian libonnx-testdata) the engine does not pass, "
                + "with the reason; ConformanceNodeIT asserts this exact set.\n# Rewrite after adding ops: ./mvnw -q "
                + "test-compile exec:exec@conformance-list (then review the diff).\n");
        o.notPassing().forEach((k, v) -> b.append(k).append('\t').append(v).append('\n'));
        Files.writeString(NOT_PASSING, b.toString());
        System.out.printf("engine node tests: passed %d, failed %d, unsupported %d%n", o.passed(), o.failed(),
                o.unsupported());
    }
    /** The ONNX test data stores bfloat16 tensors as their uint16 bit patterns: read them as the graph declares. */
    private static Tensor asDeclared(Tensor t, ValueInfo declared) {
        if (t.dataType() == DataType.UINT16 && declared.type() != null && declared.type().isTensor()
                && declared.type().elementType() == DataType.BFLOAT16) {
            return new Tensor(t.name(), DataType.BFLOAT16, t.dims(), t.raw(), List.of(), null, "");
        }
        return t;
    }

    static String check(OnnxModelReader reader, OnnxModel m, EngineSession s, Path vector) {
        try {
            Map<String, Tensor> feeds = new LinkedHashMap<>();
            List<ValueInfo> ins = m.graph().feedInputs();
            for (int i = 0; i < ins.size(); i++) {
                Path pb = vector.resolve("input_" + i + ".pb");
                if (Files.exists(pb)) {
                    feeds.put(ins.get(i).name(), asDeclared(reader.readTensor(pb), ins.get(i)).withName(ins.get(i).name()));
                }
            }
            Map<String, Tensor> got = s.run(feeds, false);
            List<ValueInfo> outs = m.graph().outputs();
            for (int i = 0; i < outs.size(); i++) {
                Tensor expected = asDeclared(reader.readTensor(vector.resolve("output_" + i + ".pb")), outs.get(i));
                Tensor actual = got.get(outs.get(i).name());
                if (actual == null) {
                    return "no output " + outs.get(i).name();
                }
                if (!java.util.Arrays.equals(actual.dims(), expected.dims())) {
                    return "shape " + actual.shapeString() + " != " + expected.shapeString();
                }
                if (expected.dataType() == DataType.STRING || !expected.dataType().isNumeric()) {
                    return "non-numeric output";
                }
                double[] e = expected.toDoubles();
                double[] a = actual.toDoubles();
                for (int k = 0; k < e.length; k++) {
                    boolean same = e[k] == a[k] || Double.isNaN(e[k]) && Double.isNaN(a[k]); // infinities too
                    if (!same && !(Math.abs(e[k] - a[k]) <= 1e-5 + 1e-3 * Math.abs(e[k]))) {
                        return "element " + k + ": " + a[k] + " != " + e[k];
                    }
                }
            }
            return null;
        } catch (RuntimeException | ModelLoadException e) {
            return String.valueOf(e.getMessage());
        }
    }

    @Test
    void exactlyTheListedNodeTestsDoNotPass() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(TestData.CONFORMANCE.resolve("node")), "libonnx-testdata is not installed");
        Outcome o = runAll();
        System.out.printf("engine node tests: passed %d, failed %d, unsupported %d%n", o.passed(), o.failed(),
                o.unsupported());
        java.util.SortedMap<String, String> listed = listed();
        java.util.SortedMap<String, String> newlyFailing = new java.util.TreeMap<>(o.notPassing());
        newlyFailing.keySet().removeAll(listed.keySet());
        java.util.SortedSet<String> nowPassing = new java.util.TreeSet<>(listed.keySet());
        nowPassing.removeAll(o.notPassing().keySet());
        assertThat(newlyFailing).as("node tests that do not pass and are not listed in %s", NOT_PASSING).isEmpty();
        assertThat(nowPassing).as("listed in %s but passing now: take them off the list", NOT_PASSING).isEmpty();
        // a listed failure keeps its kind: an implemented op that starts failing is not "unsupported"
        o.notPassing().forEach((k, v) -> assertThat(v.startsWith("unsupported")).as(k + ": " + v)
                .isEqualTo(listed.get(k).startsWith("unsupported")));
    }
}
