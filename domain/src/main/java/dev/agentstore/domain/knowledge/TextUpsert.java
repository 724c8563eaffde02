package dev.agentstore.domain.knowledge;

import java.util.List;

/**
 * What {@code ChunkRepository.upsertTexts} did.
 *
 * @param ids       the chunks' ids, in the order given; unmodifiable
 * @param embedded  how many chunks were embedded and written (new ids or changed content)
 * @param unchanged how many chunks already held the same content and were not embedded again (their document id,
 *                  ordinal, payload and meta were brought up to date)
 * @param batches   how many calls of {@link Embedder#embedAll} it took
 */
public record TextUpsert(List<String> ids, int embedded, int unchanged, int batches) {

    /** Defensive copy of the ids. */
    public TextUpsert {
        ids = List.copyOf(ids);
    }
}
