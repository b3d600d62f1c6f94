package org.polaris.workbench.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The range every value of a numeric option must lie in (inclusive; NaN never does). Every numeric option carries
 * one ({@code CommandBoundsTest} checks), and {@link OptionBounds} enforces them before a command runs, so an absurd
 * number is a usage error (exit 2) instead of gigabytes allocated or a native library asked for 100,000 threads.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface Bounds {
    double min();

    double max();
}
