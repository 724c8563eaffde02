package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.Embedder;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.IndexType;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.UnitOfWork;
import dev.agentstore.persistence.knowledge.KnowledgeBaseCache.Definition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.agentstore.persistence.knowledge.KnowledgeSqlTestSupport.randomVector;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Per-call searches in autocommit mode, and the cache of knowledge-base definitions behind every search: changes made
 * by another process (here: a second store on the same schema, with a cache of its own) are picked up by the next
 * search.
 */
@ExtendWith(AgentStoreExtension.class)
class ChunkSearchDefinitionTest {

    private static final Pattern SHARED_HIT = Pattern.compile("Buffers: shared hit=(\\d+)");

    @Test
    void aPerCallSearchSendsNoBeginOrCommitAppliesItsEfSearchAndLeavesTheConnectionsSettingsAlone(AgentStore store)
            throws Exception {
        Random random = new Random(7);
        List<NewChunk> chunks = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            chunks.add(NewChunk.of("d", i, "c" + i, randomVector(random, 16)).withId("c" + i));
        }
        store.inTransaction(uow -> {
            uow.knowledge().create("per_call", 16, Distance.COSINE, IndexSpec.hnsw());
            uow.chunks().upsert("per_call", chunks);
        });
        float[] q = randomVector(random, 16);

