package dev.edge.core;

/** A model, spec or detector file the app cannot use; the message names the file and the fix. */
public class SpecException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SpecException(String message) {
        super(message);
    }

    public SpecException(String message, Throwable cause) {
        super(message, cause);
    }
}
