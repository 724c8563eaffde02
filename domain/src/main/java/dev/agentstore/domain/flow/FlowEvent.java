package dev.agentstore.domain.flow;

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
import java.util.Objects;

/**
 * One row of a run's append-only event log (id, ts, type, runId, flowName, stepName, stepId, attempt,
 * data), table {@code flow_events}. Immutable: once appended it is never updated; rows leave the log only
 * by {@code deleteRun} or a retention purge.
 *
 * <p>The repository ({@code FlowEventRepository}) appends and deletes rows with set-based SQL; this entity is the
 * mapping for JPA users' reads (JPQL, Criteria), read-only to JPA ({@link ReadOnlyEntity}). Ids come from the column
 * default, {@code nextval('flow_events_seq')}, evaluated by each inserted row; the sequence steps by 50 (as the
 * schema created it), so ids ascend in append order with gaps. Rows are read in {@code (ts, id)} order, since a
 * caller may give an event an earlier time than one already stored.
 *
 * <p>The table is range-partitioned on {@code ts} (release 0.5), so its primary key is {@code (id, ts)}; the id alone
 * is still unique (one sequence for all partitions) and is this mapping's identifier.
 *
 * <p>Two instances are equal when they have the same id.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "flow_events")
public class FlowEvent {

    @Id
    private Long id;

    @Column(name = "run_id", nullable = false)
    private String runId;

    @Column(name = "flow_name", nullable = false)
    private String flowName;

    @Column(name = "ts", nullable = false)
    private Instant ts;

    @Column(name = "type", nullable = false)
    private String type;

    @Column(name = "step_name")
    private String stepName;

    @Column(name = "step_id")
    private String stepId;

    @Column(name = "attempt")
    private Integer attempt;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "data", columnDefinition = "jsonb")
    private JsonNode data;

    /** For JPA. */
    protected FlowEvent() {
    }

    private FlowEvent(long id, NewFlowEvent event) {
        this.id = id;
        this.runId = event.runId();
        this.flowName = event.flowName();
        this.ts = event.ts();
        this.type = event.type();
        this.stepName = event.stepName();
        this.stepId = event.stepId();
        this.attempt = event.attempt();
        this.data = event.sharedData(); // the event's own copy; neither hands it out uncopied
    }

    /**
     * The row as stored by an append: for repositories, which insert with SQL and hand back the result.
     *
     * @param id    the id the database assigned, 1 or more
     * @param event the appended event, with its time set
     * @return the stored event
     * @throws InvalidInputException when {@code id} is less than 1, or {@code event} or its {@code ts} is {@code null}
     */
    public static FlowEvent appended(long id, NewFlowEvent event) {
        if (id < 1) {
            throw new InvalidInputException("id must be positive, was " + id);
        }
        Check.notNull("event", event);
        Check.notNull("event.ts", event.ts());
        return new FlowEvent(id, event);
    }

    /**
     * A row as read from the database: for repositories that map {@code flow_events} rows with SQL. The values are
     * taken as stored (they passed {@link NewFlowEvent}'s checks when appended) and {@code data} is taken over, not
     * copied: pass a node that nothing else holds, such as one just parsed from the column.
     *
     * @param id        the row's id, 1 or more
     * @param runId     the run's id
     * @param flowName  the flow's name
     * @param ts        when it happened
     * @param type      the event type
     * @param stepName  the step's name, or {@code null}
     * @param stepId    the step instance's id, or {@code null}
     * @param attempt   the retry attempt, or {@code null}
     * @param data      the payload, or {@code null}
     * @return the stored event
     * @throws InvalidInputException when {@code id} is less than 1, or {@code runId}, {@code flowName}, {@code type}
     *                               or {@code ts} is {@code null}
     */
    public static FlowEvent stored(long id, String runId, String flowName, Instant ts, String type, String stepName,
                                   String stepId, Integer attempt, JsonNode data) {
        if (id < 1) {
            throw new InvalidInputException("id must be positive, was " + id);
        }
        FlowEvent e = new FlowEvent();
        e.id = id;
        e.runId = Check.notNull("runId", runId);
        e.flowName = Check.notNull("flowName", flowName);
        e.ts = Check.notNull("ts", ts);
        e.type = Check.notNull("type", type);
        e.stepName = stepName;
        e.stepId = stepId;
        e.attempt = attempt;
        e.data = data;
        return e;
    }

    /** @return the sequence id; also the keyset cursor for {@code FlowEventQuery.after} */
    public long id() {
        return id;
    }

    /** @return the run's id */
    public String runId() {
        return runId;
    }

    /** @return the flow's name */
    public String flowName() {
        return flowName;
    }

    /** @return when it happened, millisecond precision */
    public Instant ts() {
        return ts;
    }

    /** @return the event type, for example {@code step.completed} */
    public String type() {
        return type;
    }

    /** @return the step's name, or {@code null} */
    public String stepName() {
        return stepName;
    }

    /** @return the step instance's id, or {@code null} */
    public String stepId() {
        return stepId;
    }

    /** @return the retry attempt, or {@code null} */
    public Integer attempt() {
        return attempt;
    }

    /**
     * @return a copy of the payload: any JSON value ({@link com.fasterxml.jackson.databind.node.NullNode} for a stored
     *         JSON {@code null}), or {@code null} when the event has no payload
     */
    public JsonNode data() {
        return data == null ? null : data.deepCopy();
    }

    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof FlowEvent other && id != null && id.equals(other.id);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(id);
    }

    @Override
    public String toString() {
        return "FlowEvent{id=" + id + ", runId=" + runId + ", flowName=" + flowName + ", ts=" + ts + ", type=" + type
                + (stepName == null ? "" : ", stepName=" + stepName) + (stepId == null ? "" : ", stepId=" + stepId)
                + (attempt == null ? "" : ", attempt=" + attempt) + "}";
    }
}
