package dev.agentstore.persistence;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.flow.Flow;
import dev.agentstore.domain.flow.FlowEvent;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.domain.knowledge.VectorType;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.domain.scheduler.SchedulerJob;
import dev.agentstore.persistence.knowledge.SearchMode;
import dev.agentstore.persistence.knowledge.SearchOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The main paths through PgBouncer in transaction mode ({@code scripts/setup-pgbouncer.sh}: 127.0.0.1:6433, 4 server
 * connections per database and user), with more client connections and threads than server connections, so that
 * transactions of one client connection run on different server sessions: flows, runs and events, KV, memory,
 * knowledge search (pgvector in {@code extensions}, as on Supabase), job claims and single-statement per-call
 * repositories. The store is opened with {@link PoolerMode#TRANSACTION}: migrations over {@code directUrl}, the
 * schema from the role's {@code search_path} in the database {@value #DATABASE}, no server-side prepared statements.
 * PgBouncer's port: {@code AGENTSTORE_TEST_PGBOUNCER_PORT} (default 6433).
 */
class PgBouncerTest {

    static final String DATABASE = "agentstore_pgbouncer";
    static final String SCHEMA = "pgbouncer_test";
    private static final int SERVER_CONNECTIONS = 4;
    private static final int THREADS = 8;

    private static AgentStore store;

    @BeforeAll
    static void openStoreThroughPgBouncer() throws Exception {
        ExtensionDatabases.ensure(DATABASE, "extensions");
        try (Connection c = ExtensionDatabases.owner(DATABASE); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
            // the server's own search_path is the only one a transaction pooler keeps (no startup parameter)
            st.execute("ALTER ROLE CURRENT_USER IN DATABASE " + DATABASE + " SET search_path = " + SCHEMA
                    + ", extensions, public");
        }
        String port = System.getenv().getOrDefault("AGENTSTORE_TEST_PGBOUNCER_PORT", "6433");
        store = AgentStore.open(AgentStoreExtension.testConfig(SCHEMA)
                .url("jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE)
                .directUrl(ExtensionDatabases.url(DATABASE))
                .poolerMode(PoolerMode.TRANSACTION)
                .vectorSchema("extensions")
                .poolMaxSize(THREADS * 2)
                .build());
    }

    @AfterAll
    static void close() {
        if (store != null) {
            store.close();
        }
    }

    /** @return what each of {@value #THREADS} threads, released together ({@link Race}), returned */
    private static <T> List<T> concurrently(ThreadWork<T> work) throws Exception {
        return Race.run(THREADS, thread -> () -> work.run(thread));
    }

    @FunctionalInterface
    private interface ThreadWork<T> {
        T run(int thread) throws Exception;
    }

    @Nested
    class TheConnectionsArePooledTransactions {

        @Test
        void moreOpenClientConnectionsThanServerConnectionsShareTheServerSessions() throws SQLException {
            List<Connection> open = new ArrayList<>();
            Set<Integer> backends = new HashSet<>();
            try {
                for (int i = 0; i < THREADS * 2; i++) {
                    open.add(store.dataSource().getConnection());
                }
                for (Connection c : open) { // every client connection is open and idle while each one asks
                    try (Statement st = c.createStatement();
                         ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                        rs.next();
                        backends.add(rs.getInt(1));
                    }
                }
            } finally {
                for (Connection c : open) {
                    c.close();
                }
            }
            assertThat(backends).hasSizeBetween(1, SERVER_CONNECTIONS);
        }

        @Test
        void theSchemaAndPgvectorResolveThroughTheServersSearchPath() {
            String found = store.fromTransaction(uow -> (String) uow.entityManager()
                    .createNativeQuery("SELECT current_schema() || ' ' || to_regtype('vector')::text")
                    .getSingleResult());
            assertThat(found).isEqualTo(SCHEMA + " vector");
        }

        @Test
        void aSchemaThatIsNotFirstOnTheServersSearchPathIsRefusedAtOpenNamingTheFix() {
            String port = System.getenv().getOrDefault("AGENTSTORE_TEST_PGBOUNCER_PORT", "6433");
            assertThatThrownBy(() -> AgentStore.open(AgentStoreExtension.testConfig("not_on_the_path")
                    .url("jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE).poolerMode(PoolerMode.TRANSACTION)
                    .vectorSchema("extensions").autoMigrate(false).poolMaxSize(1).build()).close())
                    .isInstanceOf(AgentStoreException.class)
                    .hasMessageContaining("current schema is " + SCHEMA)
                    .hasMessageContaining("ALTER ROLE");
        }

        @Test
        void migrationsRanOverTheDirectUrlAndNothingIsPending() {
            assertThat(store.migrations().status()).isEmpty();
        }
    }

    @Nested
    class MainPathsUnderConcurrency {

        @Test
        void flowsRunsAndEvents() throws Exception {
            store.inTransaction(uow -> uow.flows().register("pooled-flow", "Pooled", 1));
            concurrently(thread -> {
                for (int i = 0; i < 10; i++) {
                    String run = "run-" + thread + "-" + i;
                    store.inTransaction(uow -> uow.flowRuns().start("pooled-flow", run));
                    store.inTransaction(uow -> uow.flowEvents().appendAll(List.of(
                            NewFlowEvent.of(run, "pooled-flow", "step.started"),
                            NewFlowEvent.of(run, "pooled-flow", "step.finished"))));
                    store.inTransaction(uow -> uow.flowRuns().completeStep("pooled-flow", run));
                    store.inTransaction(uow -> uow.flowRuns().transition("pooled-flow", run, FlowRunStatus.AWAITING));
                }
                return null;
            });
            Optional<FlowRun> run = store.fromTransaction(uow -> uow.flowRuns().get("pooled-flow", "run-7-9"));
            assertThat(run.orElseThrow().status()).isEqualTo(FlowRunStatus.AWAITING);
            List<FlowEvent> events = store.fromTransaction(
                    uow -> uow.flowEvents().read("run-3-4", FlowEventQuery.defaults()));
            assertThat(events).extracting(FlowEvent::type).containsExactly("step.started", "step.finished");
            Optional<Flow> flow = store.fromTransaction(uow -> uow.flows().get("pooled-flow"));
            assertThat(flow.orElseThrow().stats().total()).isEqualTo(THREADS * 10);
        }

        @Test
        void kvCountersAndPerCallSingleStatements() throws Exception {
            List<Long> last = concurrently(thread -> {
                long value = 0;
                for (int i = 0; i < 25; i++) {
                    value = store.fromTransaction(uow -> uow.kv().increment("pooled:counter", 1));
                    store.kv().set("pooled:" + thread, TextNode.valueOf("v" + i)); // per call, autocommit
                }
                return value;
            });
            assertThat(last).allSatisfy(v -> assertThat(v).isBetween(1L, THREADS * 25L));
            assertThat(store.kv().get("pooled:counter")).hasValueSatisfying(
                    v -> assertThat(v.asLong()).isEqualTo(THREADS * 25L));
            assertThat(store.kv().get("pooled:5")).contains(TextNode.valueOf("v24"));
        }

        @Test
        void memoryThreadsAndMessages() throws Exception {
            concurrently(thread -> {
                String id = "pooled-thread-" + thread;
                store.memories().saveThread(id, "resource-" + thread, "t", null);
                for (int i = 0; i < 10; i++) {
                    store.memories().saveMessages(id, List.of(NewMessage.of(id + "-m" + i, MessageRole.USER,
                            TextNode.valueOf("message " + i))));
                }
                return null;
            });
            assertThat(store.memories().lastMessages("pooled-thread-6", 3))
                    .extracting(m -> m.id()).containsExactly("pooled-thread-6-m7", "pooled-thread-6-m8",
                            "pooled-thread-6-m9");
        }

        @Test
        void knowledgeUpsertsAndSearches() throws Exception {
            store.inTransaction(uow -> uow.knowledge().create("pooled_kb", 4, Distance.COSINE, IndexSpec.hnsw(),
                    VectorType.VECTOR));
            concurrently(thread -> {
                List<NewChunk> chunks = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    int n = thread * 10 + i;
                    chunks.add(NewChunk.of("doc-" + thread, i, "chunk " + n, new float[]{n + 1, 1, 0, 1})
                            .withId("c" + n));
                }
                store.chunks().upsert("pooled_kb", chunks);
                return null;
            });
            List<List<ChunkMatch>> found = concurrently(thread -> store.chunks().search("pooled_kb",
                    new float[]{thread * 10 + 1, 1, 0, 1}, SearchOptions.top(3).withExactSearch()));
            for (int t = 0; t < THREADS; t++) {
                assertThat(found.get(t).get(0).id()).isEqualTo("c" + t * 10);
            }
            List<ChunkMatch> hybrid = store.chunks().search("pooled_kb", "chunk 42", new float[]{43, 1, 0, 1},
                    SearchOptions.top(3).withMode(SearchMode.HYBRID));
            assertThat(hybrid).extracting(ChunkMatch::id).contains("c42");
        }

        @Test
        void jobsAreClaimedExactlyOnce() throws Exception {
            try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement()) {
                st.executeUpdate("""
                        INSERT INTO scheduler_jobs (id, name, next_run_at, created_at)
                        SELECT 'pooled-job-' || g, 'Job ' || g, now() - interval '1 second', now()
                          FROM generate_series(1, 200) AS g
                        """);
            }
            List<List<String>> claimed = concurrently(thread -> {
                List<String> mine = new ArrayList<>();
                while (true) {
                    List<SchedulerJob> batch = store.fromTransaction(
                            uow -> uow.schedulerJobs().claimDue("worker-" + thread, 10, Duration.ofMinutes(5)));
                    if (batch.isEmpty()) {
                        return mine;
                    }
                    batch.forEach(job -> mine.add(job.id()));
                }
            });
            List<String> all = claimed.stream().flatMap(List::stream).toList();
            assertThat(all).hasSize(200).doesNotHaveDuplicates();
        }
    }
}
