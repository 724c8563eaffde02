package dev.agentstore.domain.trigger;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * What a registration stores of a trigger: the fields of nvent's trigger index that describe it (type, display name,
 * description, scope, source, webhook and schedule configuration, free configuration) and its subscriptions. A
 * registration replaces all of them (nvent's {@code index.add}); status, stats, counters and last activity are not
 * part of it. Start from {@link #of(TriggerType)} and set what the trigger has:
 *
 * <pre>{@code
 * triggers.define("orders-webhook", TriggerDefinition.of(TriggerType.WEBHOOK)
 *         .displayName("Orders").scope("flow").source("code")
 *         .webhook(Json.of("webhook", Map.of("path", "/hooks/orders", "method", "POST"))));
 * }</pre>
 *
 * <p>Immutable: JSON values are copied in and out.
 *
 * @param type          what makes it fire; required
 * @param displayName   a name for people, 1–255 characters, or {@code null}
 * @param description   free text, at most {@value #MAX_DESCRIPTION_LENGTH} characters, or {@code null}
 * @param scope         what it applies to, for example {@code flow} or {@code run} (free text, 1–64 characters), or
 *                      {@code null}
 * @param source        where it was declared, for example {@code code} or {@code config} (free text, 1–255
 *                      characters), or {@code null}
 * @param webhook       webhook configuration (path, method, auth, …), a JSON object, or {@code null}
 * @param schedule      schedule configuration (cron, time zone, …), a JSON object, or {@code null}
 * @param config        free configuration, a JSON object; {@code null} means {@code {}}
 * @param subscriptions its subscriptions, a JSON object; {@code null} means {@code {}}
 * @param registeredAt  the registration time to store for a NEW trigger (an import keeps its history), truncated to
 *                      milliseconds; {@code null} means the clock's now. A re-registration keeps the stored time.
 */
public record TriggerDefinition(TriggerType type, String displayName, String description, String scope,
                                String source, JsonNode webhook, JsonNode schedule, JsonNode config,
                                JsonNode subscriptions, Instant registeredAt) {

    /** Longest {@link #description()}: 10,000 characters. */
    public static final int MAX_DESCRIPTION_LENGTH = 10_000;

    /** Longest {@link #scope()}: 64 characters. */
    public static final int MAX_SCOPE_LENGTH = 64;

    /**
     * Validates and copies.
     *
     * @throws InvalidInputException when {@code type} is {@code null}, a text is blank or too long, a JSON value that
     *                               must be an object is not, or {@code registeredAt} is outside PostgreSQL's
     *                               timestamptz range (the message names the field)
     */
    public TriggerDefinition {
        Check.notNull("type", type);
        Check.optionalName("displayName", displayName);
        if (description != null) {
            Check.text("description", description, MAX_DESCRIPTION_LENGTH);
        }
        if (scope != null) {
            Check.text("scope", scope, MAX_SCOPE_LENGTH);
        }
        Check.optionalName("source", source);
        webhook = webhook == null ? null : Json.requireObject("webhook", webhook).deepCopy();
        schedule = schedule == null ? null : Json.requireObject("schedule", schedule).deepCopy();
        config = config == null ? Json.object() : Json.requireObject("config", config).deepCopy();
        subscriptions = subscriptions == null ? Json.object()
                : Json.requireObject("subscriptions", subscriptions).deepCopy();
        registeredAt = Check.instant("registeredAt", registeredAt) == null ? null
                : registeredAt.truncatedTo(ChronoUnit.MILLIS);
    }

    /**
     * @param type what makes the trigger fire
     * @return a definition with only the type set (empty configuration and subscriptions)
     * @throws InvalidInputException when {@code type} is {@code null}
     */
    public static TriggerDefinition of(TriggerType type) {
        return new TriggerDefinition(type, null, null, null, null, null, null, null, null, null);
    }

    /**
     * @param displayName a name for people, or {@code null}
     * @return a copy with it
     */
    public TriggerDefinition displayName(String displayName) {
        return new TriggerDefinition(type, displayName, description, scope, source, webhook, schedule, config,
                subscriptions, registeredAt);
    }

    /**
     * @param description free text, or {@code null}
     * @return a copy with it
     */
    public TriggerDefinition description(String description) {
        return new TriggerDefinition(type, displayName, description, scope, source, webhook, schedule, config,
                subscriptions, registeredAt);
    }

    /**
     * @param scope what the trigger applies to, or {@code null}
     * @return a copy with it
     */
    public TriggerDefinition scope(String scope) {
        return new TriggerDefinition(type, displayName, description, scope, source, webhook, schedule, config,
                subscriptions, registeredAt);
    }

    /**
     * @param source where the trigger was declared, or {@code null}
     * @return a copy with it
     */
    public TriggerDefinition source(String source) {
        return new TriggerDefinition(type, displayName, description, scope, source, webhook, schedule, config,
                subscriptions, registeredAt);
    }

    /**
     * @param webhook webhook configuration, a JSON object, or {@code null}
     * @return a copy with it
     */
    public TriggerDefinition webhook(JsonNode webhook) {
        return new TriggerDefinition(type, displayName, description, scope, source, webhook, schedule, config,
                subscriptions, registeredAt);
    }

    /**
     * @param schedule schedule configuration, a JSON object, or {@code null}
     * @return a copy with it
     */
    public TriggerDefinition schedule(JsonNode schedule) {
        return new TriggerDefinition(type, displayName, description, scope, source, webhook, schedule, config,
                subscriptions, registeredAt);
    }

    /**
     * @param config free configuration, a JSON object, or {@code null} for {@code {}}
     * @return a copy with it
     */
    public TriggerDefinition config(JsonNode config) {
        return new TriggerDefinition(type, displayName, description, scope, source, webhook, schedule, config,
                subscriptions, registeredAt);
    }

    /**
     * @param subscriptions the subscriptions, a JSON object, or {@code null} for {@code {}}
     * @return a copy with them
     */
    public TriggerDefinition subscriptions(JsonNode subscriptions) {
        return new TriggerDefinition(type, displayName, description, scope, source, webhook, schedule, config,
                subscriptions, registeredAt);
    }

    /**
     * @param registeredAt the registration time of a new trigger, or {@code null} for the clock's now
     * @return a copy with it
     */
    public TriggerDefinition registeredAt(Instant registeredAt) {
        return new TriggerDefinition(type, displayName, description, scope, source, webhook, schedule, config,
                subscriptions, registeredAt);
    }

    /** @return a copy of the webhook configuration, or {@code null} */
    @Override
    public JsonNode webhook() {
        return webhook == null ? null : webhook.deepCopy();
    }

    /** @return a copy of the schedule configuration, or {@code null} */
    @Override
    public JsonNode schedule() {
        return schedule == null ? null : schedule.deepCopy();
    }

    /** @return a copy of the free configuration, a JSON object */
    @Override
    public JsonNode config() {
        return config.deepCopy();
    }

    /** @return a copy of the subscriptions, a JSON object */
    @Override
    public JsonNode subscriptions() {
        return subscriptions.deepCopy();
    }
}
