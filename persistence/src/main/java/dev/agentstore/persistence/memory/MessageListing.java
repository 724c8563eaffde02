package dev.agentstore.persistence.memory;

import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.persistence.support.Page;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of {@link MemoryRepository#listMessages}: a page of the thread's messages and, separately, the
 * included messages with their context.
 *
 * @param page     the thread's matching messages, paged, in the query's direction; {@code total} counts only these
 *                 ({@link Page#TOTAL_NOT_COUNTED} when the listing was asked not to count and the page does not show
 *                 it); {@code hasMore} is true when a matching message beyond the page is not in {@code included}
 * @param included the messages asked for by {@code include} and their context, each once, ordered by creation time,
 *                 then thread id, then sequence; may overlap {@code page}
 */
public record MessageListing(Page<MemoryMessage> page, List<MemoryMessage> included) {

    /** Defensive copy. */
    public MessageListing {
        included = List.copyOf(included);
    }

    /**
     * The page and the included messages together, each message once, ordered by
     * creation time, then thread id, then sequence.
     *
     * @return the merged list
     */
    public List<MemoryMessage> messages() {
        Map<String, MemoryMessage> byId = new LinkedHashMap<>();
        page.items().forEach(m -> byId.putIfAbsent(m.id(), m));
        included.forEach(m -> byId.putIfAbsent(m.id(), m));
        List<MemoryMessage> all = new ArrayList<>(byId.values());
        all.sort(CHRONOLOGICAL);
        return List.copyOf(all);
    }

    /** Creation time, then thread id, then sequence. */
    static final Comparator<MemoryMessage> CHRONOLOGICAL = Comparator.comparing(MemoryMessage::createdAt)
            .thenComparing(MemoryMessage::memoryId).thenComparingLong(MemoryMessage::seq);
}
