package dev.agentstore.domain.knowledge;

import java.util.List;
import java.util.Optional;

/**
 * One page of a listing of chunks, newest first.
 *
 * @param chunks the chunks of this page, by {@code (createdAt, id)} descending; unmodifiable
 * @param next   the cursor of the next page, or {@code null} when this page is the last
 */
public record ChunkPage(List<Chunk> chunks, ChunkCursor next) {

    /** Defensive copy of the chunks. */
    public ChunkPage {
        chunks = List.copyOf(chunks);
    }

    /** @return the cursor of the next page, empty when this page is the last */
    public Optional<ChunkCursor> nextCursor() {
        return Optional.ofNullable(next);
    }
}
