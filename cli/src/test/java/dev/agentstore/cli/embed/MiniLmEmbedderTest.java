package dev.agentstore.cli.embed;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MiniLmEmbedderTest {

    private static MiniLmEmbedder embedder;

    @BeforeAll
    static void load() {
        embedder = new MiniLmEmbedder(2);
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    @Test
    void vectorsHave384UnitLengthComponents() {
        float[] v = embedder.embed("How do I create an index concurrently?");
        assertThat(embedder.dimension()).isEqualTo(384);
        assertThat(v).hasSize(384);
        assertThat(norm(v)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-3));
    }

    @Test
    void tokenizerIsLoadedWithA256TokenLimit() {
        assertThat(embedder.tokenizerMaxLength()).isEqualTo(256);
    }

    @Test
    void textBeyondToken128StillChangesTheEmbedding() {
        // 140 tokens of common prefix: with the bundled 128-token limit both texts would embed identically
        String prefix = "the database ".repeat(70);
        List<float[]> vs = embedder.embedAll(List.of(
                prefix + "vacuum freezes old transaction identifiers to prevent wraparound",
                prefix + "bananas are yellow tropical fruit that grow on large plants"));
        assertThat(cosine(vs.get(0), vs.get(1))).isLessThan(0.999);
    }

    @Test
    void relatedTextsAreCloserThanUnrelatedOnes() {
        List<float[]> vs = embedder.embedAll(List.of("advisory lock",
                "PostgreSQL provides a means for creating locks that have application-defined meanings.",
                "The tutorial shows how to install the software on Windows."));
        assertThat(cosine(vs.get(0), vs.get(1))).isGreaterThan(cosine(vs.get(0), vs.get(2)));
    }

    @Test
    void blankTextIsRejected() {
        assertThatThrownBy(() -> embedder.embed("  ")).isInstanceOf(IllegalArgumentException.class);
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
        }
        return dot / (norm(a) * norm(b));
    }

    static double norm(float[] a) {
        double s = 0;
        for (float x : a) {
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
