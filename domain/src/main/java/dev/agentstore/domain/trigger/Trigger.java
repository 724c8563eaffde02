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
 * A registered trigger (table {@code triggers}): its name, status, registration time, its definition
 * ({@link TriggerDefinition}: type, display name, description, scope, source, webhook and schedule configuration, free
 * configuration, subscriptions — the last updated by JSON Merge Patch), its stats (fires, flows started, active
 * subscribers, last fire), named {@link #counters()} and {@link #lastActivityAt()}.
 *
 * <p>The repository ({@code TriggerRepository}) writes the table with set-based SQL; this entity is the mapping for
 * JPA users' reads (JPQL, Criteria), read-only to JPA ({@link ReadOnlyEntity}), and holds the rules of its changes:
 * {@link #paused}, {@link #resumed}, {@link #disabled} and {@link #withMergedSubscriptions} compute the state a
 * change leaves, without changing this instance, and the repository writes that state, checked against
 * {@link #version()}.
 *
 * <p>The stats ({@link #totalFires()}, {@link #flowsStarted()}, {@link #activeSubscribers()}, {@link #lastFiredAt()}),
 * the {@link #counters()} and {@link #lastActivityAt()} are owned by single-statement atomic SQL in the repository
 * ({@code fire}, {@code recordFlowsStarted}, {@code increment}): an increment neither bumps the version nor
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

    @Column(name = "display_name")
    private String displayName;

    @Column(name = "description", columnDefinition = "text")
    private String description;

    @Column(name = "scope", length = 64)
    private String scope;

    @Column(name = "source")
    private String source;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "webhook", columnDefinition = "jsonb")
    private JsonNode webhook;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "schedule", columnDefinition = "jsonb")
    private JsonNode schedule;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "config", columnDefinition = "jsonb", nullable = false)
    private JsonNode config;

    @Column(name = "last_activity_at")
    private Instant lastActivityAt;

    @Column(name = "stats_active_subscribers", nullable = false)
    private long activeSubscribers;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(name = "counters", columnDefinition = "jsonb", nullable = false)
    private JsonNode counters;

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
        this(name, TriggerDefinition.of(type).subscriptions(Json.requireObject("subscriptions", subscriptions)),
                registeredAt);
    }

    /**
     * A new, {@link TriggerStatus#ACTIVE} trigger with zero stats and counters: what {@code register} stores for a new
     * name.
     *
     * @param name       the trigger's name, 1–255 characters, not blank
     * @param definition what it is; its {@code registeredAt}, when set, is the registration time
     * @param now        the current time: the registration time unless the definition names one, and the change time
     * @throws InvalidInputException when {@code name} is blank or longer than 255 characters, or an argument is
     *                               {@code null}
     */
    public Trigger(String name, TriggerDefinition definition, Instant now) {
        this.name = Check.name("name", name);
        Check.notNull("definition", definition);
        Instant at = Check.notNull("now", now).truncatedTo(ChronoUnit.MILLIS);
        define(definition);
        this.registeredAt = definition.registeredAt() != null ? definition.registeredAt() : at;
        this.updatedAt = at;
        this.status = TriggerStatus.ACTIVE;
        this.counters = Json.object();
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
        t.config = Json.object();
        t.counters = Json.object();
        return t;
    }

    /**
     * A trigger as read from the database with every column: for repositories that map {@code triggers} rows with
     * SQL. The values are taken as stored (the definition copies its JSON values).
     *
     * @param name              the trigger's name
     * @param definition        its definition (its {@code registeredAt} is ignored)
     * @param status            its status
     * @param registeredAt      when it was first registered
     * @param stats             its stats and last activity
     * @param counters          its named counters, a JSON object of numbers
     * @param version           its version
     * @param updatedAt         when its definition, status or subscriptions last changed
     * @return the trigger, not attached to any persistence context
     * @throws InvalidInputException when a value is {@code null}
     */
    public static Trigger of(String name, TriggerDefinition definition, TriggerStatus status, Instant registeredAt,
                             Stats stats, JsonNode counters, long version, Instant updatedAt) {
        Trigger t = new Trigger();
        t.name = Check.notNull("name", name);
        t.define(Check.notNull("definition", definition));
        t.status = Check.notNull("status", status);
        t.registeredAt = Check.notNull("registeredAt", registeredAt);
        Check.notNull("stats", stats);
        t.totalFires = stats.totalFires();
        t.flowsStarted = stats.flowsStarted();
        t.activeSubscribers = stats.activeSubscribers();
        t.lastFiredAt = stats.lastFiredAt();
        t.lastActivityAt = stats.lastActivityAt();
        t.counters = Check.notNull("counters", counters);
        t.version = version;
        t.updatedAt = Check.notNull("updatedAt", updatedAt);
        return t;
    }

    /**
     * A trigger's stats as stored (columns {@code stats_*} and {@code last_activity_at}).
     *
     * @param totalFires        how many times it fired
     * @param flowsStarted      how many flows its fires started
     * @param activeSubscribers how many subscribers are active
     * @param lastFiredAt       when it last fired, or {@code null}
     * @param lastActivityAt    when it last fired or a counter moved, or {@code null}
     */
    public record Stats(long totalFires, long flowsStarted, long activeSubscribers, Instant lastFiredAt,
                        Instant lastActivityAt) {
    }

    private void define(TriggerDefinition d) {
        type = d.type();
        displayName = d.displayName();
        description = d.description();
        scope = d.scope();
        source = d.source();
        webhook = d.webhook();
        schedule = d.schedule();
        config = d.config();
        subscriptions = d.subscriptions();
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
        return of(name, definition(), status, registeredAt, stats(), counters, version,
                Check.notNull("now", now).truncatedTo(ChronoUnit.MILLIS));
    }

    /** @return its definition (type, descriptive fields, configuration, subscriptions) with its registration time */
    public TriggerDefinition definition() {
        return new TriggerDefinition(type, displayName, description, scope, source, webhook, schedule,
                config == null ? Json.object() : config, subscriptions, registeredAt);
    }

    /** @return its stats and last activity */
    public Stats stats() {
        return new Stats(totalFires, flowsStarted, activeSubscribers, lastFiredAt, lastActivityAt);
    }

    /** @return a name for people, or {@code null} */
    public String displayName() {
        return displayName;
    }

    /** @return its description, or {@code null} */
    public String description() {
        return description;
    }

    /** @return what it applies to (free text, for example {@code flow} or {@code run}), or {@code null} */
    public String scope() {
        return scope;
    }

    /** @return where it was declared (free text, for example {@code code}), or {@code null} */
    public String source() {
        return source;
    }

    /** @return a copy of its webhook configuration, a JSON object, or {@code null} */
    public JsonNode webhook() {
        return webhook == null ? null : webhook.deepCopy();
    }

    /** @return a copy of its schedule configuration, a JSON object, or {@code null} */
    public JsonNode schedule() {
        return schedule == null ? null : schedule.deepCopy();
    }

    /** @return a copy of its free configuration, a JSON object */
    public JsonNode config() {
        return config == null ? Json.object() : config.deepCopy();
    }

    /** @return how many subscribers are active (stat {@code activeSubscribers}) */
    public long activeSubscribers() {
        return activeSubscribers;
    }

    /** @return when it last fired or one of its counters moved, or {@code null} when neither happened */
    public Instant lastActivityAt() {
        return lastActivityAt;
    }

    /** @return a copy of its named counters (other than the stats), a JSON object of integers; {@code {}} when none */
    public JsonNode counters() {
        return counters == null ? Json.object() : counters.deepCopy();
    }

    /**
     * @param counter a counter's name: {@code totalFires}, {@code flowsStarted}, {@code activeSubscribers} (with or
     *                without the prefix {@code stats.}) or a name of {@link #counters()}
     * @return its value; 0 for a named counter that was never incremented
     */
    public long counter(String counter) {
        return switch (counter.startsWith("stats.") ? counter.substring(6) : counter) {
            case "totalFires" -> totalFires;
            case "flowsStarted" -> flowsStarted;
            case "activeSubscribers" -> activeSubscribers;
            default -> counters == null || !counters.has(counter) ? 0 : counters.get(counter).asLong();
        };
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
