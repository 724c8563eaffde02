package dev.agentstore.domain.flow;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.ReadOnlyEntity;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import org.hibernate.annotations.Immutable;

import java.time.Instant;
import java.util.Objects;

/**
 * A registered flow (workflow definition), keyed by its name, with its display name, flow version, registered and
 * last-run times and run counters ({@code stats.*}).
 *
 * <p>The counters live in their own columns and change only through single-statement SQL increments: the
 * repository's {@code incrementStat}, and the run lifecycle (starting, moving and deleting runs keeps
 * {@link FlowStat#TOTAL}, {@link FlowStat#RUNNING}, {@link FlowStat#AWAITING} and the outcome counters consistent in
 * the same transaction). The repository ({@code FlowRepository}) writes the table with set-based SQL; this entity is
 * the mapping for JPA users' reads (JPQL, Criteria), read-only to JPA ({@link ReadOnlyEntity}), and has no mutators:
 * instances handed out by the repository are copies built from rows. Every registration of an existing flow adds 1
 * to {@link #version()}; counter moves do not.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "flows")
public class Flow {

    @Id
    @Column(name = "name", length = Check.MAX_NAME_LENGTH)
    private String name;

    @Column(name = "display_name", length = Check.MAX_NAME_LENGTH)
    private String displayName;

    @Column(name = "flow_version", nullable = false)
    private int flowVersion;

    @Column(name = "registered_at", nullable = false)
    private Instant registeredAt;

    @Column(name = "last_run_at")
    private Instant lastRunAt;

    @Column(name = "stats_total", nullable = false)
    private long statsTotal;

    @Column(name = "stats_success", nullable = false)
    private long statsSuccess;

    @Column(name = "stats_failure", nullable = false)
    private long statsFailure;

    @Column(name = "stats_running", nullable = false)
    private long statsRunning;

    @Column(name = "stats_awaiting", nullable = false)
    private long statsAwaiting;

    @Column(name = "stats_cancelled", nullable = false)
    private long statsCancelled;

    @Version
    @Column(name = "version", nullable = false)
    private long version;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    /** For JPA. */
    protected Flow() {
    }

    /**
     * A newly registered flow with zero counters; the repository's {@code register} validates through this
     * constructor before it writes.
     *
     * @param name         the flow's name (its id), 1–255 characters, not blank
     * @param displayName  a human-readable name, up to 255 characters, or {@code null}
     * @param flowVersion  the definition's version, 1 or more
     * @param registeredAt when it was registered
     * @throws dev.agentstore.domain.InvalidInputException when a parameter is invalid; the message names it
     */
    public Flow(String name, String displayName, int flowVersion, Instant registeredAt) {
        this.name = Check.name("name", name);
        this.displayName = Check.optionalName("displayName", displayName);
        this.flowVersion = Check.range("flowVersion", flowVersion, 1, Integer.MAX_VALUE);
        this.registeredAt = Check.notNull("registeredAt", registeredAt);
        this.updatedAt = registeredAt;
    }

    /**
     * A flow as read from a row of {@code flows} (no validation beyond non-null checks): the repository builds every
     * flow it hands out with it.
     *
     * @param name         the flow's name
     * @param displayName  the human-readable name, or {@code null}
     * @param flowVersion  the definition's version
     * @param registeredAt when it was first registered
     * @param lastRunAt    the latest start time of its runs, or {@code null}
     * @param stats        its counters
     * @param version      the optimistic-lock version
     * @param updatedAt    when the row was last written
     * @return the flow, not attached to any persistence context
     */
    public static Flow restore(String name, String displayName, int flowVersion, Instant registeredAt,
                               Instant lastRunAt, FlowStats stats, long version, Instant updatedAt) {
        Flow flow = new Flow();
        flow.name = Objects.requireNonNull(name, "name");
        flow.displayName = displayName;
        flow.flowVersion = flowVersion;
        flow.registeredAt = Objects.requireNonNull(registeredAt, "registeredAt");
        flow.lastRunAt = lastRunAt;
        flow.statsTotal = stats.total();
        flow.statsSuccess = stats.success();
        flow.statsFailure = stats.failure();
        flow.statsRunning = stats.running();
        flow.statsAwaiting = stats.awaiting();
        flow.statsCancelled = stats.cancelled();
        flow.version = version;
        flow.updatedAt = Objects.requireNonNull(updatedAt, "updatedAt");
        return flow;
    }

    /** @return the flow's name, its id */
    public String name() {
        return name;
    }

    /** @return the human-readable name, or {@code null} when none was registered */
    public String displayName() {
        return displayName;
    }

    /** @return the definition's version, 1 or more */
    public int flowVersion() {
        return flowVersion;
    }

    /** @return when the flow was first registered; re-registering keeps it */
    public Instant registeredAt() {
        return registeredAt;
    }

    /** @return the latest start time of its runs, or {@code null} when none has started since it was registered */
    public Instant lastRunAt() {
        return lastRunAt;
    }

    /** @return all counters */
    public FlowStats stats() {
        return new FlowStats(statsTotal, statsSuccess, statsFailure, statsRunning, statsAwaiting, statsCancelled);
    }

    /**
     * @param stat the counter
     * @return its value, 0 or more
     */
    public long stat(FlowStat stat) {
        return stats().get(Check.notNull("stat", stat));
    }

    /**
     * @return the optimistic-lock version: 0 when first registered, plus 1 per re-registration (counter moves leave
     *         it alone)
     */
    public long version() {
        return version;
    }

    /** @return when the row was last written */
    public Instant updatedAt() {
        return updatedAt;
    }

    @Override
    public String toString() {
        return "Flow[name=" + name + ", flowVersion=" + flowVersion + ", stats=" + stats() + ", version=" + version + "]";
    }
}
