package dev.agentstore.domain.knowledge;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns text into an embedding, so that callers can search (and ingest) by text. agentstore ships no model: wrap
 * your provider's client (OpenAI, Ollama, ONNX, DJL…) in this interface. Implementations must be deterministic
 * enough for search (the same model and settings for ingest and queries) and thread-safe if shared.
 */
public interface Embedder {

    /**
     * @param text the text to embed, not {@code null}
     * @return its embedding, exactly {@link #dimension()} elements
     */
    float[] embed(String text);

    /** @return the dimension of every embedding this embedder returns; must equal the knowledge base's */
    int dimension();

    /**
     * @return how many texts one {@link #embedAll} call is given at most by agentstore ({@code upsertTexts} splits
     *         longer lists): 64 unless overridden; at least 1. Set it to the provider's batch limit.
     */
    default int batchSize() {
        return 64;
    }

    /**
     * Embeds several texts; override to use the provider's batch endpoint.
     *
     * @param texts the texts, at most {@link #batchSize()} when agentstore calls it
     * @return one embedding per text, in order
     */
    default List<float[]> embedAll(List<String> texts) {
        List<float[]> out = new ArrayList<>(texts.size());
        for (String t : texts) {
            out.add(embed(t));
        }
        return out;
    }
}
