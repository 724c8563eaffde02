package dev.agentstore.migrations;

/**
 * Thrown when a migration cannot be read, applied, rolled back or exported. The message names the schema and
 * what failed; the cause is Liquibase's or the JDBC driver's exception.
 */
public class MigrationException extends RuntimeException {

    /**
     * @param message what failed, naming the schema
     * @param cause   the underlying Liquibase or JDBC exception
     */
    public MigrationException(String message, Throwable cause) {
        super(message, cause);
    }
}
