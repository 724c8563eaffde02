package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.Chunk;
import dev.agentstore.domain.knowledge.ChunkId;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.domain.knowledge.VectorType;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkDeleteRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkUpdateRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertPersistRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertRemoveRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertSameRows;
import static dev.agentstore.persistence.ReadOnlyJpa.changeAndFlush;
import static dev.agentstore.persistence.ReadOnlyJpa.criteria;
import static dev.agentstore.persistence.ReadOnlyJpa.jpql;
import static dev.agentstore.persistence.ReadOnlyJpa.setField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link KnowledgeBase} and {@link Chunk} are true JPA mappings that users can query (the JSONB payload and meta and
 * the pgvector embedding included), and read-only to JPA: the repositories are the only writers.
 */
@ExtendWith(AgentStoreExtension.class)
class KnowledgeJpaMappingTest {

    private static final String CHUNKS = "jpakb_chunks";

    @BeforeEach
    void bases(AgentStore store, MutableClock clock) {
        store.inTransaction(uow -> {
            for (String name : List.of("jpakb_chunks", "jpakb_ivf", "jpakb_wide")) {
                uow.knowledge().delete(name);
            }
            uow.knowledge().create(CHUNKS, 3, Distance.COSINE, IndexSpec.hnsw(8, 32));
            uow.knowledge().create("jpakb_ivf", 2, Distance.L2, IndexSpec.ivfflat(3));
            uow.knowledge().create("jpakb_wide", 2500, Distance.INNER_PRODUCT, IndexSpec.none(), VectorType.HALFVEC);
        });
        clock.advance(Duration.ofSeconds(3));
        store.inTransaction(uow -> uow.knowledge().changeIndex("jpakb_ivf", IndexSpec.ivfflat(4)));
        store.chunks().upsert(CHUNKS, List.of(
                NewChunk.of("doc", 0, "first", new float[]{0.5f, -1.25f, 3e-8f}).withId("a")
                        .withPayload(Json.parse("p", "{\"lang\":\"en\",\"n\":1,\"price\":1.50,\"tags\":[\"x\",null]}"))
                        .withMeta(Json.parse("m", "{\"source\":{\"path\":\"a/b.md\"},\"ok\":true}")),
                NewChunk.of("doc", 1, "second", new float[]{1, 0, 0}).withId("b"),
                NewChunk.of("doc", 1, "third", new float[]{0, 1, 0}).withId("c")
                        .withPayload(Json.parse("p", "{\"lang\":\"de\"}"))));
    }

    private static List<KnowledgeBase> basesViaRepository(AgentStore store) {
        return store.knowledge().list().stream().filter(kb -> kb.name().startsWith("jpakb_")).toList();
    }

    private static List<Chunk> chunksViaRepository(AgentStore store) {
        return store.chunks().byDocument(CHUNKS, "doc");
    }

    @Nested
    class KnowledgeBases {

        @Test
        void jpqlReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<KnowledgeBase> jpql = jpql(store, KnowledgeBase.class,
                    "SELECT k FROM KnowledgeBase k WHERE k.name LIKE 'jpakb%' ORDER BY k.name");

            assertSameRows(jpql, basesViaRepository(store));
            assertThat(jpql).extracting(KnowledgeBase::name).containsExactly("jpakb_chunks", "jpakb_ivf", "jpakb_wide");
            assertThat(jpql.get(1).version()).isEqualTo(1);
            assertThat(jpql.get(1).index()).isEqualTo(IndexSpec.ivfflat(4));
            assertThat(jpql.get(1).updatedAt()).isAfter(jpql.get(1).createdAt());
            assertThat(jpql.get(2).vectorType()).isEqualTo(VectorType.HALFVEC);
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<KnowledgeBase> criteria = criteria(store, KnowledgeBase.class,
                    (cb, query, k) -> query.where(cb.like(k.get("name"), "jpakb%")).orderBy(cb.asc(k.get("name"))));

            assertSameRows(criteria, basesViaRepository(store));
        }

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertRemoveRefused(store, KnowledgeBase.class, "jpakb_ivf");

