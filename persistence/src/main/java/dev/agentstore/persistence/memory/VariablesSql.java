package dev.agentstore.persistence.memory;

import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MemoryRecall;
import dev.agentstore.domain.memory.MemoryVariables;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.result.ResultIterable;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The statements of {@link MemoryRepository} on variables snapshots (table {@code memory_variables}). Runs in the
 * caller's transaction through {@link Sql}.
 */
final class VariablesSql {

    /** The next variables revision, taken while the memory's row is locked by the allocation before it. */
    private static final String INSERT_VARIABLES = """
            INSERT INTO memory_variables (memory_id, revision, variables, created_at)
            SELECT :memoryId, COALESCE(max(revision), 0) + 1, CAST(:variables AS jsonb), :now
              FROM memory_variables
             WHERE memory_id = :memoryId
            RETURNING revision
            """;

    private static final String SELECT_VARIABLES = """
            SELECT id, memory_id, revision, CAST(variables AS text) AS variables, created_at
              FROM memory_variables
             WHERE memory_id = :memoryId
            """;

    private static final String LATEST_VARIABLES = SELECT_VARIABLES + " ORDER BY revision DESC LIMIT 1";

    private static final String VARIABLES_HISTORY = SELECT_VARIABLES + " ORDER BY revision";

    /** A {@code memory_variables} row as {@link #SELECT_VARIABLES} reads it. */
    private static final RowMapper<MemoryVariables> VARIABLES = (rs, ctx) -> MemoryVariables.stored(
            rs.getLong("id"), rs.getString("memory_id"), rs.getLong("revision"),
            Json.parse("variables", rs.getString("variables")), Sql.instant(rs, "created_at"));

    private final EntityManager em;

    VariablesSql(EntityManager em) {
        this.em = em;
    }

    /**
     * Stores the next snapshot of a memory whose row this transaction has locked (by an append).
     *
     * @return the snapshot's revision
     */
    static long insert(Handle h, String memoryId, String variables, Instant now) {
        return h.createQuery(INSERT_VARIABLES)
                .bind("memoryId", memoryId)
                .bind("variables", variables)
                .bind("now", now)
                .mapTo(long.class)
                .one();
    }

    Optional<MemoryVariables> latest(String memoryId) {
        return read(memoryId, LATEST_VARIABLES, ResultIterable::findOne);
    }

    /** A recall: {@code messages} with the memory's newest variables ({@code {}} and revision 0 when none). */
    MemoryRecall recall(String memoryId, List<MemoryMessage> messages) {
        return latest(memoryId).map(v -> new MemoryRecall(messages, v.variables(), v.revision()))
                .orElseGet(() -> new MemoryRecall(messages, Json.object(), 0));
    }

    List<MemoryVariables> history(String memoryId) {
        return read(memoryId, VARIABLES_HISTORY, ResultIterable::list);
    }

    private <T> T read(String memoryId, String sql, Function<ResultIterable<MemoryVariables>, T> result) {
        Memory.requireId("memoryId", memoryId);
        return Sql.call(em, "read MemoryVariables of Memory id=" + memoryId,
                h -> result.apply(h.createQuery(sql).bind("memoryId", memoryId).map(VARIABLES)));
    }
}
