package org.polaris.workbench.engine.data;

/**
 * A data file that turned out unreadable while batches were being read (after {@link DataSources#open} accepted
 * it): unchecked because {@link Dataset#batch} is called deep inside calibration and evaluation loops. The message
 * names the user's file.
 */
public final class DataFileException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public DataFileException(String message) {
        super(message);
    }
}
