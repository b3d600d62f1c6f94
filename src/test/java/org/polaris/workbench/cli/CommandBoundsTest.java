package org.polaris.workbench.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.lang.reflect.Field;
import java.lang.reflect.ParameterizedType;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every numeric option of every command has a range, and a value outside it is a usage error naming the option; every
 * command's help formats without picocli warnings.
 */
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
        // picocli warns about a bad format string on System.err itself, not on the streams the CLI writes to
        java.io.PrintStream saved = System.err;
        var traced = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(traced, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            List<String[]> commands = new ArrayList<>();
            commands(new CommandLine(new WorkbenchCommand()), new ArrayList<>(), commands);
            assertThat(commands).hasSizeGreaterThan(10);
            for (String[] c : commands) {
                String[] args = java.util.Arrays.copyOf(c, c.length + 1);
                args[c.length] = "--help";
                var r = org.polaris.workbench.testutil.CliRun.of(args);
                assertThat(r.code()).as(String.join(" ", c)).isZero();
                assertThat(r.out() + r.err()).as(String.join(" ", c)).doesNotContain("picocli WARN", "Could not format");
            }
        } finally {
            System.setErr(saved);
        }
        assertThat(traced.toString(java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("picocli WARN", "Could not format");
    }

    /** Every command and subcommand, as the words that name it. */
    private static void commands(CommandLine cmd, List<String> path, List<String[]> into) {
        for (var e : cmd.getSubcommands().entrySet()) {
            if (!e.getKey().equals(e.getValue().getCommandName())) {
                continue; // an alias
            }
            List<String> p = new ArrayList<>(path);
            p.add(e.getKey());
            into.add(p.toArray(new String[0]));
            commands(e.getValue(), p, into);
        }
    }
}
