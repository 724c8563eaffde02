package dev.agentstore.domain.knowledge;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Where a listing of chunks goes on: the creation time and id of the last chunk of the previous page (chunks are
 * listed newest first, by {@code (createdAt, id)} descending). {@link #encode()} gives it as one text (for an HTTP
 * query parameter), {@link #decode} reads it back.
 *
 * @param createdAt the last listed chunk's creation time
 * @param id        the last listed chunk's id, 1–255 characters
 */
public record ChunkCursor(Instant createdAt, String id) {

    /**
     * @throws InvalidInputException when a value is missing or invalid
     */
    public ChunkCursor {
        Check.instant("cursor.createdAt", Check.notNull("cursor.createdAt", createdAt));
        Check.name("cursor.id", id);
    }

    /**
     * @param last the last chunk of a page
     * @return the cursor after it
     */
    public static ChunkCursor after(Chunk last) {
        return new ChunkCursor(last.createdAt(), last.id());
    }

    /** @return {@code <ISO-8601 creation time>_<id>} */
    public String encode() {
        return createdAt + "_" + id;
    }

    /**
     * @param text what {@link #encode()} returned
     * @return the cursor
     * @throws InvalidInputException when {@code text} is not an encoded cursor
     */
    public static ChunkCursor decode(String text) {
        int cut = text == null ? -1 : text.indexOf('_');
        if (cut < 0) {
            throw new InvalidInputException("cursor: not a chunk cursor");
        }
        try {
            return new ChunkCursor(Instant.parse(text.substring(0, cut)), text.substring(cut + 1));
        } catch (DateTimeParseException e) {
            throw new InvalidInputException("cursor: not a chunk cursor");
        }
    }
}
