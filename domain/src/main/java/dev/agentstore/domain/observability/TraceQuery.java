package dev.agentstore.domain.observability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.time.Instant;

/**
 * What {@code SpanRepository.listTraces} lists: the root spans of traces, newest first, that pass every filter set
 * here (a {@code null} filter passes everything), at most {@link #limit()} of them, after the cursor.
 *
 * <pre>{@code
 * TracePage page = store.spans().listTraces(TraceQuery.builder()
 *         .entityName("support-agent").errorsOnly(true).limit(20).build());
 * TracePage next = store.spans().listTraces(TraceQuery.builder()
 *         .entityName("support-agent").errorsOnly(true).after(page.next()).build());
 * }</pre>
 *
 * @param from        roots started at or after this, or {@code null}
 * @param to          roots started before this, or {@code null}
 * @param name        the root's name, or {@code null}
 * @param type        the root's span type, or {@code null}
 * @param entityType  the root's entity type, or {@code null}
 * @param entityId    the root's entity id, or {@code null}
 * @param entityName  the root's entity name, or {@code null}
 * @param errorsOnly  only roots whose status is {@link SpanStatus#ERROR}
 * @param runId       the root's flow run, or {@code null}
 * @param threadId    the root's memory thread, or {@code null}
 * @param resourceId  the root's memory resource, or {@code null}
 * @param userId      the root's user, or {@code null}
 * @param attributes  a JSON object the root's attributes must contain (PostgreSQL's {@code @>}), or {@code null}
 * @param limit       the most roots returned, 1–{@value #MAX_LIMIT}
 * @param after       where the listing goes on ({@link TracePage#next()}), or {@code null} for the newest
 */
public record TraceQuery(Instant from, Instant to, String name, SpanType type, String entityType, String entityId,
                         String entityName, boolean errorsOnly, String runId, String threadId, String resourceId,
                         String userId, JsonNode attributes, int limit, TraceCursor after) {

    /** Largest page. */
    public static final int MAX_LIMIT = 1000;

    /** Page size when none is given. */
    public static final int DEFAULT_LIMIT = 20;

    /**
     * @throws InvalidInputException when a value is invalid; the message names it
     */
    public TraceQuery {
        Check.instant("from", from);
        Check.instant("to", to);
        if (name != null) {
            Check.text("name", name, NewSpan.MAX_NAME_LENGTH);
        }
        Check.optionalName("entityType", entityType);
        Check.optionalName("entityId", entityId);
        Check.optionalName("entityName", entityName);
        Check.optionalName("runId", runId);
        Check.optionalName("threadId", threadId);
        Check.optionalName("resourceId", resourceId);
        Check.optionalName("userId", userId);
        if (attributes != null && !attributes.isObject()) {
            throw new InvalidInputException("attributes must be a JSON object");
        }
        Check.range("limit", limit, 1, MAX_LIMIT);
    }

    /** @return a builder with no filter, {@value #DEFAULT_LIMIT} roots, from the newest */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link TraceQuery}; not thread-safe. */
    public static final class Builder {
        private Instant from;
        private Instant to;
        private String name;
        private SpanType type;
        private String entityType;
        private String entityId;
        private String entityName;
        private boolean errorsOnly;
        private String runId;
        private String threadId;
        private String resourceId;
        private String userId;
        private JsonNode attributes;
        private int limit = DEFAULT_LIMIT;
        private TraceCursor after;

        private Builder() {
        }

        /**
         * @param fromInclusive earliest start time, or {@code null}
         * @param toExclusive   start times before this, or {@code null}
         * @return this builder
         */
        public Builder between(Instant fromInclusive, Instant toExclusive) {
            this.from = fromInclusive;
            this.to = toExclusive;
            return this;
        }

        /**
         * @param value the root's name
         * @return this builder
         */
        public Builder name(String value) {
            this.name = value;
            return this;
        }

        /**
         * @param value the root's span type
         * @return this builder
         */
        public Builder type(SpanType value) {
            this.type = value;
            return this;
        }

        /**
         * @param value the root's entity type
         * @return this builder
         */
        public Builder entityType(String value) {
            this.entityType = value;
            return this;
        }

        /**
         * @param value the root's entity id
         * @return this builder
         */
        public Builder entityId(String value) {
            this.entityId = value;
            return this;
        }

        /**
         * @param value the root's entity name
         * @return this builder
         */
        public Builder entityName(String value) {
            this.entityName = value;
            return this;
        }

        /**
         * @param value only traces whose root is in error
         * @return this builder
         */
        public Builder errorsOnly(boolean value) {
            this.errorsOnly = value;
            return this;
        }

        /**
         * @param value the root's flow run
         * @return this builder
         */
        public Builder runId(String value) {
            this.runId = value;
            return this;
        }

        /**
         * @param value the root's memory thread
         * @return this builder
         */
        public Builder threadId(String value) {
            this.threadId = value;
            return this;
        }

        /**
         * @param value the root's memory resource
         * @return this builder
         */
        public Builder resourceId(String value) {
            this.resourceId = value;
            return this;
        }

        /**
         * @param value the root's user
         * @return this builder
         */
        public Builder userId(String value) {
            this.userId = value;
            return this;
        }

        /**
         * @param value a JSON object the root's attributes must contain
         * @return this builder
         */
        public Builder attributes(JsonNode value) {
            this.attributes = value;
            return this;
        }

        /**
         * @param value the most roots returned
         * @return this builder
         */
        public Builder limit(int value) {
            this.limit = value;
            return this;
        }

        /**
         * @param cursor the previous page's {@link TracePage#next()}, or {@code null}
         * @return this builder
         */
        public Builder after(TraceCursor cursor) {
            this.after = cursor;
            return this;
        }

        /**
         * @return the query
         * @throws InvalidInputException when a value is invalid
         */
        public TraceQuery build() {
            return new TraceQuery(from, to, name, type, entityType, entityId, entityName, errorsOnly, runId, threadId,
                    resourceId, userId, attributes, limit, after);
        }
    }
}
