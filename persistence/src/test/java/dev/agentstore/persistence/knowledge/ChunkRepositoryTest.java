package dev.agentstore.persistence.knowledge;

import com.fasterxml.jackson.databind.JsonNode;
import com.pgvector.PGvector;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.Chunk;
import dev.agentstore.domain.knowledge.ChunkId;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.support.Sql;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class ChunkRepositoryTest {

    private static void base(AgentStore store, String name, int dimension) {
        store.inTransaction(uow -> uow.knowledge().create(name, dimension, Distance.COSINE, IndexSpec.hnsw()));
    }

    private static Optional<Chunk> get(AgentStore store, String base, String id) {
        return store.fromTransaction(uow -> uow.chunks().get(base, id));
    }

    private static long count(AgentStore store, String base, Filter filter) {
        return store.fromTransaction(uow -> uow.chunks().count(base, filter));
    }

    @Nested
    class Upsert {

        @Test
        void upsertedChunksReadBackWithEveryField(AgentStore store, MutableClock clock) {
            base(store, "roundtrip", 3);
            JsonNode payload = Json.parse("p", "{\"lang\":\"en\",\"n\":0,\"flag\":false,\"empty\":\"\",\"nothing\":null,\"price\":1.50}");
            JsonNode meta = Json.parse("m", "{\"source\":{\"path\":\"a/b.md\"}}");
            List<String> ids = store.fromTransaction(uow -> uow.chunks().upsert("roundtrip", List.of(
                    NewChunk.of("doc-1", 7, "Hello, wörld", new float[]{0.5f, -1.25f, 3e-8f})
                            .withId("c-1").withPayload(payload).withMeta(meta))));

            assertThat(ids).containsExactly("c-1");
            Chunk c = get(store, "roundtrip", "c-1").orElseThrow();
            assertThat(c.knowledgeBase()).isEqualTo("roundtrip");
            assertThat(c.documentId()).isEqualTo("doc-1");
            assertThat(c.ordinal()).isEqualTo(7);
            assertThat(c.content()).isEqualTo("Hello, wörld");
            assertThat(c.embedding()).containsExactly(0.5f, -1.25f, 3e-8f);
            assertThat(c.payload()).isEqualTo(payload);
            assertThat(c.meta()).isEqualTo(meta);
            assertThat(c.contentHash()).isEqualTo(Chunk.contentHash("Hello, wörld")).hasSize(64);
            assertThat(c.createdAt()).isEqualTo(clock.instant());
            assertThat(c.dimension()).isEqualTo(3);
            assertThat(get(store, "roundtrip", "missing")).isEmpty();
        }

        @Test
        void contentHashIsSha256OfUtf8() {
            assertThat(Chunk.contentHash("")).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
            assertThat(Chunk.contentHash("abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        }

        @Test
        void chunksWithoutIdGetRandomUuids(AgentStore store) {
            base(store, "generated", 2);
            List<String> ids = store.fromTransaction(uow -> uow.chunks().upsert("generated", List.of(
                    NewChunk.of("d", 0, "a", new float[]{1, 0}), NewChunk.of("d", 1, "b", new float[]{0, 1}))));

            assertThat(ids).hasSize(2).doesNotHaveDuplicates()
                    .allSatisfy(id -> assertThat(java.util.UUID.fromString(id)).isNotNull());
            assertThat(count(store, "generated", null)).isEqualTo(2);
        }

        @Test
        void upsertOfAnExistingIdReplacesEverythingButTheCreationTime(AgentStore store, MutableClock clock) {
            base(store, "replaced", 2);
            Instant first = clock.instant();
            store.inTransaction(uow -> uow.chunks().upsert("replaced", List.of(
                    NewChunk.of("d1", 0, "old", new float[]{1, 0}).withId("c").withPayload(Json.parse("p", "{\"v\":1}")))));
            clock.advance(Duration.ofMinutes(1));

            store.inTransaction(uow -> uow.chunks().upsert("replaced", List.of(
                    NewChunk.of("d2", 4, "new", new float[]{0, 1}).withId("c"))));

            Chunk c = get(store, "replaced", "c").orElseThrow();
            assertThat(c.content()).isEqualTo("new");
            assertThat(c.documentId()).isEqualTo("d2");
            assertThat(c.ordinal()).isEqualTo(4);
            assertThat(c.embedding()).containsExactly(0f, 1f);
            assertThat(c.payload()).isEqualTo(Json.object());
            assertThat(c.contentHash()).isEqualTo(Chunk.contentHash("new"));
            assertThat(c.createdAt()).isEqualTo(first);
            assertThat(count(store, "replaced", null)).isEqualTo(1);
        }

        @Test
        void theSameIdTwiceInOneCallIsOneRowWithTheLastValues(AgentStore store) {
            base(store, "dupes", 2);
            List<String> ids = store.fromTransaction(uow -> uow.chunks().upsert("dupes", List.of(
                    NewChunk.of("d", 0, "first", new float[]{1, 0}).withId("x"),
                    NewChunk.of("d", 1, "other", new float[]{1, 1}).withId("y"),
                    NewChunk.of("d", 2, "last", new float[]{0, 1}).withId("x"))));

            assertThat(ids).containsExactly("x", "y", "x");
            assertThat(count(store, "dupes", null)).isEqualTo(2);
            assertThat(get(store, "dupes", "x").orElseThrow().content()).isEqualTo("last");
        }

        @Test
        void largeUpsertsGoInSeveralBatchesOfOneStatement(AgentStore store) {
            base(store, "bulk", 4);
            List<NewChunk> chunks = new ArrayList<>();
            for (int i = 0; i < 1_234; i++) {
                chunks.add(NewChunk.of("doc-" + i / 100, i % 100, "chunk " + i, new float[]{i, 1, 2, 3}).withId("c" + i));
            }

            store.inTransaction(uow -> uow.chunks().upsert("bulk", chunks));

            assertThat(count(store, "bulk", null)).isEqualTo(1_234);
            assertThat(get(store, "bulk", "c1233").orElseThrow().embedding()).containsExactly(1233f, 1f, 2f, 3f);
        }
    }

    @Nested
    class RejectedInput {

        @Test
        void aWrongDimensionNamesExpectedAndActualAndWritesNothing(AgentStore store) {
            base(store, "dims", 3);
            List<NewChunk> chunks = List.of(
                    NewChunk.of("d", 0, "ok", new float[]{1, 2, 3}).withId("ok"),
                    NewChunk.of("d", 1, "bad", new float[]{1, 2}).withId("bad"));

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.chunks().upsert("dims", chunks)))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("bad").hasMessageContaining("dimension 2").hasMessageContaining("expects dimension 3");
            assertThat(count(store, "dims", null)).isZero();

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.chunks().upsert("dims", List.of(
                    NewChunk.of("d", 0, "nan", new float[]{1, Float.NaN, 3})))))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("non-finite");
        }

        @Test
        void invalidChunksAreRejected() {
            float[] v = {1, 2};
            assertThatThrownBy(() -> NewChunk.of(" ", 0, "x", v)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("documentId");
            assertThatThrownBy(() -> NewChunk.of("d", -1, "x", v)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("ordinal");
            assertThatThrownBy(() -> NewChunk.of("d", 0, null, v)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("content");
            assertThatThrownBy(() -> NewChunk.of("d", 0, "a\0b", v)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("NUL");
            assertThatThrownBy(() -> NewChunk.of("d", 0, "x", null)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("embedding");
            assertThatThrownBy(() -> NewChunk.of("d", 0, "x", v).withPayload(Json.parse("p", "[1]")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("payload must be a JSON object");
            assertThatThrownBy(() -> NewChunk.of("d", 0, "x", v).withMeta(Json.parse("p", "{\"a\":\"\\u0000\"}")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("NUL");
            assertThatThrownBy(() -> NewChunk.of("d", 0, "x", v).withId("i".repeat(256)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("id");
        }

        @Test
        void operationsOnAnUnknownBaseAreNotFound(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.chunks().upsert("nowhere",
                    List.of(NewChunk.of("d", 0, "x", new float[]{1})))))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("nowhere");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.chunks().get("nowhere", "x")))
                    .isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.chunks().search("nowhere", new float[]{1},
                    SearchOptions.top(1)))).isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.chunks().deleteAll("Bad-Name")))
                    .isInstanceOf(InvalidInputException.class);
        }

        @Test
        void injectionStringsInIdsValuesAndKeysAreInert(AgentStore store) {
            base(store, "inert", 1);
            String evil = "x'); DROP TABLE chunks; --";
            store.inTransaction(uow -> uow.chunks().upsert("inert", List.of(
                    NewChunk.of(evil, 0, evil, new float[]{1}).withId(evil)
                            .withPayload(Json.parse("p", "{\"k\":\"v' OR 1=1 --\"}")))));

            assertThat(get(store, "inert", evil)).map(Chunk::content).contains(evil);
            assertThat(count(store, "inert", Filter.eq("payload.k", "v' OR 1=1 --"))).isEqualTo(1);
            assertThat(count(store, "inert", Filter.eq("payload.k", "' OR '1'='1"))).isZero();
            assertThat(count(store, "inert", Filter.eq("documentId", evil))).isEqualTo(1);
            assertThatThrownBy(() -> count(store, "inert", Filter.eq("payload.k'--", "x")))
                    .isInstanceOf(InvalidInputException.class);
            int deleted = store.fromTransaction(uow -> uow.chunks().deleteByFilter("inert",
                    Filter.eq("documentId", "' OR 1=1 --")));
            assertThat(deleted).isZero();
            assertThat(count(store, "inert", null)).isEqualTo(1);
        }
    }

    @Nested
    class ReadsAndCounts {

        @Test
        void existingHashesReportsWhichContentIsAlreadyStored(AgentStore store) {
            base(store, "hashes", 2);
            base(store, "hashes_other", 2);
            store.inTransaction(uow -> {
                uow.chunks().upsert("hashes", List.of(NewChunk.of("d", 0, "alpha", new float[]{1, 0}),
                        NewChunk.of("d", 1, "beta", new float[]{0, 1})));
                uow.chunks().upsert("hashes_other", List.of(NewChunk.of("d", 0, "gamma", new float[]{1, 0})));
            });

            Set<String> found = store.fromTransaction(uow -> uow.chunks().existingHashes("hashes", List.of(
                    Chunk.contentHash("alpha"), Chunk.contentHash("gamma"), Chunk.contentHash("delta"), "not-a-hash")));

            assertThat(found).containsExactly(Chunk.contentHash("alpha"));
            Set<String> none = store.fromTransaction(uow -> uow.chunks().existingHashes("hashes", List.of()));
            assertThat(none).isEmpty();
        }

        @Test
        void chunksOfADocumentComeBackInOrdinalOrder(AgentStore store) {
            base(store, "ordered", 1);
            store.inTransaction(uow -> uow.chunks().upsert("ordered", List.of(
                    NewChunk.of("doc", 2, "c", new float[]{1}).withId("a"),
                    NewChunk.of("doc", 0, "a", new float[]{1}).withId("b"),
                    NewChunk.of("other", 1, "x", new float[]{1}).withId("c"),
                    NewChunk.of("doc", 1, "b", new float[]{1}).withId("d"))));

            List<Chunk> chunks = store.fromTransaction(uow -> uow.chunks().byDocument("ordered", "doc"));

            assertThat(chunks).extracting(Chunk::content).containsExactly("a", "b", "c");
        }

        @Test
        void countsWithFiltersOnPayloadMetaAndDocument(AgentStore store) {
            base(store, "counted", 1);
            store.inTransaction(uow -> uow.chunks().upsert("counted", List.of(
                    NewChunk.of("a", 0, "x", new float[]{1}).withPayload(Json.parse("p", "{\"lang\":\"en\",\"n\":1}"))
                            .withMeta(Json.parse("m", "{\"src\":\"web\"}")),
                    NewChunk.of("a", 1, "y", new float[]{1}).withPayload(Json.parse("p", "{\"lang\":\"de\",\"n\":1.0}")),
                    NewChunk.of("b", 0, "z", new float[]{1}).withPayload(Json.parse("p", "{\"lang\":\"en\"}"))
                            .withMeta(Json.parse("m", "{\"src\":\"web\"}")))));

            assertThat(count(store, "counted", Filter.eq("payload.lang", "en"))).isEqualTo(2);
            assertThat(count(store, "counted", Filter.contains("payload.lang", "en"))).isEqualTo(2);
            assertThat(count(store, "counted", Filter.eq("payload.n", 1))).isEqualTo(2);
            assertThat(count(store, "counted", Filter.and(Filter.eq("meta.src", "web"), Filter.eq("documentId", "a"))))
                    .isEqualTo(1);
            assertThat(count(store, "counted", Filter.eq("documentId", "b"))).isEqualTo(1);
            assertThat(count(store, "counted", Filter.or(Filter.eq("ordinal", 1), Filter.eq("payload.lang", "de"))))
                    .isEqualTo(1);
            assertThat(count(store, "counted", Filter.not(Filter.exists("meta.src")))).isEqualTo(1);
            assertThatThrownBy(() -> count(store, "counted", Filter.eq("content", "x")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("payload");
        }

        @Test
        void equalityFiltersMatchByJsonTypeAsBeforeTheirContainmentConditionWasAdded(AgentStore store) {
            base(store, "typed", 1);
            List<String> values = List.of("\"5\"", "5", "5.0", "true", "\"true\"", "\"en\"", "[5]", "{\"b\":7}", "null");
            List<NewChunk> chunks = new ArrayList<>();
            for (int i = 0; i < values.size(); i++) {
                chunks.add(NewChunk.of("d", i, "c" + i, new float[]{1}).withId("c" + i)
                        .withPayload(Json.parse("p", "{\"k\":" + values.get(i) + "}")));
            }
            store.inTransaction(uow -> uow.chunks().upsert("typed", chunks));

            // text compares ->> text (the string "5" and the number 5: no containment for "5"); numbers numerically
            assertThat(ids(store, "typed", Filter.eq("payload.k", "5"))).containsExactly("c0", "c1");
            assertThat(ids(store, "typed", Filter.eq("payload.k", 5))).containsExactly("c1", "c2");
            assertThat(ids(store, "typed", Filter.eq("payload.k", new BigDecimal("5.00")))).containsExactly("c1", "c2");
            assertThat(ids(store, "typed", Filter.eq("payload.k", true))).containsExactly("c3");
            assertThat(ids(store, "typed", Filter.eq("payload.k", "true"))).containsExactly("c3", "c4");
            assertThat(ids(store, "typed", Filter.eq("payload.k", "en"))).containsExactly("c5");
            assertThat(ids(store, "typed", Filter.eq("payload.k.b", 7))).containsExactly("c7");
            assertThat(ids(store, "typed", Filter.and(Filter.eq("payload.k", 5), Filter.eq("documentId", "d"))))
                    .containsExactly("c1", "c2");
            assertThat(ids(store, "typed", Filter.or(Filter.eq("payload.k", 5), Filter.eq("payload.k", "en"))))
                    .containsExactly("c1", "c2", "c5");
            assertThat(ids(store, "typed", Filter.not(Filter.eq("payload.k", 5)))).hasSize(values.size() - 2);
            assertThat(count(store, "typed", Filter.eq("payload.k", 5))).isEqualTo(2);
        }

        @Test
        void textOperatorsMatchOnlyStringsAndNullEqualityMatchesJsonNullOrAMissingKey(AgentStore store) {
            base(store, "textops", 1);
            List<String> values = List.of("\"10\"", "10", "1.5", "true", "[\"10\"]", "{\"a\":\"10\"}", "null");
            List<NewChunk> chunks = new ArrayList<>();
            for (int i = 0; i < values.size(); i++) {
                chunks.add(NewChunk.of("d", i, "c" + i, new float[]{1}).withId("c" + i)
                        .withPayload(Json.parse("p", "{\"k\":" + values.get(i) + "}")));
            }
            chunks.add(NewChunk.of("d", 9, "c9", new float[]{1}).withId("c9").withPayload(Json.parse("p", "{}")));
            store.inTransaction(uow -> uow.chunks().upsert("textops", chunks));

            assertThat(ids(store, "textops", Filter.like("payload.k", "1%"))).as("not the number 10 or 1.5")
                    .containsExactly("c0");
            assertThat(ids(store, "textops", Filter.regex("payload.k", "^[0-9t]"))).as("not 10, 1.5 or true")
                    .containsExactly("c0");
            assertThat(ids(store, "textops", Filter.notLike("payload.k", "x%"))).containsExactly("c0");
            assertThat(ids(store, "textops", Filter.regex("payload.k", "10"))).as("not inside arrays or objects")
                    .containsExactly("c0");
            assertThat(count(store, "textops", Filter.not(Filter.like("payload.k", "1%")))).isEqualTo(7);

            assertThat(ids(store, "textops", Filter.eq("payload.k", null))).containsExactly("c6", "c9");
            assertThat(ids(store, "textops", Filter.neq("payload.k", null)))
                    .containsExactly("c0", "c1", "c2", "c3", "c4", "c5");
            assertThat(ids(store, "textops", Filter.isJsonNull("payload.k"))).containsExactly("c6");
            assertThat(count(store, "textops", Filter.eq("payload.k", Json.parse("v", "null")))).isEqualTo(2);
        }
    }

    @Nested
    class Deletes {

        @Test
        void deletesByIdDocumentAndFilterTouchOnlyTheirBase(AgentStore store) {
            base(store, "deletes", 1);
            base(store, "deletes_other", 1);
            List<NewChunk> chunks = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                chunks.add(NewChunk.of("doc" + i % 2, i, "c" + i, new float[]{1}).withId("c" + i)
                        .withPayload(Json.parse("p", "{\"tag\":\"" + (i < 3 ? "old" : "new") + "\"}")));
            }
            store.inTransaction(uow -> {
                uow.chunks().upsert("deletes", chunks);
                uow.chunks().upsert("deletes_other", chunks);
            });

            int byIds = store.fromTransaction(uow -> uow.chunks().delete("deletes", List.of("c0", "c9", "nope")));
            int byFilter = store.fromTransaction(uow -> uow.chunks().deleteByFilter("deletes",
                    Filter.eq("payload.tag", "old")));
            int byDocument = store.fromTransaction(uow -> uow.chunks().deleteByDocument("deletes", "doc1"));

            assertThat(byIds).isEqualTo(2);
            assertThat(byFilter).isEqualTo(2); // c1, c2 (c0 is gone)
            assertThat(byDocument).isEqualTo(3); // c3, c5, c7 (c1 and c9 are gone)
            List<Chunk> left = store.fromTransaction(uow -> uow.chunks().byDocument("deletes", "doc0"));
            assertThat(left).extracting(Chunk::id).containsExactly("c4", "c6", "c8");
            assertThat(count(store, "deletes_other", null)).isEqualTo(10);
        }

        @Test
        void deleteByFilterRequiresAFilterAndDeleteAllIsExplicit(AgentStore store) {
            base(store, "guarded", 1);
            base(store, "guarded_other", 1);
            store.inTransaction(uow -> {
                uow.chunks().upsert("guarded", List.of(NewChunk.of("d", 0, "x", new float[]{1}),
                        NewChunk.of("d", 1, "y", new float[]{1})));
                uow.chunks().upsert("guarded_other", List.of(NewChunk.of("d", 0, "x", new float[]{1})));
            });

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.chunks().deleteByFilter("guarded", null)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("deleteAll");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.chunks().deleteByFilter("guarded", Filter.all())))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("deleteAll");
            assertThat(count(store, "guarded", null)).isEqualTo(2);

            int deleted = store.fromTransaction(uow -> uow.chunks().deleteAll("guarded"));

            assertThat(deleted).isEqualTo(2);
            assertThat(count(store, "guarded", null)).isZero();
            assertThat(count(store, "guarded_other", null)).isEqualTo(1);
            assertThat(store.fromTransaction(uow -> uow.knowledge().find("guarded")).isPresent()).isTrue();
        }
    }

    @Nested
    class JpaMapping {

        @Test
        void theJpaMappingReadsEmbeddingsAndHqlComputesDistances(AgentStore store) {
            base(store, "jpa", 2);
            store.inTransaction(uow -> uow.chunks().upsert("jpa", List.of(
                    NewChunk.of("d", 0, "x", new float[]{3, 4}).withId("a"))));

            Chunk found = store.fromTransaction(uow -> uow.entityManager().find(Chunk.class, new ChunkId("jpa", "a")));
            Double distance = store.fromTransaction(uow -> uow.entityManager().createQuery(
                            "SELECT euclidean_distance(c.embedding, :q) FROM Chunk c WHERE c.knowledgeBase = 'jpa'", Double.class)
                    .setParameter("q", new float[]{0, 0}).getSingleResult());

            assertThat(found.embedding()).containsExactly(3f, 4f);
            assertThat(distance).isEqualTo(5.0);
        }

        @Test
        void theDatabaseRejectsAWrongSizedEmbeddingWrittenPastTheRepository(AgentStore store, MutableClock clock) {
            base(store, "guarded_dims", 3);
            KnowledgeBase other = KnowledgeBase.create("guarded_dims", 2, Distance.COSINE, IndexSpec.none(), null,
                    clock.instant());
            Chunk wrong = Chunk.create(other, NewChunk.of("d", 0, "x", new float[]{1, 2}), clock.instant());

            // JPA refuses to write a chunk at all (KnowledgeJpaMappingTest); plain SQL is refused by the database,
            // both with the row's dimension of the other base (foreign key) and with the base's (check)
            for (int dimension : new int[]{wrong.dimension(), 3}) {
                assertThatThrownBy(() -> store.inTransaction(uow -> insertPastTheRepository(uow, wrong, dimension)))
                        .isInstanceOf(dev.agentstore.domain.AgentStoreException.class);
            }
            assertThat(count(store, "guarded_dims", null)).isZero();
        }

        private static void insertPastTheRepository(dev.agentstore.persistence.UnitOfWork uow, Chunk chunk,
                                                    int dimension) {
            Sql.run(uow.entityManager(), "insert a chunk past the repository", h -> h.createUpdate("""
                            INSERT INTO chunks (knowledge_base, id, dimension, document_id, ordinal, content,
                                                content_hash, embedding, created_at)
                            VALUES (:base, :id, :dimension, :documentId, :ordinal, :content, :hash,
                                    CAST(:embedding AS vector), :createdAt)""")
                    .bind("base", chunk.knowledgeBase())
                    .bind("id", chunk.id())
                    .bind("dimension", dimension)
                    .bind("documentId", chunk.documentId())
                    .bind("ordinal", chunk.ordinal())
                    .bind("content", chunk.content())
                    .bind("hash", chunk.contentHash())
                    .bind("embedding", new PGvector(chunk.embedding()).toString())
                    .bind("createdAt", chunk.createdAt())
                    .execute());
        }
    }

    private static List<String> ids(AgentStore store, String base, Filter filter) {
        return store.fromTransaction(uow -> uow.chunks().search(base, new float[]{1},
                SearchOptions.top(100).withFilter(filter)))
                .stream().map(ChunkMatch::id).sorted().toList();
    }
}
