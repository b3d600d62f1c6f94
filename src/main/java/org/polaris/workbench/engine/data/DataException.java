package org.polaris.workbench.engine.data;

/** Input data that cannot be read, with the file and the problem in the message. */
public class DataException extends Exception {

    private static final long serialVersionUID = 1L;

    public DataException(String message) {
        super(message);
    }
}
