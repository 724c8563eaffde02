package dev.agentstore.persistence.definition;

import dev.agentstore.persistence.support.AbstractRepository;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.definition.Definition;
import dev.agentstore.domain.definition.DefinitionKind;
import dev.agentstore.domain.definition.DefinitionStatus;
import dev.agentstore.domain.definition.DefinitionVersion;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Versioned definitions of every {@link DefinitionKind} (Mastra's agents, prompt blocks, scorer definitions, MCP
 * clients and servers, workspaces, skills): a row per kind and id (status, published and latest version numbers,
 * author, metadata, optimistic {@code version}) and immutable numbered versions whose content is checked against the
 * kind's JSON Schema ({@link DefinitionSchemas}) before anything is written. {@link TypedDefinitions} types a kind.
 * Templates and configurations are the kinds {@link DefinitionKind#TEMPLATE} and {@link DefinitionKind#CONFIGURATION},
 * written as revision logs by {@link DefinitionRevisions} (their repositories' code path) and readable here too.
 *
 * <p><b>Version numbers.</b> {@link #createVersion} numbers with {@code UPDATE definitions SET latest_version =
 * latest_version + 1 ... RETURNING latest_version}: that row lock queues concurrent creations for one definition until
 * each transaction ends, and a rollback gives its number back: no duplicates, no gaps. Deleted numbers are not reused.
 *
 * <p><b>Optimistic locking.</b> {@link #update}, {@link #publish}, {@link #rollback} and {@link #archive} increment
 * {@code version} and are checked against the version this transaction read through this repository, or against an
 * explicit {@code expectedVersion}: a mismatch is a {@link dev.agentstore.domain.ConcurrencyConflictException} and
 * nothing is written. Creating a version leaves {@code version} as it is.
 *
 * <p>Runs in the caller's transaction, never begins or commits one (see {@link dev.agentstore.persistence}).
 * Standalone: {@code store.fromTransaction(uow -> uow.definitions().get(DefinitionKind.AGENT, "support"))}; in a
 * container inject it.
 */
@ApplicationScoped
public class DefinitionRepository extends AbstractRepository {

    /** Largest accepted {@code limit} of {@link #list} and {@link #listVersions}. */
    public static final int MAX_LIMIT = 1000;

    private static final String ENTITY = "Definition";

    private static final ReadVersions.Entity<Definition> VERSIONS = new ReadVersions.Entity<>(ENTITY,
            d -> key(d.kind(), d.id()), Definition::version);

    /**
     * Creates a definition in status {@code DRAFT} with its version 1 (Mastra's {@code create}). Two statements.
     *
     * @param kind          the kind
     * @param id            the id, 1–255 characters, unique within the kind
     * @param content       version 1's content, a JSON object the kind's schema accepts
     * @param metadata      a JSON object, or {@code null} for {@code {}}
     * @param author        the author, or {@code null}
     * @param changeMessage version 1's change message, or {@code null}
     * @return the definition (latest version 1, none published)
     * @throws InvalidInputException                  when a value is invalid or the content violates the schema (the
     *                                                message names its JSON path); nothing is written
     * @throws dev.agentstore.domain.DuplicateException when the kind already has a definition with that id
     */
    public Definition create(DefinitionKind kind, String id, JsonNode content, JsonNode metadata, String author,
                             String changeMessage) {
        String checked = checkedContent(em, kind, id, content);
        String meta = JsonWrites.print(em, "metadata", Definition.requireMetadata(metadata));
        Definition.requireAuthor(author);
        Definition.requireMessage(changeMessage);
        Instant now = now();
        return VERSIONS.read(em, Sql.call(em, "create Definition " + key(kind, id), h -> {
            Definition d = h.createQuery(DefinitionSql.INSERT)
                    .bindMap(Sql.parameters("kind", kind.storedName(), "id", id, "author", author, "metadata", meta,
                            "now", now))
                    .map(DefinitionSql.DEFINITION).one();
            DefinitionVersions.insert(h, kind, id, 1, checked, changeMessage, author, now);
            return d;
        }));
    }

    /**
     * Reads a definition (Mastra's {@code getById}) and records its version for later checked writes. One query.
     *
     * @param kind the kind
     * @param id   the id
     * @return the definition, or empty
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<Definition> get(DefinitionKind kind, String id) {
        requireKey(kind, id);
        return find(kind, id).map(d -> VERSIONS.read(em, d));
    }

    /**
     * Lists one kind's definitions in id order (by code point), one keyset page at a time (Mastra's {@code list}):
     * pass {@code null} as {@code afterId} for the first page and the last id of a page for the next; a page shorter
     * than {@code limit} is the last. One query per page.
     *
     * @param kind           the kind
     * @param metadataFilter a JSON object the metadata must contain ({@code @>}), or {@code null} for all
     * @param status         only definitions in this status, or {@code null} for all
     * @param afterId        the last id of the previous page (exclusive), or {@code null}
     * @param limit          the most definitions to return, 1 to {@value #MAX_LIMIT}
     * @return the definitions; unmodifiable
     * @throws InvalidInputException when the filter is not an object, the cursor is invalid or the limit is out of
     *                               range
     */
    public List<Definition> list(DefinitionKind kind, JsonNode metadataFilter, DefinitionStatus status,
                                 String afterId, int limit) {
        Check.notNull("kind", kind);
        String filter = JsonWrites.print(em, "metadataFilter", Definition.requireMetadata(metadataFilter));
        String after = afterId == null ? "" : Definition.requireId(afterId);
        Check.range("limit", limit, 1, MAX_LIMIT);
        List<Definition> page = Sql.call(em, "list Definitions " + kind.storedName(), h -> h
                .createQuery(DefinitionSql.LIST)
                .bindMap(Sql.parameters("kind", kind.storedName(), "after", after, "filter", filter,
                        "status", status == null ? null : status.name(), "limit", limit))
                .map(DefinitionSql.DEFINITION)
                .collect(Collectors.toUnmodifiableList()));
        page.forEach(d -> VERSIONS.read(em, d));
        return page;
    }

    /**
     * Changes the metadata and/or author in place (Mastra's {@code update}), checked against the version this
     * transaction read, if it read the definition. One statement.
     *
     * @param kind     the kind
     * @param id       the id
     * @param metadata the new metadata (replaces the old), or {@code null} to keep it
     * @param author   the new author, or {@code null} to keep it
     * @return the updated definition
     * @throws InvalidInputException                              when a value is invalid
     * @throws NotFoundException                                  when there is no such definition
     * @throws dev.agentstore.domain.ConcurrencyConflictException when it changed since this transaction read it
     */
    public Definition update(DefinitionKind kind, String id, JsonNode metadata, String author) {
        return update(kind, id, metadata, author, readVersion(kind, id));
    }

    /**
     * As {@link #update(DefinitionKind, String, JsonNode, String)}, only if the row still has
     * {@code expectedVersion} (compare-and-set for a definition read in another transaction).
     *
     * @param kind            the kind
     * @param id              the id
     * @param metadata        the new metadata, or {@code null} to keep it
     * @param author          the new author, or {@code null} to keep it
     * @param expectedVersion the {@link Definition#version()} the caller read
     * @return the updated definition
     * @throws NotFoundException when there is no such definition
     * @throws dev.agentstore.domain.ConcurrencyConflictException when the version differs; nothing is written
     */
    public Definition update(DefinitionKind kind, String id, JsonNode metadata, String author, long expectedVersion) {
        return update(kind, id, metadata, author, (Long) Check.notNegative("expectedVersion", expectedVersion));
    }

    private Definition update(DefinitionKind kind, String id, JsonNode metadata, String author, Long expected) {
        requireKey(kind, id);
        String meta = metadata == null ? null : JsonWrites.print(em, "metadata", Definition.requireMetadata(metadata));
        Definition.requireAuthor(author);
        return write(kind, id, expected, "update", DefinitionSql.UPDATE, Sql.parameters("metadata", meta,
                "author", author));
    }

    /**
     * Publishes an existing version: it becomes the active one and the status {@code PUBLISHED}. Checked against
     * the version this transaction read, if any. One statement.
     *
     * @param kind   the kind
     * @param id     the id
     * @param number the version's number
     * @return the updated definition
     * @throws InvalidInputException                              when a value is invalid
     * @throws NotFoundException                                  when the definition or the version does not exist
     * @throws dev.agentstore.domain.ConcurrencyConflictException when it changed since this transaction read it
     */
    public Definition publish(DefinitionKind kind, String id, int number) {
        return publish(kind, id, number, readVersion(kind, id));
    }

    /**
     * As {@link #publish(DefinitionKind, String, int)}, only if the row still has {@code expectedVersion}.
     *
     * @param kind            the kind
     * @param id              the id
     * @param number          the version's number
     * @param expectedVersion the {@link Definition#version()} the caller read
     * @return the updated definition
     * @throws NotFoundException when the definition or the version does not exist
     * @throws dev.agentstore.domain.ConcurrencyConflictException when the version differs; nothing is written
     */
    public Definition publish(DefinitionKind kind, String id, int number, long expectedVersion) {
        return publish(kind, id, number, (Long) Check.notNegative("expectedVersion", expectedVersion));
    }

    private Definition publish(DefinitionKind kind, String id, int number, Long expected) {
        requireKey(kind, id);
        Check.range("number", number, 1, Integer.MAX_VALUE);
        return write(kind, id, expected, "publish", DefinitionSql.PUBLISH, Sql.parameters("number", number));
    }

    /**
     * Rolls back: publishes {@code number}, which must be older than the published version.
     * @param kind   the kind
     * @param id     the id
     * @param number an older version's number
     * @return the updated definition
     * @throws InvalidInputException                              when nothing is published or {@code number} is not
     *                                                            older than the published version
     * @throws NotFoundException                                  when the definition or the version does not exist
     * @throws dev.agentstore.domain.ConcurrencyConflictException when it changed since this transaction read it
     */
    public Definition rollback(DefinitionKind kind, String id, int number) {
        requireKey(kind, id);
        Definition current = find(kind, id).orElseThrow(() -> new NotFoundException(ENTITY, key(kind, id)));
        if (current.publishedVersion() == null || number >= current.publishedVersion()) {
            throw new InvalidInputException("number must be older than the published version "
                    + current.publishedVersion() + ", was " + number);
        }
        OptionalLong read = ReadVersions.of(em).expected(ENTITY, key(kind, id));
        return publish(kind, id, number, read.isPresent() ? read.getAsLong() : current.version());
    }

    /**
     * Archives a definition (status {@code ARCHIVED}; its versions and published pointer stay). One statement.
     *
     * @param kind the kind
     * @param id   the id
     * @return the updated definition
     * @throws NotFoundException                                  when there is no such definition
     * @throws dev.agentstore.domain.ConcurrencyConflictException when it changed since this transaction read it
     */
    public Definition archive(DefinitionKind kind, String id) {
        requireKey(kind, id);
        return write(kind, id, readVersion(kind, id), "archive", DefinitionSql.SET_STATUS,
                Sql.parameters("status", DefinitionStatus.ARCHIVED.name()));
    }

    /**
     * Deletes a definition and all its versions (Mastra's {@code delete}). One statement.
     *
     * @param kind the kind
     * @param id   the id
     * @return whether it existed
     * @throws InvalidInputException when the id is invalid
     */
    public boolean delete(DefinitionKind kind, String id) {
        requireKey(kind, id);
        return Sql.call(em, "delete Definition " + key(kind, id), h -> h.createUpdate(DefinitionSql.DELETE)
                .bind("kind", kind.storedName()).bind("id", id).execute()) > 0;
    }

    /**
     * Creates the next version (Mastra's {@code createVersion}); see the class comment for its number. Two
     * statements. It does not publish it.
     *
     * @param kind          the kind
     * @param id            the definition's id
     * @param content       the content, a JSON object the kind's schema accepts
     * @param changeMessage a change message, or {@code null}
     * @param author        the author, or {@code null}
     * @return the version
     * @throws InvalidInputException when a value is invalid or the content violates the schema; nothing is written
     * @throws NotFoundException     when there is no such definition
     */
    public DefinitionVersion createVersion(DefinitionKind kind, String id, JsonNode content, String changeMessage,
                                           String author) {
        String checked = checkedContent(em, kind, id, content);
        Definition.requireAuthor(author);
        Definition.requireMessage(changeMessage);
        Instant now = now();
        return Sql.call(em, "create DefinitionVersion " + key(kind, id), h -> {
            int number = h.createQuery(DefinitionSql.NEXT_NUMBER)
                    .bind("kind", kind.storedName()).bind("id", id).bind("now", now)
                    .mapTo(Integer.class).findOne()
                    .orElseThrow(() -> new NotFoundException(ENTITY, key(kind, id)));
            return DefinitionVersions.insert(h, kind, id, number, checked, changeMessage, author, now);
        });
    }

    /**
     * Deletes one version (Mastra's {@code deleteVersion}); its number is not reused. Two statements (the
     * definition's row is locked first).
     *
     * @param versionId the version's id
     * @return whether it existed
     * @throws InvalidInputException when it is the published version (publish another first)
     */
    public boolean deleteVersion(UUID versionId) {
        Check.notNull("versionId", versionId);
        return Sql.call(em, "delete DefinitionVersion " + versionId, h -> {
            Optional<Integer[]> row = h.createQuery(DefinitionSql.LOCK_FOR_VERSION).bind("versionId", versionId)
                    .map((rs, ctx) -> new Integer[]{(Integer) rs.getObject("published_version"), rs.getInt("number")})
                    .findOne();
            if (row.isEmpty()) {
                return false;
            }
            if (row.get()[1].equals(row.get()[0])) {
                throw new InvalidInputException("version " + row.get()[1] + " is published; publish another first");
            }
            return h.createUpdate(DefinitionSql.DELETE_VERSION).bind("versionId", versionId).execute() > 0;
        });
    }

    /**
     * Computes the RFC 6902 JSON Patch from one version's content to another's, with zjsonpatch (plain {@code add},
     * {@code remove} and {@code replace} operations, no {@code move} or {@code copy}). One query.
     *
     * @param kind the kind
     * @param id   the id
     * @param from the older version's number
     * @param to   the newer version's number
     * @return the patch, a JSON array of operations; applying it to {@code from}'s content gives {@code to}'s
     * @throws InvalidInputException when a value is invalid
     * @throws NotFoundException     when either version does not exist
     */
    public JsonNode diff(DefinitionKind kind, String id, int from, int to) {
        requireKey(kind, id);
        Check.range("from", from, 1, Integer.MAX_VALUE);
        Check.range("to", to, 1, Integer.MAX_VALUE);
        return versions().diff(kind, id, from, to);
    }

    /**
     * Reads a version by its id (Mastra's {@code getVersion}). One query.
     * @param versionId the version's id
     * @return the version, or empty
     */
    public Optional<DefinitionVersion> getVersion(UUID versionId) {
        return versions().byId(versionId);
    }

    /**
     * Reads a version by number (Mastra's {@code getVersionByNumber}). One query.
     *
     * @param kind   the kind
     * @param id     the definition's id
     * @param number the number
     * @return the version, or empty
     * @throws InvalidInputException when a value is invalid
     */
    public Optional<DefinitionVersion> getVersionByNumber(DefinitionKind kind, String id, int number) {
        requireKey(kind, id);
        Check.range("number", number, 1, Integer.MAX_VALUE);
        return versions().byNumber(kind, id, number);
    }

    /**
     * Reads the version with the highest number (Mastra's {@code getLatestVersion}). One query.
     *
     * @param kind the kind
     * @param id   the definition's id
     * @return the latest version, or empty when it has none
     * @throws InvalidInputException when a value is invalid
     */
    public Optional<DefinitionVersion> getLatestVersion(DefinitionKind kind, String id) {
        requireKey(kind, id);
        return versions().page(kind, id, null, 1).stream().findFirst();
    }

    /**
     * Reads the published (active) version. One query.
     * @param kind the kind
     * @param id   the definition's id
     * @return the published version, or empty when none is published
     * @throws InvalidInputException when a value is invalid
     */
    public Optional<DefinitionVersion> getPublishedVersion(DefinitionKind kind, String id) {
        requireKey(kind, id);
        return versions().published(kind, id);
    }

    /**
     * Lists versions newest first, one keyset page at a time (Mastra's {@code listVersions}): pass {@code null} as
     * {@code beforeNumber} for the first page and the last number of a page for the next. One query per page.
     *
     * @param kind         the kind
     * @param id           the definition's id
     * @param beforeNumber only versions numbered below this, or {@code null} for the newest
     * @param limit        the most versions to return, 1 to {@value #MAX_LIMIT}
     * @return the versions, highest number first; unmodifiable
     * @throws InvalidInputException when a value is invalid
     */
    public List<DefinitionVersion> listVersions(DefinitionKind kind, String id, Integer beforeNumber, int limit) {
        requireKey(kind, id);
        Check.range("limit", limit, 1, MAX_LIMIT);
        return versions().page(kind, id, beforeNumber, limit);
    }

    /**
     * Counts a definition's versions (Mastra's {@code countVersions}). One query.
     *
     * @param kind the kind
     * @param id   the definition's id
     * @return how many versions it has; 0 when it does not exist
     * @throws InvalidInputException when a value is invalid
     */
    public long countVersions(DefinitionKind kind, String id) {
        requireKey(kind, id);
        return versions().count(kind, id);
    }


    /** One checked in-place write; with no row, tells a missing definition, a lost race, a missing version apart. */
    private Definition write(DefinitionKind kind, String id, Long expected, String what, String sql,
                             Map<String, Object> values) {
        values.putAll(Sql.parameters("kind", kind.storedName(), "id", id, "expected", expected, "now", now()));
        Optional<Definition> written = Sql.call(em, what + " Definition " + key(kind, id), h -> h.createQuery(sql)
                .bindMap(values).map(DefinitionSql.DEFINITION).findOne());
        if (written.isPresent()) {
            return VERSIONS.wrote(em, written.get());
        }
        Definition current = find(kind, id).orElseThrow(() -> new NotFoundException(ENTITY, key(kind, id)));
        if (expected != null && current.version() != expected) {
            throw ReadVersions.conflict(ENTITY, key(kind, id), expected, current.version());
        }
        throw new NotFoundException("DefinitionVersion", key(kind, id) + "/" + values.get("number"));
    }

    private Optional<Definition> find(DefinitionKind kind, String id) {
        return Sql.call(em, "get Definition " + key(kind, id), h -> h.createQuery(DefinitionSql.GET)
                .bind("kind", kind.storedName()).bind("id", id).map(DefinitionSql.DEFINITION).findOne());
    }

    private Long readVersion(DefinitionKind kind, String id) {
        requireKey(kind, id);
        OptionalLong read = ReadVersions.of(em).expected(ENTITY, key(kind, id));
        return read.isPresent() ? read.getAsLong() : null; // null: not read here, unchecked
    }

    /** The content as JSON text, once the kind's schema accepts it; nothing is written. */
    static String checkedContent(EntityManager em, DefinitionKind kind, String id, JsonNode content) {
        requireKey(kind, id);
        JsonNode object = Json.requireObject("content", Check.notNull("content", content));
        DefinitionSchemas.check(kind, object);
        return JsonWrites.print(em, "content", object);
    }

    private DefinitionVersions versions() {
        return new DefinitionVersions(em);
    }

    private static void requireKey(DefinitionKind kind, String id) {
        Check.notNull("kind", kind);
        Definition.requireId(id);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    /** @return {@code kind/id}, the key the messages and the read-version record use */
    static String key(DefinitionKind kind, String id) {
        return kind.storedName() + "/" + id;
    }
}
