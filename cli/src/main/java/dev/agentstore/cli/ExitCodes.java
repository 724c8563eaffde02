package dev.agentstore.cli;

/** The exit codes of {@code agentstore}, each naming a cause a user can act on. */
public final class ExitCodes {

    /** Success. */
    public static final int OK = 0;
    /** An unexpected failure; the message says what failed. */
    public static final int FAILURE = 1;
    /** Wrong command line (unknown option, missing argument). */
    public static final int USAGE = 2;
    /** The database cannot be reached, refused the login, or does not exist. */
    public static final int DB_UNREACHABLE = 3;
    /** The {@code vector} extension (pgvector) is not installed or not created in the database. */
    public static final int EXTENSION_MISSING = 4;
    /** The corpus is missing, unreadable, or holds no text. */
    public static final int CORPUS = 5;
    /** A migration failed, or the schema is not migrated. */
    public static final int SCHEMA = 6;
    /** An import rejected some lines (the others were imported). */
    public static final int PARTIAL_IMPORT = 7;
    /** {@code agentstore health}: the database answers, but something needs attention (see its problems). */
    public static final int DEGRADED = 8;
    /** Interrupted (Ctrl-C); committed batches stay, a rerun resumes. 128 + SIGINT. */
    public static final int INTERRUPTED = 130;

    private ExitCodes() {
    }
}
