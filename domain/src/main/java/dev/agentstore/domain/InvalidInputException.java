package dev.agentstore.domain;

/**
 * Thrown before anything is written when an argument or a configuration setting is invalid: blank or oversized
 * names, negative limits, unknown statuses, invalid cron expressions, malformed JSON, values of the wrong type.
 * The message names the parameter or setting and says what is accepted.
 */
public class InvalidInputException extends AgentStoreException {

    /** @param message names the parameter or setting and what is accepted */
    public InvalidInputException(String message) {
        super(message);
    }

    /**
     * @param message names the parameter or setting and what is accepted
     * @param cause   the parse error behind it
     */
    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
