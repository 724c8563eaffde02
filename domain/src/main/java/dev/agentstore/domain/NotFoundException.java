package dev.agentstore.domain;

/** Thrown when an operation needs an entity that does not exist, for example incrementing a stat of an unknown flow. */
public class NotFoundException extends AgentStoreException {

    /**
     * @param entity the entity name, for example {@code Flow}
     * @param key    the key that was looked up, for example {@code name=etl}
     */
    public NotFoundException(String entity, String key) {
        super(entity + " not found: " + key);
    }
}
