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
import jakarta.persistence.EntityManager;
import jakarta.persistence.criteria.CriteriaBuilder;
import jakarta.persistence.criteria.CriteriaQuery;
import jakarta.persistence.criteria.Root;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    /** The write was refused by {@code ReadOnlyEntity}, as thrown or as the root cause of what JPA threw. */
    private static void assertRefused(Throwable thrown, String entity) {
        Throwable root = thrown;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        assertThat(root).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining(entity + " is read-only to JPA")
                .hasMessageContaining("dev.agentstore.persistence.knowledge");
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
            List<KnowledgeBase> jpql = store.fromTransaction(uow -> uow.entityManager().createQuery(
                            "SELECT k FROM KnowledgeBase k WHERE k.name LIKE 'jpakb%' ORDER BY k.name", KnowledgeBase.class)
                    .getResultList());

            assertThat(jpql).usingRecursiveFieldByFieldElementComparator().isEqualTo(basesViaRepository(store));
            assertThat(jpql).extracting(KnowledgeBase::name).containsExactly("jpakb_chunks", "jpakb_ivf", "jpakb_wide");
            assertThat(jpql.get(1).version()).isEqualTo(1);
            assertThat(jpql.get(1).index()).isEqualTo(IndexSpec.ivfflat(4));
            assertThat(jpql.get(1).updatedAt()).isAfter(jpql.get(1).createdAt());
            assertThat(jpql.get(2).vectorType()).isEqualTo(VectorType.HALFVEC);
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<KnowledgeBase> criteria = store.fromTransaction(uow -> {
                CriteriaBuilder cb = uow.entityManager().getCriteriaBuilder();
                CriteriaQuery<KnowledgeBase> query = cb.createQuery(KnowledgeBase.class);
                Root<KnowledgeBase> k = query.from(KnowledgeBase.class);
                query.where(cb.like(k.get("name"), "jpakb%")).orderBy(cb.asc(k.get("name")));
                return uow.entityManager().createQuery(query).getResultList();
            });

            assertThat(criteria).usingRecursiveFieldByFieldElementComparator().isEqualTo(basesViaRepository(store));
        }

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                EntityManager em = uow.entityManager();
                em.remove(em.find(KnowledgeBase.class, "jpakb_ivf"));
                em.flush();
            })).satisfies(e -> assertRefused(e, "KnowledgeBase"));

            assertThat(store.knowledge().find("jpakb_ivf")).isPresent();
        }

        @Test
        void persistIsRefused(AgentStore store, MutableClock clock) {
            KnowledgeBase kb = KnowledgeBase.create("jpakb_new", 3, Distance.COSINE, IndexSpec.none(), null,
                    clock.instant());

            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.entityManager().persist(kb);
                uow.entityManager().flush();
            })).satisfies(e -> assertRefused(e, "KnowledgeBase"));
            assertThat(store.knowledge().find("jpakb_new")).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            store.inTransaction(uow -> {
                KnowledgeBase kb = uow.entityManager().find(KnowledgeBase.class, "jpakb_ivf");
                kb.changeIndex(IndexSpec.none(), kb.updatedAt().plusSeconds(1));
                uow.entityManager().flush();
            });

            KnowledgeBase kb = store.knowledge().get("jpakb_ivf");
            assertThat(kb.index()).isEqualTo(IndexSpec.ivfflat(4));
            assertThat(kb.version()).isEqualTo(1);
        }
    }

    @Nested
    class Chunks {

        @Test
        void jpqlReadsTheRowsTheRepositoryReadsWithPayloadMetaAndEmbedding(AgentStore store) {
            List<Chunk> jpql = store.fromTransaction(uow -> uow.entityManager().createQuery(
                            "SELECT c FROM Chunk c WHERE c.knowledgeBase = :base ORDER BY c.ordinal, c.id", Chunk.class)
                    .setParameter("base", CHUNKS)
                    .getResultList());
            List<Chunk> repository = chunksViaRepository(store);

            assertThat(jpql).usingRecursiveFieldByFieldElementComparator().isEqualTo(repository);
            assertThat(jpql).extracting(Chunk::id).containsExactly("a", "b", "c");
            for (int i = 0; i < jpql.size(); i++) {
                assertThat(jpql.get(i).embedding()).containsExactly(repository.get(i).embedding());
                assertThat(jpql.get(i).payload()).isEqualTo(repository.get(i).payload());
                assertThat(jpql.get(i).meta()).isEqualTo(repository.get(i).meta());
                assertThat(jpql.get(i).createdAt()).isEqualTo(repository.get(i).createdAt());
            }
            assertThat(jpql.get(0).embedding()).containsExactly(0.5f, -1.25f, 3e-8f);
            assertThat(jpql.get(0).payload().get("price").decimalValue()).isEqualByComparingTo("1.50");
            assertThat(jpql.get(0).meta().at("/source/path").asText()).isEqualTo("a/b.md");
        }

        @Test
        void criteriaReadsTheRowsTheRepositoryReads(AgentStore store) {
            List<Chunk> criteria = store.fromTransaction(uow -> {
                CriteriaBuilder cb = uow.entityManager().getCriteriaBuilder();
                CriteriaQuery<Chunk> query = cb.createQuery(Chunk.class);
                Root<Chunk> c = query.from(Chunk.class);
                query.where(cb.equal(c.get("knowledgeBase"), CHUNKS))
                        .orderBy(cb.asc(c.get("ordinal")), cb.asc(c.get("id")));
                return uow.entityManager().createQuery(query).getResultList();
            });

            assertThat(criteria).usingRecursiveFieldByFieldElementComparator().isEqualTo(chunksViaRepository(store));
        }

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                EntityManager em = uow.entityManager();
                em.remove(em.find(Chunk.class, new ChunkId(CHUNKS, "a")));
                em.flush();
            })).satisfies(e -> assertRefused(e, "Chunk"));

            assertThat(store.chunks().get(CHUNKS, "a")).isPresent();
        }

        @Test
        void persistIsRefused(AgentStore store, MutableClock clock) {
            KnowledgeBase kb = store.knowledge().get(CHUNKS);
            Chunk chunk = Chunk.create(kb, NewChunk.of("doc", 9, "new", new float[]{0, 0, 1}).withId("z"),
                    clock.instant());

            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.entityManager().persist(chunk);
                uow.entityManager().flush();
            })).satisfies(e -> assertRefused(e, "Chunk"));
            assertThat(store.chunks().get(CHUNKS, "z")).isEmpty();
            assertThat(store.chunks().count(CHUNKS)).isEqualTo(3);
        }
    }
}
