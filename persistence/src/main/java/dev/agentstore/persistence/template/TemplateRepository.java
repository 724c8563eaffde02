package dev.agentstore.persistence.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.definition.DefinitionKind;
import dev.agentstore.domain.definition.DefinitionVersion;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.template.Template;
import dev.agentstore.persistence.definition.DefinitionRevisions;
import dev.agentstore.persistence.support.AbstractRepository;
import dev.agentstore.persistence.support.JsonWrites;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Prompt templates with revisions: define a revision, read the latest or a given revision, the history, list the
 * latest revision of every template, remove a template.
 *
 * <p><b>One mechanism.</b> A template is a versioned definition of kind {@link DefinitionKind#TEMPLATE}: each revision
 * is a version (table {@code definition_versions}) whose content is {@code {"content", "description" (when set),
 * "variables", "meta"}}, checked against the kind's JSON Schema after this class's own rules; the revision's
 * {@link Template#id()} is the version's {@code seq_id} (sequence {@code templates_seq}). Numbering, history, listing
 * and removal are {@link DefinitionRevisions}' code, shared with configurations; {@code DefinitionRepository} sees the
 * same rows (kind {@code template}), and the view {@code templates} keeps the columns {@link Template} maps.
 *
 * <p><b>Revision numbers.</b> {@link #define} numbers revisions 1, 2, 3... per identifier without gaps or duplicates
 * however many transactions define the same identifier at once: the first statement creates the definition's row or
 * increments its {@code latest_version} ({@code INSERT ... ON CONFLICT DO UPDATE ... RETURNING}), whose row lock
 * queues concurrent defines of one identifier until each transaction ends (defines of different identifiers do not
 * wait for each other); the second inserts the version. Under REPEATABLE READ or SERIALIZABLE a racing define fails
 * with {@link dev.agentstore.domain.ConcurrencyConflictException} instead of writing a duplicate. The lock is held
 * until the caller's transaction ends, so keep transactions that define templates short. Defining several
 * identifiers in one transaction in different orders in concurrent transactions can deadlock; PostgreSQL then fails
 * one of them with a {@code ConcurrencyConflictException} (retry with {@code fromTransactionWithRetry}).
 *
 * <p><b>Listing.</b> {@link #listLatest} pages by keyset, the cursor being the last identifier of the previous page,
 * over the primary key of {@code definitions} with one probe of the versions' unique index per template, so a page
 * costs the same wherever it starts and a template defined or removed meanwhile never makes another one appear twice
 * or go missing. Identifiers are compared by code point ({@code COLLATE "C"}), whatever the database's locale.
 *
 * <p>Runs in the caller's transaction; never begins or commits one. The statements run through
 * {@link dev.agentstore.persistence.support.Sql} on the unit of work's connection ({@link Template} is read-only to
 * JPA); the templates handed out are built from the rows read, immutable and attached to no persistence context.
 * Standalone: {@code store.fromTransaction(uow -> uow.templates().latest("greeting"))}; in a container inject it.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class TemplateRepository extends AbstractRepository {

    /** Largest accepted {@code limit} of {@link #listLatest} and {@link #history(String, int)}. */
    public static final int MAX_LIMIT = 1000;

    /** Numbering, history, listing and removal: the definitions' code, shared with configurations. */
    private static final DefinitionRevisions<Template> REVISIONS = DefinitionRevisions.of(DefinitionKind.TEMPLATE,
            TemplateRepository::template);

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
     * numbering on the definition's row (see the class comment), then the version's insert. Every value is
     * validated first; an invalid call writes nothing.
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
        ObjectNode revision = Json.object();
        revision.put("content", content);
        if (description != null) {
            revision.put("description", description);
        }
        revision.set("variables", vars);
        revision.set("meta", metadata);
        return REVISIONS.append(em, clock, identifier, revision);
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
        return REVISIONS.latest(em, identifier);
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
        return REVISIONS.get(em, identifier, revision);
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
        return REVISIONS.history(em, identifier, limit);
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
        return REVISIONS.history(em, identifier, null);
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
        return REVISIONS.listLatest(em, after, limit);
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
        return REVISIONS.remove(em, identifier);
    }

    /** A version of kind {@code template} as the revision it stores. */
    private static Template template(DefinitionVersion v) {
        JsonNode c = v.content();
        return Template.recorded(v.seqId(), v.definitionId(), v.number(), c.path("description").textValue(),
                c.path("content").textValue(), c.get("variables"), c.get("meta"), v.created());
    }
}
