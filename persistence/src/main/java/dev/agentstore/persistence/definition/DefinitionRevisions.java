package dev.agentstore.persistence.definition;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.definition.Definition;
import dev.agentstore.domain.definition.DefinitionKind;
import dev.agentstore.domain.definition.DefinitionVersion;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One {@link DefinitionKind} used as a revision log, the code path of {@code TemplateRepository}
 * ({@link DefinitionKind#TEMPLATE}) and {@code ConfigurationRepository} ({@link DefinitionKind#CONFIGURATION}): every
 * {@link #append} is the next version of an id, creating the definition ({@code DRAFT}, empty metadata) when it does
 * not exist, and the version with the highest number is the current one. The rows are those of
 * {@link DefinitionRepository} ({@code definitions}, {@code definition_versions}), so both APIs see the same data.
 *
 * <p><b>Numbering.</b> {@link #append} numbers with {@code INSERT INTO definitions ... ON CONFLICT (kind, id) DO
 * UPDATE SET latest_version = latest_version + 1 RETURNING latest_version}: the definition's row lock queues
 * concurrent appends to one id until each transaction ends (appends to different ids do not wait for each other), a
 * concurrent first append waits on the primary key and then updates, and a rollback gives its number back: numbers
 * 1, 2, 3... without gaps or duplicates. Under REPEATABLE READ or SERIALIZABLE a racing append fails with
 * {@link dev.agentstore.domain.ConcurrencyConflictException} instead. {@link #remove} deletes the definition, so the
 * next append starts again at 1. Numbers of versions deleted one by one with
 * {@link DefinitionRepository#deleteVersion} are not reused.
 *
 * <p>Each call runs in the transaction of the entity manager passed, through {@link Sql}; the versions are mapped
 * with the function given to {@link #of}. Arguments are checked by the caller's rules first; ids are checked again
 * here ({@link Definition#requireId}). Immutable and thread-safe.
 *
 * @param <T> what a version is mapped to
 */
public final class DefinitionRevisions<T> {

    private final DefinitionKind kind;
    private final Function<DefinitionVersion, T> mapper;

    private DefinitionRevisions(DefinitionKind kind, Function<DefinitionVersion, T> mapper) {
        this.kind = kind;
        this.mapper = mapper;
    }

    /**
     * @param kind   the kind
     * @param mapper maps a version of the kind (its {@link DefinitionVersion#seqId()} set for templates and
     *               configurations) to what the caller hands out
     * @param <T>    the mapped type
     * @return the revision log of {@code kind}
     */
    public static <T> DefinitionRevisions<T> of(DefinitionKind kind, Function<DefinitionVersion, T> mapper) {
        return new DefinitionRevisions<>(Check.notNull("kind", kind), Check.notNull("mapper", mapper));
    }

    /**
     * Appends the next version of {@code id}, creating the definition when it does not exist. The content is
     * checked against the kind's JSON Schema first; an invalid call writes nothing. Two statements.
     *
     * @param em      the unit of work's entity manager
     * @param clock   where {@code created} comes from (truncated to microseconds)
     * @param id      the definition's id
     * @param content the version's content, a JSON object
     * @return the new version, mapped
     * @throws dev.agentstore.domain.InvalidInputException when the content violates the schema; nothing is written
     */
    public T append(EntityManager em, Clock clock, String id, JsonNode content) {
        String checked = DefinitionRepository.checkedContent(em, kind, id, content);
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        return mapper.apply(Sql.call(em, "append DefinitionVersion " + DefinitionRepository.key(kind, id), h -> {
            int number = h.createQuery(DefinitionSql.APPEND_NUMBER)
                    .bindMap(Sql.parameters("kind", kind.storedName(), "id", id, "author", null, "now", now))
                    .mapTo(Integer.class).one();
            return DefinitionVersions.insert(h, kind, id, number, checked, null, null, now);
        }));
    }

    /**
     * @param em the unit of work's entity manager
     * @param id the definition's id
     * @return its version with the highest number, or empty. One query
     */
    public Optional<T> latest(EntityManager em, String id) {
        return history(em, id, 1).stream().findFirst();
    }

    /**
     * @param em     the unit of work's entity manager
     * @param id     the definition's id
     * @param number the version's number, 1 or more
     * @return that version, or empty. One query
     */
    public Optional<T> get(EntityManager em, String id, int number) {
        return new DefinitionVersions(em).byNumber(kind, Definition.requireId(id), number).map(mapper);
    }

    /**
     * @param em    the unit of work's entity manager
     * @param id    the definition's id
     * @param limit the most versions, 1 or more, or {@code null} for all
     * @return the newest {@code limit} versions, highest number first; empty when there are none; unmodifiable.
     *         One query
     */
    public List<T> history(EntityManager em, String id, Integer limit) {
        return new DefinitionVersions(em).page(kind, Definition.requireId(id), null,
                limit == null ? Integer.MAX_VALUE : limit).stream().map(mapper).toList();
    }

    /**
     * The latest version of each definition of the kind, in id order (by code point), one keyset page at a time.
     * One query.
     *
     * @param em    the unit of work's entity manager
     * @param after the last id of the previous page (exclusive), or {@code null} for the first page
     * @param limit the most versions, 1 or more
     * @return the versions, by id; unmodifiable
     */
    public List<T> listLatest(EntityManager em, String after, int limit) {
        return Sql.call(em, "list latest DefinitionVersions " + kind.storedName(), h -> h
                .createQuery(DefinitionSql.LATEST_VERSIONS)
                .bindMap(Sql.parameters("kind", kind.storedName(), "after", after == null ? "" : after,
                        "limit", limit))
                .map(DefinitionSql.VERSION)
                .map(mapper)
                .collect(Collectors.toUnmodifiableList()));
    }

    /**
     * The ids of the kind's definitions, in code-point order, one keyset page at a time. One query.
     *
     * @param em    the unit of work's entity manager
     * @param after the last id of the previous page (exclusive), or {@code null} for the first page
     * @param limit the most ids, 1 or more
     * @return the ids, sorted; unmodifiable
     */
    public List<String> ids(EntityManager em, String after, int limit) {
        return Sql.call(em, "list Definition ids " + kind.storedName(), h -> h.createQuery(DefinitionSql.IDS)
                .bindMap(Sql.parameters("kind", kind.storedName(), "after", after == null ? "" : after,
                        "limit", limit))
                .mapTo(String.class)
                .collect(Collectors.toUnmodifiableList()));
    }

    /**
     * Deletes the definition and all its versions. One statement.
     *
     * @param em the unit of work's entity manager
     * @param id the definition's id
     * @return how many versions it had; 0 when it did not exist
     */
    public int remove(EntityManager em, String id) {
        Definition.requireId(id);
        return Sql.call(em, "remove Definition " + DefinitionRepository.key(kind, id), h -> h
                .createQuery(DefinitionSql.DELETE_COUNTING)
                .bind("kind", kind.storedName()).bind("id", id)
                .mapTo(Long.class).one()).intValue();
    }
}
