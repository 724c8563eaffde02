package dev.agentstore.persistence.memory;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MessageInclude;
import dev.agentstore.domain.memory.MessageQuery;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.SortDirection;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.Sql;
import jakarta.persistence.EntityManager;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The statements of {@link MemoryRepository} that read messages (table {@code memory_messages}): the last messages
 * of a thread, pages of a thread's messages with their count, and included messages with their context. They
 * write nothing and remember no versions. Runs in the caller's transaction through {@link Sql}.
 */
final class MessageReadSql {

    /** The columns of every statement that reads messages, as {@link #MESSAGE} reads them. */
    static final String COLUMNS = """
            id, memory_id, seq, role, CAST(content AS text) AS content, resource_id, created_at
            """;

    /**
     * The last {@code :limit} messages of thread {@code :memoryId}, newest first: a backward read of
     * (memory_id, seq DESC), no sort.
     */
    static final String LAST_MESSAGES = """
            SELECT id, memory_id, seq, role, CAST(content AS text) AS content, resource_id, created_at
              FROM memory_messages
             WHERE memory_id = :memoryId
             ORDER BY seq DESC
             LIMIT :limit
            """;

    private static final String MESSAGES_WHERE = """
             FROM memory_messages
             WHERE memory_id = :memoryId
               AND (CAST(:resourceId AS varchar) IS NULL OR resource_id = CAST(:resourceId AS varchar))
               AND (CAST(:from AS timestamptz) IS NULL OR created_at >= CAST(:from AS timestamptz))
               AND (CAST(:to AS timestamptz) IS NULL OR created_at <= CAST(:to AS timestamptz))
            """;

    /**
     * Every include (a JSON array {@code :includes} of {id, previous, next}) with its context, in one statement: per
     * include two bounded index reads of (memory_id, seq) in its target's thread. Optional resource filter
     * {@code :resourceId}.
     */
    static final String INCLUDED = """
            SELECT c.id, c.memory_id, c.seq, c.role, CAST(c.content AS text) AS content, c.resource_id, c.created_at
              FROM jsonb_to_recordset(CAST(:includes AS jsonb)) AS i(id text, previous int, next int)
              JOIN memory_messages t ON t.id = i.id
                                    AND (CAST(:resourceId AS varchar) IS NULL
                                         OR t.resource_id = CAST(:resourceId AS varchar))
             CROSS JOIN LATERAL (
                   (SELECT * FROM memory_messages b
                     WHERE b.memory_id = t.memory_id AND b.seq <= t.seq
                       AND (CAST(:resourceId AS varchar) IS NULL OR b.resource_id = CAST(:resourceId AS varchar))
                     ORDER BY b.seq DESC LIMIT i.previous + 1)
                   UNION ALL
                   (SELECT * FROM memory_messages a
                     WHERE a.memory_id = t.memory_id AND a.seq > t.seq
                       AND (CAST(:resourceId AS varchar) IS NULL OR a.resource_id = CAST(:resourceId AS varchar))
                     ORDER BY a.seq LIMIT i.next)
             ) c
            """;

    /** The messages of {@link #MESSAGES_WHERE}; order and range follow. */
    private static final String PAGE = "SELECT " + COLUMNS + MESSAGES_WHERE;

    /** A page in sequence order; {@code :limit} NULL reads to the end. */
    private static final String PAGE_ASC = PAGE + " ORDER BY seq ASC LIMIT CAST(:limit AS bigint) OFFSET :offset";

    private static final String PAGE_DESC = PAGE + " ORDER BY seq DESC LIMIT CAST(:limit AS bigint) OFFSET :offset";

    private static final String COUNT = "SELECT count(*)" + MESSAGES_WHERE;

    /**
     * The matching messages' count, and whether one lies beyond the page (after sequence {@code :after}, or before
     * {@code :before}) that is not one of the included ids {@code :included} (a JSON array).
     */
    private static final String COUNT_AND_MORE = """
            SELECT count(*) AS total,
                   COALESCE(bool_or((CAST(:after AS bigint) IS NULL OR seq > CAST(:after AS bigint))
                                AND (CAST(:before AS bigint) IS NULL OR seq < CAST(:before AS bigint))
                                AND id NOT IN (SELECT jsonb_array_elements_text(CAST(:included AS jsonb)))),
                            false) AS more
            """ + MESSAGES_WHERE;

