package dev.agentstore.persistence.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.memory.ForgottenResource;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryResource;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.ReadVersions;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The statements of {@link MemoryRepository} on resources' working memory (table {@code memory_resources}), and the
 * version checks of {@link ReadVersions} for them. Runs in the caller's transaction through {@link Sql}.
 */
final class ResourceSql {

    /** The entity name in {@link ReadVersions} and conflict messages. */
    private static final String ENTITY = "MemoryResource";

    /** What {@link ReadVersions} records for a resource that read as absent. */
    private static final long ABSENT = ReadVersions.ABSENT;

    private static final String RETRY = "; retry the unit of work (it re-reads the current state)";

    /** Every column of a resource, as {@link #RESOURCE} reads them. */
    private static final String COLUMNS = """
            id, working_memory, CAST(metadata AS text) AS metadata, created_at, updated_at, version
            """;

    private static final String UPDATE_RESOURCE = """
            INSERT INTO memory_resources AS r (id, working_memory, metadata, created_at, updated_at)
            VALUES (:id, CAST(:workingMemory AS text), jsonb_merge_patch(CAST('{}' AS jsonb), CAST(:patch AS jsonb)),
                    :now, :now)
            ON CONFLICT (id) DO UPDATE
               SET working_memory = COALESCE(EXCLUDED.working_memory, r.working_memory),
                   metadata       = jsonb_merge_patch(r.metadata, CAST(:patch AS jsonb)),
                   updated_at     = EXCLUDED.updated_at,
                   version        = r.version + 1
            RETURNING\s""" + COLUMNS;

    /** As {@link #UPDATE_RESOURCE} for an existing resource that still has version {@code :expected}. */
    private static final String UPDATE_RESOURCE_IF_VERSION = """
            UPDATE memory_resources r
               SET working_memory = COALESCE(CAST(:workingMemory AS text), r.working_memory),
                   metadata       = jsonb_merge_patch(r.metadata, CAST(:patch AS jsonb)),
                   updated_at     = :now,
                   version        = r.version + 1
             WHERE r.id = :id
               AND r.version = :expected
            RETURNING\s""" + COLUMNS;

    /** As {@link #UPDATE_RESOURCE} for a resource read as absent: no row when one exists. */
    private static final String INSERT_RESOURCE = """
            INSERT INTO memory_resources AS r (id, working_memory, metadata, created_at, updated_at)
            VALUES (:id, CAST(:workingMemory AS text), jsonb_merge_patch(CAST('{}' AS jsonb), CAST(:patch AS jsonb)),
                    :now, :now)
            ON CONFLICT (id) DO NOTHING
            RETURNING\s""" + COLUMNS;

    private static final String SELECT_RESOURCE = "SELECT " + COLUMNS + " FROM memory_resources WHERE id = :id";

    private static final String SELECT_RESOURCE_FOR_UPDATE = SELECT_RESOURCE + " FOR UPDATE";

    private static final String RESOURCE_VERSION = "SELECT version FROM memory_resources WHERE id = :id";

    private static final String DELETE_RESOURCE = "DELETE FROM memory_resources WHERE id = :id";

    /** Locks the resource's threads (in id order, as appends lock a thread before its messages). */
    private static final String LOCK_THREADS = """
            SELECT id FROM memories WHERE resource_id = :id ORDER BY id FOR UPDATE
            """;

    /**
     * Deletes the messages of the resource's threads and its messages in other threads; bumps those other threads;
     * then deletes its threads (their variables cascade). Returns {threads, messages, touched {threadId: version}}.
     */
    private static final String FORGET = """
            WITH gone AS (
                DELETE FROM memory_messages
                 WHERE resource_id = :id
                    OR memory_id IN (SELECT id FROM memories WHERE resource_id = :id)
                RETURNING memory_id
            ), threads AS (
                DELETE FROM memories WHERE resource_id = :id RETURNING id
            ), touched AS (
                UPDATE memories SET updated_at = :now, version = version + 1
                 WHERE id IN (SELECT memory_id FROM gone) AND resource_id IS DISTINCT FROM :id
                RETURNING id, version
            )
            SELECT (SELECT count(*) FROM threads) AS threads,
                   (SELECT count(*) FROM gone) AS messages,
                   (SELECT CAST(jsonb_object_agg(id, version) AS text) FROM touched) AS touched
            """;

