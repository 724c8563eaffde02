package dev.agentstore.cli;

/**
 * A failure with an exit code and a hint for the user, printed as {@code error: …} and {@code hint: …} without a
 * stack trace.
 */
public final class CliException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int exitCode;
    private final String hint;

    /**
     * @param exitCode one of {@link ExitCodes}
     * @param message  what went wrong (never a password)
     * @param hint     what to do about it, or {@code null}
     * @param cause    the underlying exception, or {@code null}
     */
    public CliException(int exitCode, String message, String hint, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
        this.hint = hint;
    }

    /** @return the process exit code */
    public int exitCode() {
        return exitCode;
    }

    /** @return what the user can do, or {@code null} */
    public String hint() {
        return hint;
    }
}
