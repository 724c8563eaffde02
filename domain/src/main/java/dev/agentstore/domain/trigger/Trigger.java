package dev.agentstore.domain.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityListeners;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import org.hibernate.annotations.Immutable;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.ReadOnlyEntity;
import dev.agentstore.domain.json.Json;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * A registered trigger (table {@code triggers}): its name, type, status,
 * registration time, subscriptions (a JSON object, updated by JSON Merge Patch) and fire stats.
 *
 * <p>The repository ({@code TriggerRepository}) writes the table with set-based SQL; this entity is the mapping for
 * JPA users' reads (JPQL, Criteria), read-only to JPA ({@link ReadOnlyEntity}), and holds the rules of its changes:
 * {@link #paused}, {@link #resumed}, {@link #disabled} and {@link #withMergedSubscriptions} compute the state a
 * change leaves, without changing this instance, and the repository writes that state, checked against
 * {@link #version()}.
 *
 * <p>The stats ({@link #totalFires()}, {@link #flowsStarted()}, {@link #lastFiredAt()}) are owned by single-statement
 * atomic SQL in the repository ({@code fire}, {@code recordFlowsStarted}): an increment neither bumps the version nor
 * makes a concurrent subscription merge conflict, and a status or subscription change never writes them. A
 * {@code Trigger} read before an increment shows the stats as they were when it was read.
 */
@Entity
@Immutable
@EntityListeners(ReadOnlyEntity.class)
@Table(name = "triggers")
public class Trigger {

    @Id
    @Column(name = "name", nullable = false)
    private String name;

    @Enumerated(EnumType.STRING)
    @Column(name = "type", nullable = false, length = 16)
    private TriggerType type;

    @Enumerated(EnumType.STRING)
    @Column(name = "status", nullable = false, length = 16)
    private TriggerStatus status;

    @Column(name = "registered_at", nullable = false)
    private Instant registeredAt;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "subscriptions", columnDefinition = "jsonb", nullable = false)
    private JsonNode subscriptions;

    @Column(name = "stats_total_fires", nullable = false)
    private long totalFires;

    @Column(name = "stats_flows_started", nullable = false)
    private long flowsStarted;

    @Column(name = "stats_last_fired_at")
    private Instant lastFiredAt;

    @Version
    @Column(name = "version", nullable = false)
    private long version;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    /** For JPA. */
    protected Trigger() {
    }

    /**
     * A new, {@link TriggerStatus#ACTIVE} trigger with zero stats: what {@code register} stores for a new name.
     *
     * @param name          the trigger's name, 1–255 characters, not blank
     * @param type          what makes it fire
     * @param subscriptions its subscriptions, a JSON object (copied)
     * @param registeredAt  when it is registered (truncated to milliseconds)
     * @throws InvalidInputException when {@code name} is blank or longer than 255 characters, {@code type} or
     *                               {@code registeredAt} is {@code null}, or {@code subscriptions} is not a JSON object
     */
    public Trigger(String name, TriggerType type, JsonNode subscriptions, Instant registeredAt) {
        this.name = Check.name("name", name);
        this.type = Check.notNull("type", type);
        this.subscriptions = Json.requireObject("subscriptions", subscriptions);
        this.registeredAt = Check.notNull("registeredAt", registeredAt).truncatedTo(ChronoUnit.MILLIS);
        this.updatedAt = this.registeredAt;
        this.status = TriggerStatus.ACTIVE;
    }

    /**
     * A trigger as read from the database: for repositories that map {@code triggers} rows with SQL. The values are
     * taken as stored (they passed the checks of the write that stored them) and {@code subscriptions} is taken
     * over, not copied: pass a node that nothing else holds, such as one just parsed from the column.
     *
     * @param name          the trigger's name
     * @param type          what makes it fire
     * @param status        its status
     * @param registeredAt  when it was first registered
     * @param subscriptions its subscriptions, a JSON object
     * @param totalFires    stat {@code totalFires}
     * @param flowsStarted  stat {@code flowsStarted}
     * @param lastFiredAt   stat {@code lastFiredAt}, or {@code null} when it never fired
     * @param version       its version
     * @param updatedAt     when its definition, status or subscriptions last changed
     * @return the trigger, not attached to any persistence context
     * @throws InvalidInputException when a value other than {@code lastFiredAt} is {@code null}
     */
    public static Trigger of(String name, TriggerType type, TriggerStatus status, Instant registeredAt,
                             JsonNode subscriptions, long totalFires, long flowsStarted, Instant lastFiredAt,
                             long version, Instant updatedAt) {
        Trigger t = new Trigger();
        t.name = Check.notNull("name", name);
        t.type = Check.notNull("type", type);
        t.status = Check.notNull("status", status);
        t.registeredAt = Check.notNull("registeredAt", registeredAt);
        t.subscriptions = Check.notNull("subscriptions", subscriptions);
        t.totalFires = totalFires;
        t.flowsStarted = flowsStarted;
        t.lastFiredAt = lastFiredAt;
        t.version = version;
        t.updatedAt = Check.notNull("updatedAt", updatedAt);
        return t;
    }

    /**
     * The trigger as a pause leaves it: {@link TriggerStatus#PAUSED}, so it stops firing until resumed. This instance
     * is not changed.
     *
     * @param now the current time
     * @return a paused copy, changed at {@code now}; this very instance when it is paused already (nothing to write)
     * @throws InvalidInputException when the trigger is {@link TriggerStatus#DISABLED} (resume it first)
     */
    public Trigger paused(Instant now) {
        if (status == TriggerStatus.DISABLED) {
            throw new InvalidInputException("Trigger " + name + " is DISABLED and cannot be paused; resume it first");
        }
        return withStatus(TriggerStatus.PAUSED, now);
    }

    /**
     * The trigger as a resume leaves it: a paused or disabled trigger becomes {@link TriggerStatus#ACTIVE} again. This
     * instance is not changed.
     *
     * @param now the current time
     * @return an active copy, changed at {@code now}; this very instance when it is active already
     */
    public Trigger resumed(Instant now) {
        return withStatus(TriggerStatus.ACTIVE, now);
    }

    /**
     * The trigger as a disable leaves it: switched off whatever its status; only a resume undoes it. This instance is
     * not changed.
     *
     * @param now the current time
     * @return a disabled copy, changed at {@code now}; this very instance when it is disabled already
     */
    public Trigger disabled(Instant now) {
        return withStatus(TriggerStatus.DISABLED, now);
    }

    /**
     * The trigger with {@code patch} deep-merged into its subscriptions by JSON Merge Patch (RFC 7386,
     * {@link Json#mergePatch}): nested objects merge, a {@code null} member deletes that key, arrays and scalars
     * replace, absent keys are kept. This instance is not changed.
     *
     * @param patch the patch, a JSON object (a non-object patch would replace the object wholesale, so it is refused)
     * @param now   the current time
     * @return a copy with the merged subscriptions, changed at {@code now}; this very instance when the patch changes
     *         nothing (nothing to write, no version bump)
     * @throws InvalidInputException when {@code patch} is not a JSON object
     */
    public Trigger withMergedSubscriptions(JsonNode patch, Instant now) {
        JsonNode merged = Json.mergePatch(subscriptions, Json.requireObject("patch", patch));
        if (merged.equals(subscriptions)) {
            return this;
        }
        Trigger next = copy(now);
        next.subscriptions = merged;
        return next;
    }

    private Trigger withStatus(TriggerStatus next, Instant now) {
        if (status == next) {
            return this;
        }
        Trigger changed = copy(now);
        changed.status = next;
        return changed;
    }

    /** A copy whose definition changed at {@code now}; the version stays the one read (the write moves it on). */
    private Trigger copy(Instant now) {
        return of(name, type, status, registeredAt, subscriptions, totalFires, flowsStarted, lastFiredAt, version,
                Check.notNull("now", now).truncatedTo(ChronoUnit.MILLIS));
    }

    /** @return the trigger's name, its key */
    public String name() {
        return name;
    }

    /** @return what makes it fire */
    public TriggerType type() {
        return type;
    }

    /** @return whether it may fire */
    public TriggerStatus status() {
        return status;
    }

    /** @return {@code true} when its status is {@link TriggerStatus#ACTIVE} */
    public boolean isActive() {
        return status == TriggerStatus.ACTIVE;
    }

    /** @return when it was first registered (re-registering keeps this) */
    public Instant registeredAt() {
        return registeredAt;
    }

    /** @return a copy of its subscriptions, a JSON object */
    public JsonNode subscriptions() {
        return subscriptions.deepCopy();
    }

    /** @return how many times it fired (stat {@code totalFires}) */
    public long totalFires() {
        return totalFires;
    }

    /** @return how many flows its fires started, as recorded by {@code recordFlowsStarted} */
    public long flowsStarted() {
        return flowsStarted;
    }

    /** @return when it last fired, or {@code null} when it never fired (stat {@code lastFiredAt}) */
    public Instant lastFiredAt() {
        return lastFiredAt;
    }

    /** @return the optimistic-lock version; grows with every definition, status or subscription change */
    public long version() {
        return version;
    }

    /** @return when its definition, status or subscriptions last changed */
    public Instant updatedAt() {
        return updatedAt;
    }

    @Override
    public String toString() {
        return "Trigger{name=" + name + ", type=" + type + ", status=" + status + ", totalFires=" + totalFires
                + ", flowsStarted=" + flowsStarted + ", lastFiredAt=" + lastFiredAt + ", version=" + version + "}";
    }
}
