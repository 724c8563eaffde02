package dev.agentstore.persistence.knowledge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.knowledge.Chunk;
import dev.agentstore.domain.knowledge.ChunkCursor;
import dev.agentstore.domain.knowledge.ChunkPage;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;

import java.util.List;

/**
 * The chunk operations without a query vector that {@link ChunkRepository} offers: listing by filter, newest first,
 * with keyset paging, and payload updates by filter (a JSON Merge Patch applied in one statement). Stateless.
 */
final class ChunkListing {

    /** Largest page of {@link ChunkRepository#list}: 1,000 chunks. */
    static final int MAX_LIMIT = 1_000;

    private static final String LIST = "SELECT " + ChunkSql.COLUMNS + """

              FROM chunks
             WHERE knowledge_base = :base""";

    private static final String AFTER = " AND (created_at, id) < (:afterCreatedAt, :afterId)";

    private static final String LIST_ORDER = "\n ORDER BY created_at DESC, id DESC\n LIMIT :limit";

    private static final String UPDATE_PAYLOADS = """
            UPDATE chunks
               SET payload = jsonb_merge_patch(payload, CAST(:patch AS jsonb))
             WHERE knowledge_base = :base""";

    private ChunkListing() {
    }

    static ChunkPage list(EntityManager em, String base, Filter filter, ChunkCursor after, int limit) {
        KnowledgeBase.requireName(base);
        Check.range("limit", limit, 1, MAX_LIMIT);
        ChunkFilters.Rendered f = filter == null ? null : ChunkFilters.render(filter);
        String sql = listSql(after != null, f);
        List<Chunk> chunks = Sql.call(em, "list chunks of KnowledgeBase " + base
                + (filter == null ? "" : " where " + filter), h -> {
            KnowledgeBase kb = KnowledgeBaseSql.get(h, base);
            var query = h.createQuery(sql).bind("base", kb.name()).bind("limit", limit);
            if (after != null) {
                query.bind("afterCreatedAt", after.createdAt()).bind("afterId", after.id());
            }
            return (f == null ? query : f.bind(query)).map(ChunkSql.row(kb)).list();
        });
        ChunkCursor next = chunks.size() == limit ? ChunkCursor.after(chunks.get(chunks.size() - 1)) : null;
        return new ChunkPage(chunks, next);
    }

    /**
     * @return the listing statement: parameters {@code :base}, {@code :limit}, with a cursor {@code :afterCreatedAt}
     *         and {@code :afterId}, and the filter's
     */
    static String listSql(boolean withCursor, ChunkFilters.Rendered filter) {
        return LIST + (withCursor ? AFTER : "") + (filter == null ? "" : " AND (" + filter.sql() + ")") + LIST_ORDER;
    }

    static int updatePayloads(EntityManager em, String base, Filter filter, JsonNode patch) {
        KnowledgeBase.requireName(base);
        if (patch == null || !patch.isObject()) {
            throw new InvalidInputException("patch must be a JSON object (a JSON Merge Patch of the payload), was "
                    + (patch == null ? "null" : patch.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        }
        String patchText = JsonWrites.print(em, "patch", patch);
        ChunkFilters.Rendered f = filter == null ? null : ChunkFilters.render(filter);
        return Sql.call(em, "update payloads of KnowledgeBase " + base + (filter == null ? "" : " where " + filter),
                h -> {
                    KnowledgeBase kb = KnowledgeBaseSql.get(h, base);
                    var update = h.createUpdate(f == null ? UPDATE_PAYLOADS : UPDATE_PAYLOADS + " AND (" + f.sql() + ")")
                            .bind("base", kb.name())
                            .bind("patch", patchText);
                    return (f == null ? update : f.bind(update)).execute();
                });
    }
}
