package dev.agentstore.persistence.configuration;

import dev.agentstore.persistence.support.AbstractRepository;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.configuration.ConfigurationSnapshot;
import dev.agentstore.domain.definition.DefinitionKind;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.definition.DefinitionRevisions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import org.hibernate.engine.spi.SessionImplementor;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Configuration snapshots: define a new snapshot, load
 * the newest one as raw JSON or mapped to a class with Jackson, list identifiers, read the history, remove.
 *
 * <p><b>Snapshots.</b> A configuration is a versioned definition of kind {@link DefinitionKind#CONFIGURATION}: every
 * {@link #define} appends a version numbered 1, 2, 3... per identifier whose content is the snapshot, through
 * {@link DefinitionRevisions} (the numbering, history and removal code templates share: a row lock on the
 * definition's row, see {@code TemplateRepository}); {@link ConfigurationSnapshot#id()} is the version's
 * {@code seq_id} (sequence {@code configurations_seq}) and the view {@code configurations} keeps the columns
 * {@link ConfigurationSnapshot} maps. The newest snapshot is the one with the highest number, not the one with the
 * latest clock reading (two defines in the same microsecond both succeed, and processes with different clocks cannot
 * make an older snapshot look newer).
 *
 * <p><b>Cache.</b> {@link #loadRaw} and {@link #load} go through the store's {@link ConfigurationCache} (a bounded
 * Caffeine cache with a TTL, shared by all transactions of the store, since a repository lives for one unit of
 * work): a hit sends no SQL. {@link #define} and {@link #remove} invalidate the identifier when they write and again
 * when the transaction ends, and values read while a write is pending are not stored, so this process never serves
 * a rolled-back value or one from before a committed write; another process's writes are seen once the cached
 * value expires (the TTL bounds that staleness). {@link #latest}, {@link #history} and {@link #identifiers} always
 * read the database. See {@link ConfigurationCache} for the details.
 *
 * <p>Runs in the caller's transaction; never begins or commits one. The statements run through
 * {@link dev.agentstore.persistence.support.Sql} on the unit of work's connection ({@link ConfigurationSnapshot} is
 * read-only to JPA); the snapshots handed out are built from the rows read, immutable and attached to no persistence
 * context. Standalone:
 * {@code store.fromTransaction(uow -> uow.configurations().load("llm", LlmSettings.class))}; in a container inject
 * it (with the {@code @ApplicationScoped} {@link ConfigurationCache}).
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class ConfigurationRepository extends AbstractRepository {

    /** Largest accepted {@code limit} of {@link #identifiers(String, int)} and {@link #history(String, int)}. */
    public static final int MAX_LIMIT = 1000;

    /** Numbering, history, identifiers and removal: the definitions' code, shared with templates. */
    private static final DefinitionRevisions<ConfigurationSnapshot> REVISIONS = DefinitionRevisions.of(
            DefinitionKind.CONFIGURATION, v -> ConfigurationSnapshot.recorded(v.seqId(), v.definitionId(), v.number(),
                    v.content(), v.created()));

    @Inject
    private ConfigurationCache cache;

    /** For CDI's proxy; the container injects the entity manager and the cache. */
    protected ConfigurationRepository() {
    }

    /**
     * Standalone use without a cache: every load reads the database.
     *
     * @param em    the transaction's entity manager
     * @param clock where the time comes from ({@code created} of new snapshots)
     */
    public ConfigurationRepository(EntityManager em, Clock clock) {
        this(em, clock, ConfigurationCache.disabled());
    }

    /**
     * Standalone use: a repository bound to one entity manager (one transaction) and the store's cache.
     *
     * @param em    the transaction's entity manager
     * @param clock where the time comes from ({@code created} of new snapshots)
     * @param cache the read cache shared by the store's transactions
     */
    public ConfigurationRepository(EntityManager em, Clock clock, ConfigurationCache cache) {
        super(em, clock);
        this.cache = Objects.requireNonNull(cache, "cache");
    }

    /**
     * Defines a new snapshot of a configuration: it becomes the newest, with a number one
     * more than the previous newest (1 for a new identifier, also after {@link #remove}). Invalidates the cached
     * value now and again when the transaction ends. Two statements (numbering on the definition's row, insert); the
     * value is validated first and an invalid call writes nothing.
     *
     * @param identifier the configuration's identifier, 1–255 characters, not blank
     * @param content    the content, a JSON object
     * @return the stored snapshot, with its number and {@code created} (the clock's now)
     * @throws InvalidInputException when the identifier is invalid or the content is not a JSON object; nothing is
     *                               written
     */
    public ConfigurationSnapshot define(String identifier, JsonNode content) {
        ConfigurationSnapshot.requireIdentifier(identifier);
        JsonNode valid = ConfigurationSnapshot.requireContent(content);
        ConfigurationSnapshot snapshot = REVISIONS.append(em, clock, identifier, valid);
        written(identifier);
        return snapshot;
    }

    /**
     * As {@link #define(String, JsonNode)} for a Java value (a record, a bean, a map), converted with Jackson
     * ({@link Json#of}); it must become a JSON object.
     *
     * @param identifier the configuration's identifier, 1–255 characters
     * @param content    the content
     * @return the stored snapshot
     * @throws InvalidInputException when the identifier is invalid, or the content cannot be converted or is not an
     *                               object (a list, a string, {@code null}...); nothing is written
     */
    public ConfigurationSnapshot define(String identifier, Object content) {
        ConfigurationSnapshot.requireIdentifier(identifier);
        return define(identifier, Json.of("content", Check.notNull("content", content)));
    }

    /**
     * Loads the content of the newest snapshot, from the cache when it holds the
     * identifier (no SQL), else with one query whose result is cached.
     *
     * @param identifier the configuration's identifier
     * @return a copy of the content (a JSON object), or empty when the identifier has no snapshot
     * @throws InvalidInputException when the identifier is invalid
     */
    public Optional<JsonNode> loadRaw(String identifier) {
        ConfigurationSnapshot.requireIdentifier(identifier);
        return cache.get(identifier, () -> REVISIONS.latest(em, identifier).map(ConfigurationSnapshot::content));
    }

    /**
     * Loads the newest snapshot mapped to {@code type} with Jackson ({@code Json.MAPPER.treeToValue}):
     * through the cache as {@link #loadRaw}, and mapped anew on every call, so
     * the caller may change the object it gets. Unknown properties fail the mapping (Jackson's default); annotate
     * the class with {@code @JsonIgnoreProperties(ignoreUnknown = true)} to accept them.
     *
     * @param identifier the configuration's identifier
     * @param type       the class to map to (a record, a bean with a default constructor, {@code Map.class}...)
     * @param <T>        the type
     * @return the mapped content, or empty when the identifier has no snapshot
     * @throws InvalidInputException when the identifier is invalid, {@code type} is {@code null}, or the content
     *                               cannot be mapped to {@code type}; the message names the class and the identifier
     */
    public <T> Optional<T> load(String identifier, Class<T> type) {
        ConfigurationSnapshot.requireIdentifier(identifier);
        Check.notNull("type", type);
        return loadRaw(identifier).map(content -> {
            try {
                return Json.MAPPER.treeToValue(content, type);
            } catch (JsonProcessingException e) {
                throw new InvalidInputException("configuration " + identifier + " cannot be mapped to "
                        + type.getName() + ": " + e.getOriginalMessage(), e);
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException("configuration " + identifier + " cannot be mapped to "
                        + type.getName() + ": " + e.getMessage(), e);
            }
        });
    }

    /**
     * Reads the newest snapshot with its number and creation time, from the database (not the cache). One query.
     *
     * @param identifier the configuration's identifier
     * @return the newest snapshot, or empty when there is none
     * @throws InvalidInputException when the identifier is invalid
     */
    public Optional<ConfigurationSnapshot> latest(String identifier) {
        ConfigurationSnapshot.requireIdentifier(identifier);
        return REVISIONS.latest(em, identifier);
    }

    /**
     * Lists the snapshots of a configuration, newest first, at most {@code limit} of them. One query.
     *
     * @param identifier the configuration's identifier
     * @param limit      the most snapshots to return, 1 to {@value #MAX_LIMIT}
     * @return the snapshots, highest number first; empty when there are none; unmodifiable
     * @throws InvalidInputException when the identifier or limit is invalid
     */
    public List<ConfigurationSnapshot> history(String identifier, int limit) {
        ConfigurationSnapshot.requireIdentifier(identifier);
        Check.range("limit", limit, 1, MAX_LIMIT);
        return REVISIONS.history(em, identifier, limit);
    }

    /**
     * Lists every snapshot of a configuration, newest first. One query.
     *
     * @param identifier the configuration's identifier
     * @return the snapshots, highest number first; empty when there are none; unmodifiable
     * @throws InvalidInputException when the identifier is invalid
     */
    public List<ConfigurationSnapshot> history(String identifier) {
        ConfigurationSnapshot.requireIdentifier(identifier);
        return REVISIONS.history(em, identifier, null);
    }

    /**
     * Lists identifiers that have at least one snapshot, in code-point order, one keyset page at a time: pass
     * {@code null} for the first page and the last identifier of a page for the next; a page shorter than
     * {@code limit} is the last. One query per page.
     *
     * @param afterIdentifier the last identifier of the previous page (exclusive), or {@code null}
     * @param limit           the most identifiers to return, 1 to {@value #MAX_LIMIT}
     * @return the identifiers, sorted; unmodifiable
     * @throws InvalidInputException when the cursor or the limit is invalid
     */
    public List<String> identifiers(String afterIdentifier, int limit) {
        String after = afterIdentifier == null ? "" : ConfigurationSnapshot.requireIdentifier(afterIdentifier);
        Check.range("limit", limit, 1, MAX_LIMIT);
        return REVISIONS.ids(em, after, limit);
    }

    /**
     * Lists every identifier that has at least one snapshot, in code-point
     * order, reading pages of {@value #MAX_LIMIT}. Meant for the usual handful of configurations; page with
     * {@link #identifiers(String, int)} when there are many.
     *
     * @return the identifiers, sorted; unmodifiable
     */
    public List<String> identifiers() {
        List<String> all = new ArrayList<>();
        List<String> page;
        String after = null;
        do {
            page = identifiers(after, MAX_LIMIT);
            all.addAll(page);
            after = page.isEmpty() ? null : page.get(page.size() - 1);
        } while (page.size() == MAX_LIMIT);
        return List.copyOf(all);
    }

    /**
     * Removes every snapshot of a configuration and invalidates its cached value now and
     * again when the transaction ends. Defining it again starts over at revision 1. One statement.
     *
     * @param identifier the configuration's identifier
     * @return how many snapshots were removed; 0 when there were none
     * @throws InvalidInputException when the identifier is invalid
     */
    public int remove(String identifier) {
        ConfigurationSnapshot.requireIdentifier(identifier);
        int removed = REVISIONS.remove(em, identifier);
        written(identifier);
        return removed;
    }

    /**
     * Tells the cache that this transaction wrote {@code identifier}: it is invalidated now and, through a Hibernate
     * after-completion callback (which runs after a commit and after a rollback, standalone and under JTA), again
     * when the transaction ends; until then the cache stores no values.
     */
    private void written(String identifier) {
        if (cache.enabled()) {
            em.unwrap(SessionImplementor.class).getActionQueue()
                    .registerProcess((success, session) -> cache.writeEnded(identifier));
            cache.writeStarted(identifier);
        }
    }

}
