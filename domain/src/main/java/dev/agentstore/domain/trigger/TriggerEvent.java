package dev.agentstore.domain.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.ReadOnlyEntity;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * One row of a trigger's append-only fire log (table {@code trigger_events}). Immutable;
 * rows go away only with their trigger ({@code ON DELETE CASCADE}). The repository ({@code TriggerRepository})
 * appends rows with SQL; this entity is the mapping for JPA users' reads, read-only to JPA ({@link ReadOnlyEntity}).
 * Ids come from the column default, {@code nextval('trigger_events_seq')} (the sequence steps by 50, as the schema
 * created it, so ids ascend in fire order with gaps). Two instances are equal when they have the same id. The table is
 * range-partitioned on {@code ts} (release 0.5): its primary key is {@code (id, ts)}, the id alone still unique.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "trigger_events")
public class TriggerEvent {

    @Id
    private Long id;

    @Column(name = "trigger_name", nullable = false)
    private String triggerName;

    @Column(name = "ts", nullable = false)
    private Instant ts;

    @Column(name = "type", nullable = false)
    private String type;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "data", columnDefinition = "jsonb")
    private JsonNode data;

    /** For JPA. */
    protected TriggerEvent() {
    }

    private TriggerEvent(long id, String triggerName, Instant ts, String type, JsonNode data) {
        this.id = id;
        this.triggerName = triggerName;
        this.ts = ts;
        this.type = type;
        this.data = data;
    }

    /**
     * The row as stored by a fire: for repositories, which insert with SQL and hand back the result.
     *
     * @param id          the id the database assigned, 1 or more
     * @param triggerName the trigger's name, 1–255 characters
     * @param ts          when it fired (truncated to milliseconds)
     * @param type        the event type, for example {@code fired}, 1–255 characters
     * @param data        the payload, any JSON value, or {@code null} for none (copied)
     * @return the stored event
     * @throws InvalidInputException when {@code id} is less than 1, a name is blank or too long, or {@code ts} is
     *                               {@code null}
     */
    public static TriggerEvent recorded(long id, String triggerName, Instant ts, String type, JsonNode data) {
        if (id < 1) {
            throw new InvalidInputException("id must be positive, was " + id);
        }
        return new TriggerEvent(id, Check.name("triggerName", triggerName),
                Check.notNull("ts", ts).truncatedTo(ChronoUnit.MILLIS), Check.name("type", type),
                data == null ? null : data.deepCopy());
    }

    /** @return the sequence id; also the cursor for reading older events */
    public long id() {
        return id;
    }

    /** @return the trigger's name */
    public String triggerName() {
        return triggerName;
    }

    /** @return when it fired, millisecond precision */
    public Instant ts() {
        return ts;
    }

    /** @return the event type, for example {@code fired} */
    public String type() {
        return type;
    }

    /** @return a copy of the payload (any JSON value), or {@code null} when the event has none */
    public JsonNode data() {
        return data == null ? null : data.deepCopy();
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof TriggerEvent other && id != null && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(id);
    }

    @Override
    public String toString() {
        return "TriggerEvent{id=" + id + ", triggerName=" + triggerName + ", ts=" + ts + ", type=" + type + "}";
    }
}
