package org.polaris.workbench.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.lang.reflect.Field;
import java.lang.reflect.ParameterizedType;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every numeric option of every command has a range, and a value outside it is a usage error naming the option. */
class CommandBoundsTest {

    private static boolean numeric(Field f) {
        Class<?> t = f.getType();
        if (t.isPrimitive() && t != boolean.class || Number.class.isAssignableFrom(t) || t == double[].class
                || t == int[].class) {
            return true;
        }
        if (List.class.isAssignableFrom(t) && f.getGenericType() instanceof ParameterizedType p) {
            return p.getActualTypeArguments()[0] instanceof Class<?> c && Number.class.isAssignableFrom(c);
        }
        return false;
    }

    private static void collect(CommandLine cmd, List<String> unbounded, List<String> bounded) {
        for (OptionSpec o : cmd.getCommandSpec().options()) {
            if (o.userObject() instanceof Field f && numeric(f)) {
                String name = cmd.getCommandSpec().qualifiedName() + " " + o.longestName();
                (OptionBounds.boundsOf(o) == null ? unbounded : bounded).add(name);
            }
        }
        cmd.getSubcommands().values().forEach(c -> collect(c, unbounded, bounded));
    }

    @Test
    void everyNumericOptionHasARange() {
        List<String> unbounded = new ArrayList<>();
        List<String> bounded = new ArrayList<>();
        collect(new CommandLine(new WorkbenchCommand()), unbounded, bounded);
        assertThat(unbounded).isEmpty();
        assertThat(bounded).contains("polaris-workbench quantize --threads", "polaris-workbench bench --batch",
                "polaris-workbench prune --sparsity", "polaris-workbench snn bench --neurons",
                "polaris-workbench gpu monitor --interval", "polaris-workbench run --index");
    }

    @Test
    void aValueOutsideItsRangeIsAUsageErrorNamingTheOption() {
        var r = org.polaris.workbench.testutil.CliRun.of("bench", "model.onnx", "--threads", "100000");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: --threads must be 1..256, not 100000");
        var nan = org.polaris.workbench.testutil.CliRun.of("quantize", "model.onnx", "-o", "x.onnx", "--min-cosine", "NaN");
        assertThat(nan.code()).isEqualTo(2);
        assertThat(nan.err()).startsWith("error: --min-cosine must be -1..1, not NaN");
    }

    @Test
    void helpTextsFormatWithoutWarnings() {
        for (String c : new String[] {"inspect", "quantize", "prune", "run", "bench", "profile", "sparse-bench"}) {
            var r = org.polaris.workbench.testutil.CliRun.of(c, "--help");
            assertThat(r.code()).isZero();
            assertThat(r.out() + r.err()).doesNotContain("picocli WARN", "Could not format");
        }
    }
}