            assertThat(store.knowledge().find("jpakb_ivf")).isPresent();
        }

        @Test
        void persistIsRefused(AgentStore store, MutableClock clock) {
            assertPersistRefused(store, KnowledgeBase.create("jpakb_new", 3, Distance.COSINE, IndexSpec.none(), null,
                    clock.instant()));

            assertThat(store.knowledge().find("jpakb_new")).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            changeAndFlush(store, KnowledgeBase.class, "jpakb_ivf",
                    kb -> kb.changeIndex(IndexSpec.none(), kb.updatedAt().plusSeconds(1)));

            assertIvfUnchanged(store);
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertBulkUpdateRefused(store, KnowledgeBase.class,
                    "UPDATE KnowledgeBase k SET k.ivfflatLists = 99 WHERE k.name LIKE 'jpakb%'");

            assertIvfUnchanged(store);
        }

        @Test
        void aBulkDeleteIsRefused(AgentStore store) {
            assertBulkDeleteRefused(store, KnowledgeBase.class,
                    "DELETE FROM KnowledgeBase k WHERE k.name LIKE 'jpakb%'");

            assertThat(basesViaRepository(store)).extracting(KnowledgeBase::name)
                    .containsExactly("jpakb_chunks", "jpakb_ivf", "jpakb_wide");
            assertIvfUnchanged(store);
        }

        private static void assertIvfUnchanged(AgentStore store) {
            KnowledgeBase kb = store.knowledge().get("jpakb_ivf");
            assertThat(kb.index()).isEqualTo(IndexSpec.ivfflat(4));
            assertThat(kb.version()).isEqualTo(1);
        }
    }

    @Nested
    class Chunks {

        @Test
        void jpqlReadsTheRowsTheRepositoryReadsWithPayloadMetaAndEmbedding(AgentStore store) {
            List<Chunk> jpql = jpql(store, Chunk.class, "SELECT c FROM Chunk c WHERE c.knowledgeBase = :base"
                    + " ORDER BY c.ordinal, c.id", Map.of("base", CHUNKS));
            List<Chunk> repository = chunksViaRepository(store);

            assertSameRows(jpql, repository);
            assertThat(jpql).extracting(Chunk::id).containsExactly("a", "b", "c");
            assertSameRows(jpql, repository,
                    List.of(Chunk::embedding, Chunk::payload, Chunk::meta, Chunk::createdAt));
            assertThat(jpql.get(0).embedding()).containsExactly(0.5f, -1.25f, 3e-8f);
            assertThat(jpql.get(0).payload().get("price").decimalValue()).isEqualByComparingTo("1.50");
            assertThat(jpql.get(0).meta().at("/source/path").asText()).isEqualTo("a/b.md");
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<Chunk> criteria = criteria(store, Chunk.class, (cb, query, c) -> query
                    .where(cb.equal(c.get("knowledgeBase"), CHUNKS))
                    .orderBy(cb.asc(c.get("ordinal")), cb.asc(c.get("id"))));

            assertSameRows(criteria, chunksViaRepository(store));
        }

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertRemoveRefused(store, Chunk.class, new ChunkId(CHUNKS, "a"));

            assertThat(store.chunks().get(CHUNKS, "a")).isPresent();
        }

        @Test
        void persistIsRefused(AgentStore store, MutableClock clock) {
            KnowledgeBase kb = store.knowledge().get(CHUNKS);
            Chunk chunk = Chunk.create(kb, NewChunk.of("doc", 9, "new", new float[]{0, 0, 1}).withId("z"),
                    clock.instant());

            assertPersistRefused(store, chunk);

            assertThat(store.chunks().get(CHUNKS, "z")).isEmpty();
            assertThat(store.chunks().count(CHUNKS)).isEqualTo(3);
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            changeAndFlush(store, Chunk.class, new ChunkId(CHUNKS, "b"), c -> setField(c, "content", "changed"));

            assertThat(store.chunks().get(CHUNKS, "b").orElseThrow().content()).isEqualTo("second");
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertBulkUpdateRefused(store, Chunk.class,
                    "UPDATE Chunk c SET c.content = 'changed' WHERE c.knowledgeBase LIKE 'jpakb%'");

            assertChunksUnchanged(store);
        }

        @Test
        void aBulkDeleteIsRefused(AgentStore store) {
            assertBulkDeleteRefused(store, Chunk.class, "DELETE FROM Chunk c WHERE c.knowledgeBase LIKE 'jpakb%'");

            assertChunksUnchanged(store);
            assertThat(store.chunks().count(CHUNKS)).isEqualTo(3);
        }

        private static void assertChunksUnchanged(AgentStore store) {
            assertThat(chunksViaRepository(store)).extracting(Chunk::content)
                    .containsExactly("first", "second", "third");
        }
    }
}
