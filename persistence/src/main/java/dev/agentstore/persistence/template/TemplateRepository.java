package dev.agentstore.persistence.template;

import dev.agentstore.persistence.support.AbstractRepository;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.template.Template;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.RevisionLog;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.mapper.RowMapper;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Prompt templates with revisions: define a revision, read
 * the latest or a given revision, the history, list the latest revision of every template, remove a template.
 *
 * <p><b>Revision numbers.</b> {@link #define} numbers revisions 1, 2, 3... per identifier (through
 * {@link RevisionLog}, the code path configurations share), without gaps or
 * duplicates however many transactions define the same identifier at once: it first takes a transaction-scoped
 * advisory lock on the identifier ({@code pg_advisory_xact_lock}), so concurrent defines of one identifier queue
 * (defines of different identifiers do not wait for each other, apart from rare hash collisions), then inserts
 * {@code max(revision) + 1} in a second statement, whose snapshot (under READ COMMITTED, PostgreSQL's and
 * agentstore's default) sees every revision committed before the lock was granted. The unique index on
 * {@code (identifier, revision)} backs this: under REPEATABLE READ or SERIALIZABLE a racing define fails with
 * {@link dev.agentstore.domain.DuplicateException} or
 * {@link dev.agentstore.domain.ConcurrencyConflictException} instead of writing a duplicate. The lock is held until
 * the caller's transaction ends, so keep transactions that define templates short. Defining several identifiers in
 * one transaction in different orders in concurrent transactions can deadlock; PostgreSQL then fails one of them
 * with a {@code ConcurrencyConflictException} (retry with {@code fromTransactionWithRetry}). Each identifier
 * defined in a transaction holds one lock until its end; PostgreSQL's shared lock table is sized by
 * {@code max_locks_per_transaction} (64 per connection by default, shared by all), so import thousands of templates
 * in transactions of a few hundred.
 *
 * <p><b>Listing.</b> {@link #listLatest} pages by keyset, the cursor being the last identifier of the previous
 * page: {@code SELECT DISTINCT ON (identifier) ... WHERE identifier > :after ORDER BY identifier, revision DESC
 * LIMIT :limit}
 * over the index {@code (identifier, revision DESC)}, so a page costs the same wherever it starts and a template
 * defined or removed meanwhile never makes another one appear twice or go missing. Identifiers are compared by
 * code point ({@code COLLATE "C"}), whatever the database's locale.
 *
 * <p>Runs in the caller's transaction; never begins or commits one. The statements run through {@link Sql} on the
 * unit of work's connection ({@link Template} is read-only to JPA); the templates handed out are built from the rows
 * read, immutable and attached to no persistence context. Standalone:
 * {@code store.fromTransaction(uow -> uow.templates().latest("greeting"))}; in a container inject it.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class TemplateRepository extends AbstractRepository {

    /** Largest accepted {@code limit} of {@link #listLatest} and {@link #history(String, int)}. */
    public static final int MAX_LIMIT = 1000;

    /** The next number is computed in the statement, after {@link #REVISIONS}' lock; the id comes from the column default. */
    private static final String INSERT = """
            INSERT INTO templates (identifier, revision, description, content, variables, meta, created)
            SELECT :identifier, coalesce(max(revision), 0) + 1, CAST(:description AS text), :content,
                   CAST(:variables AS jsonb), CAST(:meta AS jsonb), :created
              FROM templates
             WHERE identifier = :identifier
            RETURNING id, revision
            """;

    /** Every column, as {@link #ROW} reads them. */
    private static final String COLUMNS = """
            id, identifier, revision, description, content, CAST(variables AS text) AS variables,
                   CAST(meta AS text) AS meta, created
            """;

    private static final String BY_REVISION = "SELECT " + COLUMNS + """
              FROM templates
             WHERE identifier = :identifier
               AND revision = :revision
            """;

    private static final String LIST_LATEST = "SELECT DISTINCT ON (identifier) " + COLUMNS + """
              FROM templates
             WHERE identifier > :after
             ORDER BY identifier, revision DESC
             LIMIT :limit
            """;

    /** Numbering (advisory lock), history and removal, shared with configurations. */
    private static final RevisionLog REVISIONS = RevisionLog.of("templates", COLUMNS);

    /** A row of {@link #COLUMNS} as a revision. */
    private static final RowMapper<Template> ROW = (rs, ctx) -> Template.recorded(rs.getLong("id"),
            rs.getString("identifier"), rs.getInt("revision"), rs.getString("description"), rs.getString("content"),
            Json.parse("variables", rs.getString("variables")), Json.parse("meta", rs.getString("meta")),
            Sql.instant(rs, "created"));

    /** For CDI's proxy; the container injects the entity manager. */
    protected TemplateRepository() {
    }

    /**
     * Standalone use: a repository bound to one entity manager (one transaction).
     *
     * @param em    the transaction's entity manager
     * @param clock where the time comes from
     */
    public TemplateRepository(EntityManager em, Clock clock) {
        super(em, clock);
    }

    /**
     * Defines a new revision of a template: its number is one more than the newest
     * existing revision of the identifier, or 1 for a new identifier (also after {@link #remove}). Two statements:
     * the advisory lock, then the {@code INSERT ... SELECT max(revision) + 1}. Every value is validated first; an
     * invalid call writes nothing.
     *
     * @param identifier  the template's identifier, 1–255 characters, not blank
     * @param content     the template text, 1–1,000,000 characters
     * @param description a description, up to 10,000 characters, or {@code null}
     * @param variables   the declared variables, a JSON object, or {@code null} for {@code {}}
     * @param meta        free-form metadata, a JSON object, or {@code null} for {@code {}}
     * @return the stored revision, with its number and {@code created} (the clock's now)
     * @throws InvalidInputException when a value is invalid (the message names it), for example a blank or too long
     *                               identifier or an array as {@code variables}; nothing is written
     */
    public Template define(String identifier, String content, String description, JsonNode variables, JsonNode meta) {
        Template.requireIdentifier(identifier);
        Template.requireContent(content);
        Template.requireDescription(description);
        JsonWrites.text(em, "content", content);
        JsonWrites.check(em, "variables", variables);
        JsonWrites.check(em, "meta", meta);
        JsonNode vars = Template.requireObject("variables", variables);
        JsonNode metadata = Template.requireObject("meta", meta);
        Instant created = clock.instant().truncatedTo(ChronoUnit.MICROS);
        return Sql.call(em, "define Template " + identifier, h -> REVISIONS.append(h, identifier, INSERT,
                Sql.parameters("description", description, "content", content, "variables", Json.print(vars),
                        "meta", Json.print(metadata), "created", created),
                (rs, ctx) -> Template.recorded(rs.getLong("id"), identifier, rs.getInt("revision"), description,
                        content, vars, metadata, created)));
    }

    /**
     * As {@link #define(String, String, String, JsonNode, JsonNode)} with no description, variables or meta.
     *
     * @param identifier the template's identifier, 1–255 characters
     * @param content    the template text, 1–1,000,000 characters
     * @return the stored revision
     * @throws InvalidInputException when a value is invalid; nothing is written
     */
    public Template define(String identifier, String content) {
        return define(identifier, content, null, null, null);
    }

    /**
     * Reads the newest revision of a template (the one to render). One query.
     *
     * @param identifier the template's identifier
     * @return the newest revision, or empty when the identifier has none
     * @throws InvalidInputException when the identifier is invalid
     */
    public Optional<Template> latest(String identifier) {
        Template.requireIdentifier(identifier);
        return revisions("get latest Template " + identifier, identifier, 1).stream().findFirst();
    }

    /**
     * Reads one revision of a template. One query.
     *
     * @param identifier the template's identifier
     * @param revision   the revision number, 1 or more
     * @return the revision, or empty when it does not exist (never defined, or removed)
     * @throws InvalidInputException when the identifier is invalid or {@code revision} is less than 1
     */
    public Optional<Template> get(String identifier, int revision) {
        Template.requireIdentifier(identifier);
        Check.range("revision", revision, 1, Integer.MAX_VALUE);
        return Sql.call(em, "get Template " + identifier + " revision " + revision, h -> h.createQuery(BY_REVISION)
                .bind("identifier", identifier)
                .bind("revision", revision)
                .map(ROW)
                .findOne());
    }

    /**
     * Lists the revisions of a template, newest first, at most {@code limit} of them. One query.
     *
     * @param identifier the template's identifier
     * @param limit      the most revisions to return, 1 to {@value #MAX_LIMIT}
     * @return the revisions, highest number first; empty when there are none; unmodifiable
     * @throws InvalidInputException when the identifier or limit is invalid
     */
    public List<Template> history(String identifier, int limit) {
        Template.requireIdentifier(identifier);
        Check.range("limit", limit, 1, MAX_LIMIT);
        return revisions("list Template history " + identifier, identifier, limit);
    }

    /**
     * Lists every revision of a template, newest first. One query.
     *
     * @param identifier the template's identifier
     * @return the revisions, highest number first; empty when there are none; unmodifiable
     * @throws InvalidInputException when the identifier is invalid
     */
    public List<Template> history(String identifier) {
        Template.requireIdentifier(identifier);
        return revisions("list Template history " + identifier, identifier, null);
    }

    /**
     * Lists the newest revision of each template, in identifier order (by code point),
     * one keyset page at a time. Pass {@code null} for the first page and the identifier of the last template of a
     * page for the next one; a page shorter than {@code limit} is the last. Every template that exists throughout
     * the paging is returned exactly once. One query per page.
     *
     * <pre>{@code
     * String cursor = null;
     * List<Template> page;
     * do {
     *     String after = cursor;
     *     page = store.fromTransaction(uow -> uow.templates().listLatest(after, 100));
     *     page.forEach(System.out::println);
     *     cursor = page.isEmpty() ? null : page.get(page.size() - 1).identifier();
     * } while (page.size() == 100);
     * }</pre>
     *
     * @param afterIdentifier the last identifier of the previous page (exclusive), or {@code null} to start at the
     *                        beginning
     * @param limit           the most templates to return, 1 to {@value #MAX_LIMIT}
     * @return the newest revision of each of the next templates, by identifier; unmodifiable
     * @throws InvalidInputException when the cursor is blank, longer than 255 characters or contains NUL, or the
     *                               limit is out of range
     */
    public List<Template> listLatest(String afterIdentifier, int limit) {
        String after = afterIdentifier == null ? "" : Template.requireIdentifier(afterIdentifier);
        Check.range("limit", limit, 1, MAX_LIMIT);
        return Sql.call(em, "list latest Templates", h -> h.createQuery(LIST_LATEST)
                .bind("after", after)
                .bind("limit", limit)
                .map(ROW)
                .collect(Collectors.toUnmodifiableList()));
    }

    /**
     * Removes every revision of a template. Defining the identifier again afterwards starts over at revision 1.
     * One statement.
     *
     * @param identifier the template's identifier
     * @return how many revisions were removed; 0 when there were none
     * @throws InvalidInputException when the identifier is invalid
     */
    public int remove(String identifier) {
        Template.requireIdentifier(identifier);
        return REVISIONS.remove(em, "remove Template " + identifier, identifier);
    }

    /** The newest {@code limit} revisions of {@code identifier} (all of them for {@code null}), newest first. */
    private List<Template> revisions(String context, String identifier, Integer limit) {
        return REVISIONS.history(em, context, identifier, limit, ROW);
    }
}