    /** A {@code memory_resources} row with the columns of {@link #COLUMNS}. */
    private static final RowMapper<MemoryResource> RESOURCE = (rs, ctx) -> MemoryResource.stored(rs.getString("id"),
            rs.getString("working_memory"), Json.parse("metadata", rs.getString("metadata")),
            Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"), rs.getLong("version"));

    private final EntityManager em;

    ResourceSql(EntityManager em) {
        this.em = em;
    }

    /**
     * As {@link #update(String, String, JsonNode, Instant, OptionalLong)} at the version this transaction read (or
     * its absence), if it read one.
     */
    MemoryResource update(String resourceId, String workingMemory, JsonNode metadataPatch, Instant now) {
        MemoryResource.requireId(resourceId);
        return update(resourceId, workingMemory, metadataPatch, now, versions().expected(ENTITY, resourceId));
    }

    /** Validates and updates an existing resource only at version {@code expected}. */
    MemoryResource update(String resourceId, String workingMemory, JsonNode metadataPatch, Instant now,
                          long expected) {
        MemoryResource.requireId(resourceId);
        Check.notNegative("expectedVersion", expected);
        return update(resourceId, workingMemory, metadataPatch, now, OptionalLong.of(expected));
    }

    /**
     * Replaces the working memory ({@code null}: keeps it) and merges a metadata patch ({@code null}: none): the
     * upsert when {@code expected} is empty; else the compare-and-set, or, for {@link #ABSENT}, an insert that fails
     * when the resource exists. Validates first.
     */
    MemoryResource update(String resourceId, String workingMemory, JsonNode metadataPatch, Instant now,
                          OptionalLong expected) {
        JsonWrites.text(em, "workingMemory", MemoryResource.requireWorkingMemory(workingMemory));
        String patch = metadataPatch == null ? "{}"
                : JsonWrites.print(em, "metadataPatch", Memory.requireMetadata("metadataPatch", metadataPatch));
        return Sql.call(em, "update MemoryResource id=" + resourceId, h -> {
            boolean compare = expected.isPresent() && expected.getAsLong() != ABSENT;
            Query write = h.createQuery(expected.isEmpty() ? UPDATE_RESOURCE
                            : compare ? UPDATE_RESOURCE_IF_VERSION : INSERT_RESOURCE)
                    .bind("id", resourceId)
                    .bind("workingMemory", workingMemory)
                    .bind("patch", patch)
                    .bind("now", now);
            if (compare) {
                write.bind("expected", expected.getAsLong());
            }
            Optional<MemoryResource> written = write.map(RESOURCE).findOne();
            if (written.isEmpty()) {
                throw conflict(h, resourceId, expected.getAsLong());
            }
            versions().wrote(ENTITY, resourceId, written.get().version());
            return written.get();
        });
    }

    /** Validates the id and reads a resource, locking its row when {@code forUpdate}; remembers the version read. */
    Optional<MemoryResource> find(String resourceId, boolean forUpdate) {
        MemoryResource.requireId(resourceId);
        String context = "get MemoryResource id=" + resourceId + (forUpdate ? " for update" : "");
        Optional<MemoryResource> r = Sql.call(em, context, h -> h
                .createQuery(forUpdate ? SELECT_RESOURCE_FOR_UPDATE : SELECT_RESOURCE)
                .bind("id", resourceId)
                .map(RESOURCE)
                .findOne());
        versions().read(ENTITY, resourceId, r.map(MemoryResource::version).orElse(ABSENT));
        return r;
    }

    boolean delete(String resourceId) {
        MemoryResource.requireId(resourceId);
        boolean deleted = Sql.call(em, "delete MemoryResource id=" + resourceId, h -> h.createUpdate(DELETE_RESOURCE)
                .bind("id", resourceId)
                .execute() == 1);
        versions().wrote(ENTITY, resourceId, ABSENT);
        return deleted;
    }

    /**
     * Validates the id and forgets the resource: its threads with their messages and variables, its messages in
     * other threads (whose update times and versions are bumped), and its working memory. Three statements.
     */
    ForgottenResource forget(String resourceId, Instant now) {
        MemoryResource.requireId(resourceId);
        ThreadSql threads = new ThreadSql(em);
        ForgottenResource forgotten = Sql.call(em, "forget MemoryResource id=" + resourceId, h -> {
            h.createQuery(LOCK_THREADS).bind("id", resourceId).mapTo(String.class).list();
            return h.createQuery(FORGET)
                    .bind("id", resourceId)
                    .bind("now", now)
                    .map((rs, ctx) -> {
                        String touched = rs.getString("touched");
                        if (touched != null) {
                            Json.parse("touched", touched).fields()
                                    .forEachRemaining(t -> threads.wroteRelative(t.getKey(), t.getValue().asLong()));
                        }
                        return new ForgottenResource(resourceId, rs.getLong("threads"), rs.getLong("messages"),
                                false);
                    })
                    .one();
        });
        boolean workingMemory = delete(resourceId);
        return new ForgottenResource(resourceId, forgotten.threads(), forgotten.messages(), workingMemory);
    }

    /** Why a checked resource write wrote nothing. */
    private static ConcurrencyConflictException conflict(Handle h, String resourceId, long expected) {
        Optional<Long> actual = h.createQuery(RESOURCE_VERSION)
                .bind("id", resourceId)
                .mapTo(long.class)
                .findOne();
        if (actual.isEmpty()) {
            return new ConcurrencyConflictException(ENTITY + " " + resourceId + " was deleted concurrently:"
                    + " expected version " + expected + RETRY, null);
        }
        if (expected == ABSENT) {
            return new ConcurrencyConflictException(ENTITY + " " + resourceId + " was created concurrently: it was"
                    + " read as absent, found version " + actual.get() + RETRY, null);
        }
        return ReadVersions.conflict(ENTITY, resourceId, expected, actual.get());
    }

    private ReadVersions versions() {
        return ReadVersions.of(em);
    }
}
