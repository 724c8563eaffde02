package dev.agentstore.migrations;

/**
 * What {@link Indexes#ensure} found or did for one {@link IndexDefinition}.
 *
 * @param name   the index name
 * @param state  the outcome
 * @param detail for {@link State#DIFFERENT}: what differs, with the existing index's definition; else empty
 */
public record IndexStatus(String name, State state, String detail) {

    /** The outcome for one index. */
    public enum State {
        /** The index was missing and has been created. */
        CREATED,
        /** The index exists as declared. */
        PRESENT,
        /**
         * An index of that name exists with another definition, or was not created by {@link Indexes#ensure}, or is
         * invalid: it was left as it is (never dropped or replaced); drop or rename one of them.
         */
        DIFFERENT
    }
}