    /** Messages by id (a JSON array {@code :ids}); unknown ids match nothing. */
    static final String BY_IDS = "SELECT " + COLUMNS + """
              FROM memory_messages
             WHERE id IN (SELECT jsonb_array_elements_text(CAST(:ids AS jsonb)))
            """;

    private static final String RESOURCE_WHERE = """
             FROM memory_messages
             WHERE resource_id = :resourceId
               AND (CAST(:from AS timestamptz) IS NULL OR created_at >= CAST(:from AS timestamptz))
               AND (CAST(:to AS timestamptz) IS NULL OR created_at <= CAST(:to AS timestamptz))
            """;

    /** A page of a resource's messages across its threads, chronological; index (resource_id, created_at, ...). */
    private static final String RESOURCE_PAGE = "SELECT " + COLUMNS + RESOURCE_WHERE
            + " ORDER BY created_at %1$s, memory_id %1$s, seq %1$s LIMIT :limit OFFSET :offset";

    private static final String RESOURCE_COUNT = "SELECT count(*)" + RESOURCE_WHERE;

    /** A {@code memory_messages} row with the columns of {@link #COLUMNS}. */
    static final RowMapper<MemoryMessage> MESSAGE = (rs, ctx) -> MemoryMessage.stored(rs.getString("id"),
            rs.getString("memory_id"), rs.getLong("seq"), MessageRole.valueOf(rs.getString("role")),
            Json.parse("content", rs.getString("content")), rs.getString("resource_id"),
            Sql.instant(rs, "created_at"));

    private final EntityManager em;

    MessageReadSql(EntityManager em) {
        this.em = em;
    }

    /** Validates and reads the last {@code limit} messages of a thread, oldest first; one statement. */
    List<MemoryMessage> last(String memoryId, int limit) {
        Memory.requireId("memoryId", memoryId);
        Check.range("limit", limit, 1, MemoryRepository.MAX_RECALL);
        List<MemoryMessage> newestFirst = Sql.call(em, "recall MemoryMessages of Memory id=" + memoryId,
                h -> h.createQuery(LAST_MESSAGES)
                        .bind("memoryId", memoryId)
                        .bind("limit", limit)
                        .map(MESSAGE)
                        .list());
        Collections.reverse(newestFirst);
        return newestFirst;
    }

    /**
     * A page of a thread's messages ({@code page == null}: every matching message, no count), the count only when
     * asked for and the page does not show it, and the includes; see {@link MemoryRepository#listMessages}.
     */
    MessageListing listing(MessageQuery query, PageRequest page, boolean includeTotal) {
        Long limit = page == null ? null : page.perPage() + 1L; // one row beyond the page tells whether more follow
        long offset = page == null ? 0L : page.offset();
        return Sql.call(em, "list MemoryMessages of Memory id=" + query.memoryId(), h -> {
            List<MemoryMessage> rows = filter(h.createQuery(query.direction() == SortDirection.ASC ? PAGE_ASC
                    : PAGE_DESC), query)
                    .bind("limit", limit)
                    .bind("offset", offset)
                    .map(MESSAGE)
                    .list();
            List<MemoryMessage> included = included(h, query);
            if (page == null) {
                return new MessageListing(new Page<>(rows, 0, rows.size(), rows.size(), false), included);
            }
            boolean beyond = rows.size() > page.perPage();
            List<MemoryMessage> items = beyond ? rows.subList(0, page.perPage()) : rows;
            Set<String> includedIds = new HashSet<>();
            included.forEach(m -> includedIds.add(m.id()));
            long total;
            boolean hasMore = beyond;
            if (!beyond && (!items.isEmpty() || page.page() == 0)) {
                total = page.offset() + items.size(); // the listing ends on this page
            } else if (beyond && includedIds.contains(rows.get(page.perPage()).id())) {
                // more follow only when a message beyond the page was not already returned as included context
                CountAndMore c = countAndMore(h, query, items, includedIds);
                hasMore = c.more();
                total = includeTotal ? c.total() : Page.TOTAL_NOT_COUNTED;
            } else if (includeTotal) {
                total = filter(h.createQuery(COUNT), query).mapTo(long.class).one();
            } else {
                total = Page.TOTAL_NOT_COUNTED;
            }
            return new MessageListing(new Page<>(items, page.page(), page.perPage(), total, hasMore), included);
        });
    }

