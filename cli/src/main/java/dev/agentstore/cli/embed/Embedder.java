package dev.agentstore.cli.embed;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns text into a fixed-size vector for the knowledge store: the library's
 * {@link dev.agentstore.domain.knowledge.Embedder} (text → {@code float[]}, a fixed dimension) with a name for reports;
 * implementations are thread-safe.
 */
public interface Embedder extends dev.agentstore.domain.knowledge.Embedder {

    /** @return the number of components of every vector this embedder returns */
    int dimension();

    /** @return a short name for reports, for example {@code all-minilm-l6-v2-q (256 tokens)} */
    String name();

    /**
     * @param text the text; not blank
     * @return its vector, of length {@link #dimension()}
     * @throws IllegalArgumentException when {@code text} is blank
     */
    float[] embed(String text);

    /**
     * Embeds several texts; implementations may do so in parallel.
     *
     * @param texts the texts, none blank
     * @return one vector per text, in order
     */
    default List<float[]> embedAll(List<String> texts) {
        List<float[]> out = new ArrayList<>(texts.size());
        for (String t : texts) {
            out.add(embed(t));
        }
        return out;
    }
}
