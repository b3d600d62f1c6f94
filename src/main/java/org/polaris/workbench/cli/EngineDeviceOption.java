package org.polaris.workbench.cli;

import org.polaris.workbench.engine.exec.EngineSession;
import picocli.CommandLine.Option;

/** {@code --device cpu|gpu|auto}: where the engine runtime places nodes (run, bench). */
final class EngineDeviceOption {

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|gpu|auto",
            description = "engine runtime only: cpu (default); gpu runs every node OpenCL supports on the first OpenCL GPU "
                    + "(else the first OpenCL device); auto places each node by measured cost")
    String device;

    EngineSession.Device parse() throws CliException {
        try {
            return EngineSession.Device.parse(device);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), 2);
        }
    }
}