    /** The count of the matching messages, and whether one beyond the page is not included: one statement. */
    private static CountAndMore countAndMore(Handle h, MessageQuery query, List<MemoryMessage> items,
                                             Set<String> includedIds) {
        Long last = items.isEmpty() ? null : items.get(items.size() - 1).seq();
        boolean asc = query.direction() == SortDirection.ASC;
        ArrayNode ids = JsonNodeFactory.instance.arrayNode();
        includedIds.forEach(ids::add);
        return filter(h.createQuery(COUNT_AND_MORE), query)
                .bind("after", asc ? last : null)
                .bind("before", asc ? null : last)
                .bind("included", Json.print(ids))
                .map((rs, ctx) -> new CountAndMore(rs.getLong("total"), rs.getBoolean("more")))
                .one();
    }

    /** Validates and reads messages by id, chronological; unknown ids are skipped. One statement. */
    List<MemoryMessage> byIds(List<String> ids) {
        String valid = MessageWriteSql.jsonArray(MessageWriteSql.ids(ids));
        List<MemoryMessage> found = new ArrayList<>(Sql.call(em, "get MemoryMessages by id", h -> h
                .createQuery(BY_IDS)
                .bind("ids", valid)
                .map(MESSAGE)
                .list()));
        found.sort(MessageListing.CHRONOLOGICAL);
        return List.copyOf(found);
    }

    /** Validates and reads a page of a resource's messages across threads, with the total; two statements. */
    Page<MemoryMessage> byResource(String resourceId, Instant from, Instant to, SortDirection direction,
                                   PageRequest page) {
        Check.notNull("resourceId", resourceId);
        Check.notNull("page", page);
        // validated as a query would be (resource id, range, direction); the thread id is a placeholder
        new MessageQuery("-", resourceId, from, to, direction, List.of());
        String statement = RESOURCE_PAGE.formatted(direction == SortDirection.ASC ? "ASC" : "DESC");
        return Sql.call(em, "list MemoryMessages of resource " + resourceId, h -> {
            List<MemoryMessage> rows = h.createQuery(statement)
                    .bind("resourceId", resourceId)
                    .bind("from", from)
                    .bind("to", to)
                    .bind("limit", page.perPage() + 1L)
                    .bind("offset", page.offset())
                    .map(MESSAGE)
                    .list();
            boolean hasMore = rows.size() > page.perPage();
            List<MemoryMessage> items = hasMore ? rows.subList(0, page.perPage()) : rows;
            long total = !hasMore && (!items.isEmpty() || page.page() == 0) ? page.offset() + items.size()
                    : h.createQuery(RESOURCE_COUNT)
                    .bind("resourceId", resourceId)
                    .bind("from", from)
                    .bind("to", to)
                    .mapTo(long.class)
                    .one();
            return new Page<>(items, page.page(), page.perPage(), total, hasMore);
        });
    }

    /** The includes of a query with their context, each once, chronological; no statement when there are none. */
    private static List<MemoryMessage> included(Handle h, MessageQuery query) {
        if (query.include().isEmpty()) {
            return List.of();
        }
        ArrayNode includes = JsonNodeFactory.instance.arrayNode();
        for (MessageInclude i : query.include()) {
            includes.addObject().put("id", i.id()).put("previous", i.previous()).put("next", i.next());
        }
        Map<String, MemoryMessage> byId = new LinkedHashMap<>();
        h.createQuery(INCLUDED)
                .bind("includes", Json.print(includes))
                .bind("resourceId", query.resourceId())
                .map(MESSAGE)
                .forEach(m -> byId.putIfAbsent(m.id(), m));
        List<MemoryMessage> sorted = new ArrayList<>(byId.values());
        sorted.sort(MessageListing.CHRONOLOGICAL);
        return sorted;
    }

    /** Binds the thread and filters of {@link #MESSAGES_WHERE}. */
    private static Query filter(Query statement, MessageQuery query) {
        Instant from = query.from();
        Instant to = query.to();
        return statement.bind("memoryId", query.memoryId())
                .bind("resourceId", query.resourceId())
                .bind("from", from)
                .bind("to", to);
    }

    /** What {@link #COUNT_AND_MORE} reads. */
    private record CountAndMore(long total, boolean more) {
    }
}
