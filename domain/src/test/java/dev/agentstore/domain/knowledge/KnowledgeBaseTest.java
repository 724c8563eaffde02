package dev.agentstore.domain.knowledge;

import dev.agentstore.domain.InvalidInputException;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KnowledgeBaseTest {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void scoresAndDistanceBoundsAreInverseForEveryMetric() {
        for (Distance d : Distance.values()) {
            for (double minScore : new double[]{-2, -0.5, 0, 0.25, 1, 3}) {
                assertThat(d.score(d.maxDistance(minScore))).as(d + " " + minScore).isEqualTo(minScore);
            }
        }
        assertThat(Distance.COSINE.score(1.0)).isZero();
        assertThat(Distance.L2.score(2.0)).isEqualTo(-2.0);
        assertThat(Distance.INNER_PRODUCT.score(-7.0)).isEqualTo(7.0);
        assertThatThrownBy(() -> Distance.COSINE.maxDistance(Double.NaN)).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void theVectorTypeDefaultsToHalfvecAbove2000Dimensions() {
        assertThat(VectorType.defaultFor(2000)).isEqualTo(VectorType.VECTOR);
        assertThat(VectorType.defaultFor(2001)).isEqualTo(VectorType.HALFVEC);
        assertThat(KnowledgeBase.create("k", 3072, Distance.L2, IndexSpec.ivfflat(10), null, NOW).vectorType())
                .isEqualTo(VectorType.HALFVEC);
    }

    @Test
    void embeddingsAreCheckedForDimensionFinitenessAndHalfPrecisionRange() {
        KnowledgeBase half = KnowledgeBase.create("half", 3, Distance.COSINE, IndexSpec.hnsw(), VectorType.HALFVEC, NOW);
        KnowledgeBase full = KnowledgeBase.create("full", 3, Distance.COSINE, IndexSpec.hnsw(), null, NOW);

        assertThat(full.requireEmbedding("e", new float[]{1e30f, 0, 0})).hasSize(3);
        assertThatThrownBy(() -> half.requireEmbedding("e", new float[]{1e30f, 0, 0}))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("65504");
        assertThatThrownBy(() -> full.requireEmbedding("e", new float[]{1, 2}))
                .isInstanceOf(InvalidInputException.class).hasMessage("e has dimension 2 but knowledge base 'full' expects dimension 3");
        assertThatThrownBy(() -> full.requireEmbedding("e", new float[]{1, Float.NaN, 2}))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("index 1");
    }

    @Test
    void aLargeBaseCreatedWithoutIndexCanBeIndexedLater() {
        KnowledgeBase kb = KnowledgeBase.create("bulk", 3072, Distance.COSINE, IndexSpec.none(), null, NOW);

        kb.changeIndex(IndexSpec.hnsw(), NOW);

        assertThat(kb.vectorType()).isEqualTo(VectorType.HALFVEC);
    }

    @Test
    void changingTheIndexChecksTheDimensionAgain() {
        KnowledgeBase kb = KnowledgeBase.create("wide", 5000, Distance.COSINE, IndexSpec.none(), null, NOW);

        assertThatThrownBy(() -> kb.changeIndex(IndexSpec.hnsw(), NOW)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("4000");
        assertThat(kb.index()).isEqualTo(IndexSpec.none());
    }
}