        try (AgentStore onePool = AgentStore.open(AgentStoreExtension.testConfig(store.config().schema())
                .poolMaxSize(1).autoMigrate(false).build())) {
            onePool.chunks().search("per_call", q, SearchOptions.top(10)); // reads the definition, caches it

            List<String> perCall = commandsSent(() -> onePool.chunks().search("per_call", q, SearchOptions.top(10)));
            List<String> inTransaction = commandsSent(() -> onePool.fromTransaction(
                    uow -> uow.chunks().search("per_call", q, SearchOptions.top(10))));
            List<String> explained = commandsSent(() -> onePool.chunks().explainSearch("per_call", q,
                    SearchOptions.top(10).withEfSearch(10), true));

            assertThat(perCall).contains("SELECT").doesNotContain("BEGIN", "COMMIT");
            assertThat(explained).contains("EXPLAIN").doesNotContain("BEGIN", "COMMIT");
            assertThat(inTransaction).contains("BEGIN", "SELECT", "COMMIT"); // the check sees them when they are sent
            // hnsw.ef_search, set in the same round trip, applies: a larger one visits more of the graph
            long small = sharedHits(onePool.chunks().explainSearch("per_call", q, SearchOptions.top(10).withEfSearch(10), true));
            long large = sharedHits(onePool.chunks().explainSearch("per_call", q, SearchOptions.top(10).withEfSearch(400), true));
            assertThat(large).isGreaterThan(2 * small);
            assertThat(onePool.chunks().search("per_call", q, SearchOptions.top(10))).hasSize(10);

            try (Connection c = onePool.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT current_setting('hnsw.ef_search'),"
                         + " current_setting('hnsw.iterative_scan'), current_setting('enable_sort'),"
                         + " current_setting('plan_cache_mode')")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("40");
                assertThat(rs.getString(2)).isEqualTo("off");
                assertThat(rs.getString(3)).isEqualTo("on");
                assertThat(rs.getString(4)).isEqualTo("auto");
            }
        }
    }

    @Test
    void aBaseDeletedAndCreatedAgainWithAnotherDimensionIsSearchedWithItsNewDefinition(AgentStore store) {
        try (AgentStore other = otherProcess(store)) {
            other.inTransaction(uow -> create(uow.knowledge(), uow.chunks(), "reborn", 2, Distance.COSINE));
            assertThat(ids(store.chunks().search("reborn", new float[]{1, 0}, SearchOptions.top(1)))).containsExactly("a0");
            assertThat(cached(store, "reborn").kb().dimension()).isEqualTo(2);

            // per call: the cached definition (2) does not accept the query (3), so it is read again
            other.inTransaction(uow -> recreate(uow, "reborn", 3, Distance.COSINE));
            assertThat(ids(store.chunks().search("reborn", new float[]{0, 0, 1}, SearchOptions.top(1))))
                    .containsExactly("a2");
            assertThat(cached(store, "reborn").kb().dimension()).isEqualTo(3);

            // in a unit of work: a query that fits the stale definition (3) is refused for the new one (2), and the
            // transaction goes on
            other.inTransaction(uow -> recreate(uow, "reborn", 2, Distance.COSINE));
            List<String> found = store.fromTransaction(uow -> {
                assertThatThrownBy(() -> uow.chunks().search("reborn", new float[]{0, 0, 1}, SearchOptions.top(1)))
                        .isInstanceOf(InvalidInputException.class).hasMessageContaining("expects dimension 2");
                return ids(uow.chunks().search("reborn", new float[]{0, 1}, SearchOptions.top(1)));
            });
            assertThat(found).containsExactly("a1");

            // by text: the embedder's dimension is checked against the new definition
            other.inTransaction(uow -> recreate(uow, "reborn", 3, Distance.COSINE));
            Embedder threeDimensions = new Embedder() {
                @Override
                public float[] embed(String text) {
                    return new float[]{1, 0, 0};
                }

                @Override
                public int dimension() {
                    return 3;
                }
            };
            assertThat(ids(store.chunks().search("reborn", "anything", threeDimensions, SearchOptions.top(1))))
                    .containsExactly("a0");
        }
    }

    @Test
    void aBaseCreatedAgainWithTheSameDimensionButAnotherDistanceIsSearchedWithItsNewDistance(AgentStore store) {
        try (AgentStore other = otherProcess(store)) {
            other.inTransaction(uow -> create(uow.knowledge(), uow.chunks(), "metric", 2, Distance.COSINE));
            assertThat(store.chunks().search("metric", new float[]{2, 0}, SearchOptions.top(1)).get(0).score())
                    .isEqualTo(1.0);

            other.inTransaction(uow -> recreate(uow, "metric", 2, Distance.L2));
            ChunkMatch perCall = store.chunks().search("metric", new float[]{2, 0}, SearchOptions.top(1)).get(0);
            assertThat(perCall.id()).isEqualTo("a0");
            assertThat(perCall.score()).isEqualTo(-1.0); // L2: minus the distance from (2, 0) to (1, 0)

            other.inTransaction(uow -> recreate(uow, "metric", 2, Distance.INNER_PRODUCT));
            ChunkMatch inTransaction = store.fromTransaction(
                    uow -> uow.chunks().search("metric", new float[]{2, 0}, SearchOptions.top(1)).get(0));
            assertThat(inTransaction.score()).isEqualTo(2.0);
            assertThat(cached(store, "metric").kb().distance()).isEqualTo(Distance.INNER_PRODUCT);
        }
    }

    @Test
    void aChangedIndexIsPickedUpByTheNextSearch(AgentStore store) {
        try (AgentStore other = otherProcess(store)) {
            other.inTransaction(uow -> create(uow.knowledge(), uow.chunks(), "reindexed", 2, Distance.COSINE));
            assertThat(ids(store.chunks().search("reindexed", new float[]{1, 0}, SearchOptions.top(1)))).containsExactly("a0");

            for (IndexSpec index : List.of(IndexSpec.none(), IndexSpec.ivfflat(1), IndexSpec.hnsw(8, 32))) {
                other.inTransaction(uow -> uow.knowledge().changeIndex("reindexed", index));

                assertThat(ids(store.chunks().search("reindexed", new float[]{0, 1}, SearchOptions.top(2))))
                        .as(index.toString()).containsExactly("a1", "a0");
                assertThat(cached(store, "reindexed").kb().index()).isEqualTo(index);
            }
            // changed by this store: its own cache entry goes at once
            store.inTransaction(uow -> uow.knowledge().changeIndex("reindexed", IndexSpec.none()));
            assertThat(cached(store, "reindexed")).isNull();
            assertThat(ids(store.chunks().search("reindexed", new float[]{0, 1}, SearchOptions.top(1)))).containsExactly("a1");
            assertThat(cached(store, "reindexed").kb().index().type()).isEqualTo(IndexType.NONE);
        }
    }

    @Test
    void aSearchOfADeletedBaseThrowsNotFound(AgentStore store) {
        try (AgentStore other = otherProcess(store)) {
            other.inTransaction(uow -> create(uow.knowledge(), uow.chunks(), "gone", 2, Distance.COSINE));
            store.chunks().search("gone", new float[]{1, 0}, SearchOptions.top(1));
            assertThat(cached(store, "gone")).isNotNull();

            other.knowledge().delete("gone");

            assertThatThrownBy(() -> store.fromTransaction(
                    uow -> uow.chunks().search("gone", new float[]{1, 0}, SearchOptions.top(1))))
                    .isInstanceOf(NotFoundException.class);
            assertThat(cached(store, "gone")).isNull();
            assertThatThrownBy(() -> store.chunks().search("gone", new float[]{1, 0}, SearchOptions.top(1)))
                    .isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> store.chunks().explainSearch("gone", new float[]{1, 0}, SearchOptions.top(1), false))
                    .isInstanceOf(NotFoundException.class);
        }
    }

    @Test
    void aDefinitionChangedInAnUnfinishedTransactionIsNotCachedForOtherTransactions(AgentStore store) {
        store.inTransaction(uow -> create(uow.knowledge(), uow.chunks(), "pending", 2, Distance.COSINE));
        store.chunks().search("pending", new float[]{1, 0}, SearchOptions.top(1));

        assertThatThrownBy(() -> store.inTransaction(uow -> {
            uow.knowledge().changeIndex("pending", IndexSpec.none());
            assertThat(ids(uow.chunks().search("pending", new float[]{0, 1}, SearchOptions.top(1)))).containsExactly("a1");
            assertThat(KnowledgeBaseCache.get(uow.entityManager(), "pending")).isNull();
            throw new IllegalStateException("roll back");
        })).isInstanceOf(IllegalStateException.class);

        assertThat(ids(store.chunks().search("pending", new float[]{0, 1}, SearchOptions.top(1)))).containsExactly("a1");
        assertThat(cached(store, "pending").kb().index()).isEqualTo(IndexSpec.hnsw());
    }

    /** A second store on the same schema: another process, as far as the first store's cache is concerned. */
    private static AgentStore otherProcess(AgentStore store) {
        return AgentStore.open(AgentStoreExtension.testConfig(store.config().schema()).poolMaxSize(2)
                .autoMigrate(false).build());
    }

    /** Creates {@code name} with chunks {@code a0}, {@code a1}, … along the axes of {@code dimension}, indexed. */
    private static void create(KnowledgeRepository knowledge, ChunkRepository chunks, String name, int dimension,
                               Distance distance) {
        create(knowledge, chunks, name, dimension, distance, IndexSpec.hnsw());
    }

    private static void create(KnowledgeRepository knowledge, ChunkRepository chunks, String name, int dimension,
                               Distance distance, IndexSpec index) {
        knowledge.create(name, dimension, distance, index);
        List<NewChunk> axes = new ArrayList<>();
        for (int i = 0; i < dimension; i++) {
            float[] v = new float[dimension];
            v[i] = 1;
            axes.add(NewChunk.of("d", i, "axis " + i, v).withId("a" + i));
        }
        chunks.upsert(name, axes);
    }

    /**
     * Deletes {@code name} and creates it again with an HNSW index, in one transaction: the index build sees the
     * deleted chunks (still in the table for this transaction) and must leave those of another dimension out.
     */
    private static void recreate(UnitOfWork uow, String name, int dimension, Distance distance) {
        uow.knowledge().delete(name);
        create(uow.knowledge(), uow.chunks(), name, dimension, distance, IndexSpec.hnsw());
    }

    private static Definition cached(AgentStore store, String base) {
        return store.fromTransaction(uow -> KnowledgeBaseCache.get(uow.entityManager(), base));
    }

    private static List<String> ids(List<ChunkMatch> matches) {
        return matches.stream().map(ChunkMatch::id).toList();
    }

    /** @return the largest buffer hit count of the plan's nodes: the whole statement's */
    private static long sharedHits(List<String> plan) {
        long most = -1;
        for (String line : plan) {
            Matcher m = SHARED_HIT.matcher(line);
            if (m.find()) {
                most = Math.max(most, Long.parseLong(m.group(1)));
            }
        }
        assertThat(most).as("buffer counts in %s", plan).isPositive();
        return most;
    }

    /**
     * The commands PostgreSQL completed for this thread while {@code call} ran ({@code BEGIN}, {@code SELECT},
     * {@code COMMIT}, …), from pgjdbc's finest log of the messages it receives.
     */
    private static List<String> commandsSent(Supplier<?> call) {
        Logger logger = Logger.getLogger("org.postgresql.core.v3.QueryExecutorImpl");
        Level level = logger.getLevel();
        long thread = Thread.currentThread().getId();
        List<String> commands = Collections.synchronizedList(new ArrayList<>());
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLongThreadID() == thread && r.getMessage().contains("<=BE CommandStatus")) {
                    String status = String.valueOf(r.getParameters()[0]);
                    commands.add(status.split(" ")[0]);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        handler.setLevel(Level.ALL);
        logger.addHandler(handler);
        logger.setLevel(Level.FINEST);
        try {
            call.get();
        } finally {
            logger.setLevel(level);
            logger.removeHandler(handler);
        }
        return commands;
    }
}
