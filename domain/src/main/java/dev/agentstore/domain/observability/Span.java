package dev.agentstore.domain.observability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.ReadOnlyEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import jakarta.persistence.Transient;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.io.Serializable;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * A stored span (table {@code spans}, range-partitioned by {@code started_at}): one timed operation of a trace, with
 * its trace and span ids, parent, name, {@link SpanType}, {@link SpanEntity}, links to agentstore's flow run, memory
 * thread and resource and a user, start and end time (microseconds), {@link SpanStatus} and error, input, output,
 * attributes and metadata (JSON).
 *
 * <p>The accessors hand out W3C hex ids ({@link #traceId()}: 32 digits, {@link #spanId()}: 16). The mapping stores
 * them in their byte sizes ({@link TraceIds}): in JPQL and Criteria, {@code traceId} is a {@link UUID}
 * ({@link TraceIds#traceUuid}) and {@code spanId}/{@code parentSpanId} are {@code long}s ({@link TraceIds#spanLong});
 * the JPA identity is the pair ({@link Key}).
 *
 * <p>The repository ({@code SpanRepository}) writes the table with SQL; this entity is the mapping for JPA users'
 * reads, read-only to JPA ({@link ReadOnlyEntity}). Instances handed out by the repository are built from rows and
 * attached to no persistence context; a span read in light form ({@link #isLight()}) has no input, output,
 * attributes or metadata (all {@code null}). Two spans are equal when they have the same trace and span ids.
 *
 * <p>A span the repository read from a row ({@link #fromRow}) keeps its JSON values as the text PostgreSQL sent and
 * parses each on the first call of its accessor (once; later calls return the same tree, from any thread): a read
 * whose caller looks only at the tree, names and times does not pay for parsing input and output it never uses.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@IdClass(Span.Key.class)
@Table(name = "spans")
public class Span {

    @Id
    @Column(name = "trace_id", nullable = false)
    private UUID traceId;

    @Id
    @Column(name = "span_id", nullable = false)
    private long spanId;

    @Column(name = "parent_span_id")
    private Long parentSpanId;

    @Column(name = "name", nullable = false, length = NewSpan.MAX_NAME_LENGTH)
    private String name;

    @Enumerated(EnumType.STRING)
    @Column(name = "span_type", nullable = false, length = 64)
    private SpanType type;

    @Column(name = "entity_type")
    private String entityType;

    @Column(name = "entity_id")
    private String entityId;

    @Column(name = "entity_name")
    private String entityName;

    @Column(name = "run_id")
    private String runId;

    @Column(name = "thread_id")
    private String threadId;

    @Column(name = "resource_id")
    private String resourceId;

    @Column(name = "user_id")
    private String userId;

    @Column(name = "started_at", nullable = false)
    private Instant startedAt;

    @Column(name = "ended_at")
    private Instant endedAt;

    @Enumerated(EnumType.STRING)
    @Column(name = "status", nullable = false, length = 16)
    private SpanStatus status;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "error", columnDefinition = "jsonb")
    private JsonNode error;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "input", columnDefinition = "jsonb")
    private JsonNode input;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "output", columnDefinition = "jsonb")
    private JsonNode output;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "attributes", columnDefinition = "jsonb", nullable = false)
    private JsonNode attributes;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "metadata", columnDefinition = "jsonb", nullable = false)
    private JsonNode metadata;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "updated_at")
    private Instant updatedAt;

    /** The unparsed JSON of a span read from a row ({@link #fromRow}); {@code null} otherwise. */
    @Transient
    private transient RowJson rowJson;

    /** For JPA. */
    protected Span() {
    }

    private Span(SpanRow r, boolean light) {
        this.traceId = r.traceId();
        this.spanId = r.spanId();
        this.parentSpanId = r.parentSpanId();
        this.name = r.name();
        this.type = r.type();
        this.entityType = r.entity().type();
        this.entityId = r.entity().id();
        this.entityName = r.entity().name();
        this.runId = r.runId();
        this.threadId = r.threadId();
        this.resourceId = r.resourceId();
        this.userId = r.userId();
        this.startedAt = r.startedAt();
        this.endedAt = r.endedAt();
        this.status = r.status();
        this.createdAt = r.createdAt();
        this.updatedAt = r.updatedAt();
        this.rowJson = new RowJson(r, light);
    }

    private Span(NewSpan s, Instant createdAt, Instant updatedAt) {
        this.traceId = TraceIds.parseTrace(s.traceId());
        this.spanId = TraceIds.parseSpan(s.spanId());
        this.parentSpanId = s.parentSpanId() == null ? null : TraceIds.parseSpan(s.parentSpanId());
        this.name = s.name();
        this.type = s.type();
        this.entityType = s.entity().type();
        this.entityId = s.entity().id();
        this.entityName = s.entity().name();
        this.runId = s.runId();
        this.threadId = s.threadId();
        this.resourceId = s.resourceId();
        this.userId = s.userId();
        this.startedAt = s.startedAt();
        this.endedAt = s.endedAt();
        this.status = s.status();
        this.error = s.error();
        this.input = s.input();
        this.output = s.output();
        this.attributes = s.attributes();
        this.metadata = s.metadata();
        this.createdAt = createdAt;
        this.updatedAt = updatedAt;
    }

    /**
     * A span as stored: for the repository, which hands back the span it has just written (spans it reads come from
     * {@link #fromRow}).
     *
     * @param values    the span's values, checked as {@link NewSpan} checks them
     * @param createdAt when the row was written
     * @param updatedAt when it was last updated, or {@code null}
     * @return the span
     * @throws dev.agentstore.domain.InvalidInputException when {@code createdAt} is {@code null}
     */
    public static Span stored(NewSpan values, Instant createdAt, Instant updatedAt) {
        return new Span(values, dev.agentstore.domain.Check.notNull("createdAt", createdAt), updatedAt);
    }

    /**
     * A span as read from its row, for the repository's row mapping: the values are taken as they are (no checks, see
     * {@link SpanRow}); the JSON values are parsed when their accessors are first called.
     *
     * @param row   the row's values
     * @param light whether the row was read in light form (no input, output, attributes, metadata: their values in
     *              {@code row} are ignored)
     * @return the span
     * @throws dev.agentstore.domain.InvalidInputException when {@code row}, its entity or its {@code createdAt} is
     *                                                     {@code null}
     */
    public static Span fromRow(SpanRow row, boolean light) {
        dev.agentstore.domain.Check.notNull("row", row);
        dev.agentstore.domain.Check.notNull("row.entity", row.entity());
        dev.agentstore.domain.Check.notNull("row.createdAt", row.createdAt());
        return new Span(row, light);
    }

    /** @return the trace's id, 32 lower-case hex digits */
    public String traceId() {
        return TraceIds.traceHex(traceId);
    }

    /** @return the span's id, 16 lower-case hex digits */
    public String spanId() {
        return TraceIds.spanHex(spanId);
    }

    /** @return the parent span's id (16 hex digits), or {@code null} for a root */
    public String parentSpanId() {
        return parentSpanId == null ? null : TraceIds.spanHex(parentSpanId);
    }

    /** @return whether the span is a trace's root */
    public boolean isRoot() {
        return parentSpanId == null;
    }

    /** @return the span's name */
    public String name() {
        return name;
    }

    /** @return what the span records */
    public SpanType type() {
        return type;
    }

    /** @return what the span ran for ({@link SpanEntity#NONE} when nothing was given) */
    public SpanEntity entity() {
        return new SpanEntity(entityType, entityId, entityName);
    }

    /** @return the agentstore flow run, or {@code null} */
    public String runId() {
        return runId;
    }

    /** @return the memory thread, or {@code null} */
    public String threadId() {
        return threadId;
    }

    /** @return the memory resource, or {@code null} */
    public String resourceId() {
        return resourceId;
    }

    /** @return the user, or {@code null} */
    public String userId() {
        return userId;
    }

    /** @return when the span started (microseconds) */
    public Instant startedAt() {
        return startedAt;
    }

    /** @return when it ended, or {@code null} while it runs */
    public Instant endedAt() {
        return endedAt;
    }

    /** @return its status */
    public SpanStatus status() {
        return status;
    }

    /** @return the error's details, or {@code null} */
    public JsonNode error() {
        return rowJson == null ? error : rowJson.error();
    }

    /** @return the input, or {@code null} (always in light form) */
    public JsonNode input() {
        return rowJson == null ? input : rowJson.input();
    }

    /** @return the output, or {@code null} (always in light form) */
    public JsonNode output() {
        return rowJson == null ? output : rowJson.output();
    }

    /** @return the attributes, a JSON object; {@code null} in light form */
    public JsonNode attributes() {
        return rowJson == null ? attributes : rowJson.attributes();
    }

    /** @return the metadata, a JSON object; {@code null} in light form */
    public JsonNode metadata() {
        return rowJson == null ? metadata : rowJson.metadata();
    }

    /** @return when the row was written */
    public Instant createdAt() {
        return createdAt;
    }

    /** @return when the row was last updated, or {@code null} */
    public Instant updatedAt() {
        return updatedAt;
    }

    /** @return whether this span was read without input, output, attributes and metadata */
    public boolean isLight() {
        return rowJson == null ? attributes == null : rowJson.light;
    }

    /** The stored span id, for {@link Trace#of} (no hex text). */
    long spanKey() {
        return spanId;
    }

    /** The stored parent span id, or {@code null}, for {@link Trace#of}. */
    Long parentKey() {
        return parentSpanId;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Span other && traceId.equals(other.traceId) && spanId == other.spanId;
    }

    @Override
    public int hashCode() {
        return Objects.hash(traceId, spanId);
    }

    @Override
    public String toString() {
        return "Span[traceId=" + traceId() + ", spanId=" + spanId() + ", type=" + type + "]";
    }

    /**
     * The JSON values of a span read from a row, each held as the text read until its first use, then as the parsed
     * tree (the text is let go). The state is published through a {@code volatile} field, so every thread sees either
     * the text or a complete tree; two threads racing on the first call may both parse, and the tree of the last to
     * finish stays (equal values either way).
     */
    private static final class RowJson {
        private final boolean light;
        private final Lazy error;
        private final Lazy input;
        private final Lazy output;
        private final Lazy attributes;
        private final Lazy metadata;

        RowJson(SpanRow r, boolean light) {
            this.light = light;
            this.error = new Lazy("spans.error", r.error());
            this.input = new Lazy("spans.input", light ? null : r.input());
            this.output = new Lazy("spans.output", light ? null : r.output());
            this.attributes = new Lazy("spans.attributes", light ? null : r.attributes());
            this.metadata = new Lazy("spans.metadata", light ? null : r.metadata());
        }

        JsonNode error() {
            return error.get();
        }

        JsonNode input() {
            return input.get();
        }

        JsonNode output() {
            return output.get();
        }

        JsonNode attributes() {
            return attributes.get();
        }

        JsonNode metadata() {
            return metadata.get();
        }
    }

    /** One JSON value of {@link RowJson}: {@code null}, its text, or once used its parsed tree. */
    private static final class Lazy {
        private final String column;
        private volatile Object state;

        Lazy(String column, String text) {
            this.column = column;
            this.state = text;
        }

        JsonNode get() {
            Object s = state;
            if (s == null || s instanceof JsonNode) {
                return (JsonNode) s;
            }
            JsonNode parsed = Json.parse(column, (String) s);
            state = parsed;
            return parsed;
        }
    }

    /**
     * The JPA identity of a {@link Span}: the stored trace id ({@link UUID}) and span id ({@code long}), for
     * {@code em.find(Span.class, new Span.Key(TraceIds.traceUuid(t), TraceIds.spanLong(s)))}.
     */
    public static class Key implements Serializable {
        private static final long serialVersionUID = 1L;

        private UUID traceId;
        private long spanId;

        /** For JPA. */
        public Key() {
        }

        /**
         * @param traceId the stored trace id
         * @param spanId  the stored span id
         */
        public Key(UUID traceId, long spanId) {
            this.traceId = traceId;
            this.spanId = spanId;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key other && Objects.equals(traceId, other.traceId) && spanId == other.spanId;
        }

        @Override
        public int hashCode() {
            return Objects.hash(traceId, spanId);
        }
    }
}
