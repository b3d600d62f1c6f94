package org.polaris.workbench.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.lang.reflect.Field;
import java.util.Collection;
import java.util.Locale;

/** Enforces {@link Bounds} on the options of the commands a command line selected, before any of them runs. */
final class OptionBounds {

    private OptionBounds() {
    }

    /** Picocli's default strategy, after the bounds check. */
    static int execute(CommandLine.ParseResult parsed) throws CommandLine.ExecutionException, CommandLine.ParameterException {
        for (CommandLine.ParseResult r = parsed; r != null; r = r.subcommand()) {
            for (OptionSpec o : r.commandSpec().options()) {
                check(r.commandSpec().commandLine(), o);
            }
        }
        return new CommandLine.RunLast().execute(parsed);
    }

    static Bounds boundsOf(OptionSpec o) {
        return o.userObject() instanceof Field f ? f.getAnnotation(Bounds.class) : null;
    }

    private static void check(CommandLine cmd, OptionSpec o) {
        Bounds b = boundsOf(o);
        Object v = o.getValue();
        if (b == null || v == null) {
            return;
        }
        if (v instanceof Collection<?> c) {
            for (Object x : c) {
                check(cmd, o, b, x);
            }
        } else if (v instanceof double[] a) {
            for (double x : a) {
                check(cmd, o, b, x);
            }
        } else {
            check(cmd, o, b, v);
        }
    }

    private static void check(CommandLine cmd, OptionSpec o, Bounds b, Object value) {
        if (!(value instanceof Number n)) {
            return;
        }
        double d = n.doubleValue();
        if (!(d >= b.min() && d <= b.max())) {
            throw new CommandLine.ParameterException(cmd, String.format(Locale.ROOT, "%s must be %s..%s, not %s",
                    o.longestName(), fmt(b.min()), fmt(b.max()), value));
        }
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.format(Locale.ROOT, "%,d", (long) v)
                : String.valueOf(v);
    }
}
