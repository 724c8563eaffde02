package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.IndexType;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.domain.knowledge.VectorType;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Random;

import static dev.agentstore.persistence.knowledge.KnowledgeSqlTestSupport.indexDefinition;
import static dev.agentstore.persistence.knowledge.KnowledgeSqlTestSupport.randomVector;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class KnowledgeRepositoryTest {

    @Nested
    class Create {

        @Test
        void creatingAnHnswBaseCreatesItsPartialExpressionIndex(AgentStore store, MutableClock clock) {
            KnowledgeBase kb = store.fromTransaction(uow ->
                    uow.knowledge().create("docs", 384, Distance.COSINE, IndexSpec.hnsw(24, 100)));

            assertThat(kb.vectorType()).isEqualTo(VectorType.VECTOR);
            assertThat(kb.createdAt()).isEqualTo(clock.instant());
            assertThat(indexDefinition(store, "docs")).hasValueSatisfying(def -> assertThat(def)
                    .contains("USING hnsw")
                    .contains("(embedding)::vector(384)")
                    .contains("vector_cosine_ops")
                    .contains("m='24'").contains("ef_construction='100'")
                    .contains("WHERE (((knowledge_base)::text = 'docs'::text) AND (dimension = 384))"));
            KnowledgeBase read = store.fromTransaction(uow -> uow.knowledge().get("docs"));
            assertThat(read.index()).isEqualTo(IndexSpec.hnsw(24, 100));
            assertThat(read.distance()).isEqualTo(Distance.COSINE);
            assertThat(read.dimension()).isEqualTo(384);
        }

        @Test
        void aBaseAbove2000DimensionsIsIndexedAsHalfvec(AgentStore store) {
            KnowledgeBase kb = store.fromTransaction(uow ->
                    uow.knowledge().create("large3072", 3072, Distance.COSINE, IndexSpec.hnsw()));

            assertThat(kb.vectorType()).isEqualTo(VectorType.HALFVEC);
            assertThat(indexDefinition(store, "large3072")).hasValueSatisfying(def -> assertThat(def)
                    .contains("USING hnsw").contains("(embedding)::halfvec(3072)").contains("halfvec_cosine_ops"));

            Random random = new Random(3072);
            float[] target = randomVector(random, 3072);
            store.inTransaction(uow -> uow.chunks().upsert("large3072", List.of(
                    NewChunk.of("d", 0, "target", target).withId("t"),
                    NewChunk.of("d", 1, "other", randomVector(random, 3072)).withId("o"))));
            var hits = store.fromTransaction(uow -> uow.chunks().search("large3072", target, SearchOptions.top(1)));
            assertThat(hits).extracting(m -> m.id()).containsExactly("t");
            assertThat(hits.get(0).score()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-3));
            List<String> plan = store.fromTransaction(uow -> uow.chunks().explainSearch("large3072", target,
                    SearchOptions.top(1), false));
            assertThat(String.join("\n", plan)).contains("Index Scan using " + KnowledgeRepository.INDEX_PREFIX + "large3072");
            // stored at full precision: the read-back embedding is the one written, not a half-precision copy
            assertThat(store.fromTransaction(uow -> uow.chunks().get("large3072", "t")).orElseThrow().embedding())
                    .containsExactly(target);
        }

        @Test
        void l2AndInnerProductBasesUseTheirOperatorClassesAndIvfflatItsLists(AgentStore store) {
            store.inTransaction(uow -> {
                uow.knowledge().create("by_l2", 8, Distance.L2, IndexSpec.hnsw());
                uow.knowledge().create("by_ip", 8, Distance.INNER_PRODUCT, IndexSpec.ivfflat(10));
                uow.knowledge().create("half_ip", 2500, Distance.INNER_PRODUCT, IndexSpec.ivfflat(5));
            });

            assertThat(indexDefinition(store, "by_l2")).hasValueSatisfying(def -> assertThat(def).contains("vector_l2_ops"));
            assertThat(indexDefinition(store, "by_ip")).hasValueSatisfying(def -> assertThat(def)
                    .contains("USING ivfflat").contains("vector_ip_ops").contains("lists='10'"));
            assertThat(indexDefinition(store, "half_ip")).hasValueSatisfying(def -> assertThat(def)
                    .contains("USING ivfflat").contains("halfvec(2500)").contains("halfvec_ip_ops"));
        }

        @Test
        void aBaseWithoutIndexHasNoneAndMayHoldUpTo16000Dimensions(AgentStore store) {
            KnowledgeBase kb = store.fromTransaction(uow ->
                    uow.knowledge().create("plain16k", 16_000, Distance.COSINE, IndexSpec.none()));

            assertThat(kb.index().type()).isEqualTo(IndexType.NONE);
            assertThat(kb.vectorType()).isEqualTo(VectorType.HALFVEC);
            assertThat(indexDefinition(store, "plain16k")).isEmpty();
        }

        @Test
        void invalidDefinitionsAreRejectedBeforeAnythingIsWritten(AgentStore store) {
            for (String bad : List.of("", "Docs", "1docs", "docs-x", "docs'; DROP TABLE chunks; --", "a".repeat(49),
                    "docs x", "dócs")) {
                assertThatThrownBy(() -> store.inTransaction(uow ->
                        uow.knowledge().create(bad, 3, Distance.COSINE, IndexSpec.hnsw())))
                        .as(bad).isInstanceOf(InvalidInputException.class).hasMessageContaining("knowledge base name");
            }
            assertThatThrownBy(() -> store.inTransaction(uow ->
                    uow.knowledge().create("zero_dims", 0, Distance.COSINE, IndexSpec.none())))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("dimension");
            assertThatThrownBy(() -> store.inTransaction(uow ->
                    uow.knowledge().create("too_many", 16_001, Distance.COSINE, IndexSpec.none())))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("dimension");
            assertThatThrownBy(() -> store.inTransaction(uow ->
                    uow.knowledge().create("vec3072", 3072, Distance.COSINE, IndexSpec.hnsw(), VectorType.VECTOR)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("2000").hasMessageContaining("HALFVEC");
            assertThatThrownBy(() -> store.inTransaction(uow ->
                    uow.knowledge().create("half5000", 5000, Distance.COSINE, IndexSpec.hnsw())))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("4000");
            assertThatThrownBy(() -> IndexSpec.hnsw(16, 20)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("efConstruction");
            assertThatThrownBy(() -> IndexSpec.hnsw(1, 64)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> IndexSpec.ivfflat(0)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> new IndexSpec(IndexType.NONE, 16, null, null)).isInstanceOf(InvalidInputException.class);

            List<KnowledgeBase> bases = store.fromTransaction(uow -> uow.knowledge().list());
            assertThat(bases).extracting(KnowledgeBase::name).doesNotContain("zero_dims", "too_many", "vec3072", "half5000");
        }

        @Test
        void aSecondBaseOfTheSameNameIsADuplicate(AgentStore store) {
            store.inTransaction(uow -> uow.knowledge().create("twice", 4, Distance.COSINE, IndexSpec.hnsw()));

            assertThatThrownBy(() -> store.inTransaction(uow ->
                    uow.knowledge().create("twice", 8, Distance.L2, IndexSpec.none())))
                    .isInstanceOf(DuplicateException.class).hasMessageContaining("twice");
            assertThat(store.fromTransaction(uow -> uow.knowledge().get("twice")).dimension()).isEqualTo(4);
        }

        @Test
        void aRolledBackCreationLeavesNeitherBaseNorIndex(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.knowledge().create("rolled_back", 4, Distance.COSINE, IndexSpec.hnsw());
                throw new IllegalStateException("abort");
            })).isInstanceOf(IllegalStateException.class);

            java.util.Optional<KnowledgeBase> found = store.fromTransaction(uow -> uow.knowledge().find("rolled_back"));
            assertThat(found).isEmpty();
            assertThat(indexDefinition(store, "rolled_back")).isEmpty();
        }
    }

    @Nested
    class ChangeTheIndex {

        @Test
        void changingTheIndexRebuildsItAndBumpsTheVersion(AgentStore store, MutableClock clock) {
            store.inTransaction(uow -> uow.knowledge().create("reindexed", 4, Distance.COSINE, IndexSpec.none()));
            clock.advance(java.time.Duration.ofSeconds(5));

            KnowledgeBase kb = store.fromTransaction(uow -> uow.knowledge().changeIndex("reindexed", IndexSpec.hnsw(8, 32)));

            assertThat(kb.version()).isEqualTo(1);
            assertThat(kb.updatedAt()).isAfter(kb.createdAt());
            assertThat(indexDefinition(store, "reindexed")).hasValueSatisfying(def -> assertThat(def).contains("m='8'"));

            store.inTransaction(uow -> uow.knowledge().changeIndex("reindexed", IndexSpec.none()));
            assertThat(indexDefinition(store, "reindexed")).isEmpty();
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.knowledge().changeIndex("no_such_base", IndexSpec.none())))
                    .isInstanceOf(NotFoundException.class).hasMessageContaining("no_such_base");
        }

        @Test
        void aBaseLoadedWithoutIndexGetsItsHnswGraphBuiltWithMemorySizedToItsChunks(AgentStore store) {
            Random random = new Random(2024);
            store.inTransaction(uow -> uow.knowledge().create("bulk", 32, Distance.COSINE, IndexSpec.none()));
            List<float[]> vectors = new java.util.ArrayList<>();
            for (int from = 0; from < 3_000; from += 500) {
                List<NewChunk> batch = new java.util.ArrayList<>();
                for (int i = from; i < from + 500; i++) {
                    float[] v = randomVector(random, 32);
                    vectors.add(v);
                    batch.add(NewChunk.of("d" + i % 10, i, "c" + i, v).withId("c" + i));
                }
                store.inTransaction(uow -> uow.chunks().upsert("bulk", batch));
            }
            long expectedKb = (IndexBuild.hnswGraphBytes(3_000, 32, VectorType.VECTOR, 16) + 1023) / 1024;

            String[] during = store.fromTransaction(uow -> {
                // a connection whose maintenance_work_mem is too small for the graph gets the estimate for the build
                uow.entityManager().createNativeQuery("SELECT set_config('maintenance_work_mem', '1MB', true)")
                        .getSingleResult();
                KnowledgeBase kb = uow.knowledge().changeIndex("bulk", IndexSpec.hnsw());
                assertThat(kb.index()).isEqualTo(IndexSpec.hnsw());
                return buildSettings(uow);
            });
            String[] explicit = store.fromTransaction(uow -> {
                uow.knowledge().changeIndex("bulk", IndexSpec.hnsw(8, 32),
                        IndexBuild.auto().withMaintenanceWorkMemMb(100).withParallelWorkers(0));
                return buildSettings(uow);
            });
            String[] after = store.fromTransaction(KnowledgeRepositoryTest::buildSettings);

            assertThat(during[0]).isEqualTo(expectedKb + "kB");
            assertThat(explicit).containsExactly("100MB", "0");
            assertThat(after[0]).isNotIn(expectedKb + "kB", "100MB");
            assertThat(indexDefinition(store, "bulk")).hasValueSatisfying(def -> assertThat(def)
                    .contains("USING hnsw").contains("m='8'").contains("ef_construction='32'"));
            var hits = store.fromTransaction(uow -> uow.chunks().search("bulk", vectors.get(1234), SearchOptions.top(1)));
            assertThat(hits).extracting(m -> m.id()).containsExactly("c1234");
            List<String> plan = store.fromTransaction(uow -> uow.chunks().explainSearch("bulk", vectors.get(1234),
                    SearchOptions.top(1), false));
            assertThat(String.join("\n", plan)).contains("Index Scan using " + KnowledgeRepository.INDEX_PREFIX + "bulk");
        }

        @Test
        void buildSettingsOutOfPostgresqlsRangeAreRejected() {
            assertThatThrownBy(() -> IndexBuild.auto().withMaintenanceWorkMemMb(0))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("maintenanceWorkMemMb");
            assertThatThrownBy(() -> IndexBuild.auto().withParallelWorkers(-1))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("parallelWorkers");
            assertThatThrownBy(() -> IndexBuild.auto().withParallelWorkers(1025)).isInstanceOf(InvalidInputException.class);
            assertThat(IndexBuild.hnswGraphBytes(20_000, 384, VectorType.VECTOR, 16)).isEqualTo(20_000L * 3_080 + (16L << 20));
            assertThat(IndexBuild.hnswGraphBytes(1, 3_072, VectorType.HALFVEC, 16)).isEqualTo(8 + 6_144 + 1_024 + 512 + (16L << 20));
        }
    }

    @Nested
    class Delete {

        @Test
        void deletingABaseRemovesItsIndexAndChunksButNotOtherBases(AgentStore store) {
            store.inTransaction(uow -> {
                uow.knowledge().create("doomed", 2, Distance.COSINE, IndexSpec.hnsw());
                uow.knowledge().create("survivor", 2, Distance.COSINE, IndexSpec.hnsw());
                uow.chunks().upsert("doomed", List.of(NewChunk.of("d", 0, "x", new float[]{1, 0}).withId("same-id")));
                uow.chunks().upsert("survivor", List.of(NewChunk.of("d", 0, "y", new float[]{0, 1}).withId("same-id")));
            });

            boolean first = store.fromTransaction(uow -> uow.knowledge().delete("doomed"));
            boolean second = store.fromTransaction(uow -> uow.knowledge().delete("doomed"));
            assertThat(first).isTrue();
            assertThat(second).isFalse();

            assertThat(indexDefinition(store, "doomed")).isEmpty();
            assertThat(indexDefinition(store, "survivor")).isPresent();
            long survivors = store.fromTransaction(uow -> uow.chunks().count("survivor"));
            assertThat(survivors).isEqualTo(1);
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.chunks().count("doomed")))
                    .isInstanceOf(NotFoundException.class);
            store.inTransaction(uow -> uow.knowledge().create("doomed", 3, Distance.L2, IndexSpec.none()));
            long recreated = store.fromTransaction(uow -> uow.chunks().count("doomed"));
            assertThat(recreated).isZero();
        }
    }

    private static String[] buildSettings(dev.agentstore.persistence.UnitOfWork uow) {
        Object[] row = (Object[]) uow.entityManager().createNativeQuery(
                "SELECT current_setting('maintenance_work_mem'), current_setting('max_parallel_maintenance_workers')")
                .getSingleResult();
        return new String[]{(String) row[0], (String) row[1]};
    }
}
