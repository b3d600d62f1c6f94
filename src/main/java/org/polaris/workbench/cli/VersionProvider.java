package org.polaris.workbench.cli;

import picocli.CommandLine.IVersionProvider;

/** Reports the version from the jar manifest (a source build says "development"). */
public final class VersionProvider implements IVersionProvider {

    @Override
    public String[] getVersion() {
        String v = WorkbenchCommand.class.getPackage().getImplementationVersion();
        return new String[] {"polaris-workbench " + (v == null ? "development build" : v),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"};
    }
}
