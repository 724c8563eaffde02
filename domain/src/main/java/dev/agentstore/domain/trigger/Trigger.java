package dev.agentstore.domain.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * A registered trigger (table {@code triggers}): its name, type, status,
 * registration time, subscriptions (a JSON object, updated by JSON Merge Patch) and fire stats.
 *
 * <p>Mutable root with optimistic locking: status changes and subscription merges go through this entity and are
 * checked against {@link #version()} at flush, so of two concurrent read-modify-write transactions the later commit
 * fails with {@link dev.agentstore.domain.ConcurrencyConflictException} instead of losing the earlier one's change.
 *
 * <p>The stats ({@link #totalFires()}, {@link #flowsStarted()}, {@link #lastFiredAt()}) are owned by single-statement
 * atomic SQL in the repository ({@code fire}, {@code recordFlowsStarted}); this entity maps them read-only
 * ({@code insertable = false, updatable = false}), so writing the entity never overwrites a concurrent increment, and
 * an increment neither bumps the version nor makes a concurrent subscription merge conflict. A {@code Trigger} loaded
 * before an increment in the same transaction shows the stats as they were when it was loaded.
 */
@Entity
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

    @Column(name = "stats_total_fires", nullable = false, insertable = false, updatable = false)
    private long totalFires;

    @Column(name = "stats_flows_started", nullable = false, insertable = false, updatable = false)
    private long flowsStarted;

    @Column(name = "stats_last_fired_at", insertable = false, updatable = false)
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
     * A new, {@link TriggerStatus#ACTIVE} trigger with zero stats.
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
     * Stops the trigger from firing until {@link #resume}. Pausing a paused trigger does nothing.
     *
     * @param now the current time
     * @throws InvalidInputException when the trigger is {@link TriggerStatus#DISABLED} (resume it first)
     */
    public void pause(Instant now) {
        if (status == TriggerStatus.DISABLED) {
            throw new InvalidInputException("Trigger " + name + " is DISABLED and cannot be paused; resume it first");
        }
        changeStatus(TriggerStatus.PAUSED, now);
    }

    /**
     * Makes a paused or disabled trigger {@link TriggerStatus#ACTIVE} again. Resuming an active trigger does nothing.
     *
     * @param now the current time
     */
    public void resume(Instant now) {
        changeStatus(TriggerStatus.ACTIVE, now);
    }

    /**
     * Switches the trigger off, whatever its status; only {@link #resume} undoes it. Disabling a disabled trigger
     * does nothing.
     *
     * @param now the current time
     */
    public void disable(Instant now) {
        changeStatus(TriggerStatus.DISABLED, now);
    }

    /**
     * Deep-merges {@code patch} into the subscriptions by JSON Merge Patch (RFC 7386, {@link Json#mergePatch}):
     * nested objects merge, a {@code null} member deletes that key, arrays and scalars
     * replace, absent keys are kept. A patch that changes nothing leaves the entity clean (no UPDATE, no version bump).
     *
     * @param patch the patch, a JSON object (a non-object patch would replace the object wholesale, so it is refused)
     * @param now   the current time
     * @throws InvalidInputException when {@code patch} is not a JSON object
     */
    public void mergeSubscriptions(JsonNode patch, Instant now) {
        JsonNode merged = Json.mergePatch(subscriptions, Json.requireObject("patch", patch));
        if (!merged.equals(subscriptions)) {
            subscriptions = merged;
            touch(now);
        }
    }

    private void changeStatus(TriggerStatus next, Instant now) {
        if (status != next) {
            status = next;
            touch(now);
        }
    }

    private void touch(Instant now) {
        updatedAt = Check.notNull("now", now).truncatedTo(ChronoUnit.MILLIS);
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
