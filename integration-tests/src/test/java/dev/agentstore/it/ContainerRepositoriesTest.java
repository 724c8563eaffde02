package dev.agentstore.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.FlowEvent;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.scheduler.SchedulerJob;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.migrations.Migrations;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.flow.FlowEventRepository;
import dev.agentstore.persistence.flow.FlowRepository;
import dev.agentstore.persistence.flow.FlowRunRepository;
import dev.agentstore.persistence.jakarta.MigrateOnDeployment;
import dev.agentstore.persistence.jakarta.TransactionalRetry;
import dev.agentstore.persistence.kv.KvRepository;
import dev.agentstore.persistence.scheduler.SchedulerJobRepository;
import dev.agentstore.persistence.support.RetryPolicy;
import dev.agentstore.persistence.trigger.TriggerRepository;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.PersistenceUnit;
import jakarta.persistence.metamodel.EntityType;
import jakarta.transaction.TransactionalException;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The repositories as CDI beans inside WildFly: a container-managed {@code EntityManager}, JTA transactions (the
 * caller's, or one per call), {@link TransactionalRetry} under concurrent container transactions, the schema migrated
 * at deployment, against the real PostgreSQL. Runs in the server (Arquillian's in-container protocol); one
 * deployment for the whole class, distinct keys per test.
 */
@ExtendWith(ArquillianExtension.class)
class ContainerRepositoriesTest {

    private static final int TASKS = 8;

    @Deployment
    static WebArchive deployment() {
        return Deployments.withTests("repositories-it.war", ContainerRepositoriesTest.class);
    }

    @Inject
    FlowRepository flows;

    @Inject
    FlowRunRepository runs;

    @Inject
    FlowEventRepository events;

    @Inject
    TriggerRepository triggers;

    @Inject
    SchedulerJobRepository jobs;

    @Inject
    KvRepository kv;

    @Inject
    TransactionalRetry retry;

    @Inject
    TxHelper tx;

    @Resource
    ManagedExecutorService executor;

    @Resource(lookup = "java:jboss/datasources/AgentStoreDS")
    DataSource dataSource;

    @PersistenceUnit(unitName = "agentstore")
    EntityManagerFactory emf;

    // ------------------------------------------------------------------ the deployment

    @Test
    void containerDatasourceUsesTheDatabaseAndSchemaFromTheEnvironment() throws Exception {
        String schema = System.getenv("AGENTSTORE_DB_SCHEMA");
        assertThat(schema).as("AGENTSTORE_DB_SCHEMA, inherited by the server").isEqualTo("agentstore_it");
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_schema(), current_database()")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo(schema);
            assertThat(rs.getString(2)).as("AGENTSTORE_DB_NAME, inherited by the server").isEqualTo("agentstore_it")
                    .isEqualTo(System.getenv("AGENTSTORE_DB_NAME"));
        }
    }

    @Test
    void schemaWasMigratedWhileThePersistenceUnitStarted() {
        assertThat(new Migrations(dataSource, System.getenv("AGENTSTORE_DB_SCHEMA")).status()).isEmpty();
        assertThat(emf.getProperties()).containsEntry(MigrateOnDeployment.PROPERTY, "true");
    }

    @Test
    void persistenceUnitHasExactlyTheEntityClassesOfAgentStore() {
        List<Class<?>> entities = emf.getMetamodel().getEntities().stream()
                .<Class<?>>map(EntityType::getJavaType).toList();
        assertThat(entities).containsExactlyInAnyOrderElementsOf(AgentStore.ENTITY_CLASSES);
    }

    // ------------------------------------------------------------------ flows and runs

    @Test
    void runUpdatesMergeDeeplyEachCallItsOwnTransaction() {
        flows.register("it-merge", "Merge", 1);
        runs.start("it-merge", "r1");
        runs.update("it-merge", "r1", json("{\"owner\":\"a\",\"emittedEvents\":{\"x\":true},\"nested\":{\"a\":1}}"));
        runs.update("it-merge", "r1", json("{\"owner\":null,\"nested\":{\"b\":2.50}}"));

        FlowRun run = runs.get("it-merge", "r1").orElseThrow();
        assertThat(run.emittedEvents()).isEqualTo(json("{\"x\":true}"));
        assertThat(Json.print(run.metadata())).isEqualTo("{\"nested\":{\"a\":1,\"b\":2.50}}");
        assertThat(flows.get("it-merge").orElseThrow().stats().total()).isEqualTo(1);
    }

    @Test
    void concurrentRetriedMergesFromManagedTasksLoseNoUpdate() throws Exception {
        runs.start("it-concurrent", "r1");
        int perTask = 12;
        CountDownLatch ready = new CountDownLatch(TASKS);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < TASKS; t++) {
            int task = t;
            futures.add(executor.submit(() -> {
                ready.countDown();
                // a start gate; bounded, since the managed pool may run fewer than TASKS tasks at once
                ready.await(5, TimeUnit.SECONDS);
                for (int i = 0; i < perTask; i++) {
                    JsonNode patch = json("{\"k-" + task + "-" + i + "\":" + i + "}");
                    retry.execute(RetryPolicy.DEFAULT, () -> runs.update("it-concurrent", "r1", patch));
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get(120, TimeUnit.SECONDS);
        }
        FlowRun run = runs.get("it-concurrent", "r1").orElseThrow();
        assertThat(run.metadata().size()).isEqualTo(TASKS * perTask);
        assertThat(run.metadata().get("k-7-11").intValue()).isEqualTo(11);
    }

    @Test
    void aStaleWriteInAContainerTransactionThrowsConcurrencyConflict() {
        runs.start("it-stale", "r1");
        assertThatThrownBy(() -> tx.inTransaction(staleThenWrite("it-stale", "fromA")))
                .isInstanceOf(ConcurrencyConflictException.class)
                .hasMessageContaining("it-stale/r1");
        FlowRun run = runs.get("it-stale", "r1").orElseThrow();
        assertThat(run.emittedEvents()).isEqualTo(json("{\"fromB\":true}"));
    }

    @Test
    void retryRunsAFreshTransactionAfterAConflict() {
        runs.start("it-retry", "r1");
        AtomicInteger attempts = new AtomicInteger();
        Supplier<FlowRun> firstStale = staleThenWrite("it-retry", "fromA");
        FlowRun run = retry.execute(RetryPolicy.DEFAULT, () -> attempts.incrementAndGet() == 1
                ? firstStale.get()
                : runs.update("it-retry", "r1", json("{\"emittedEvents\":{\"fromA\":true}}")));
        assertThat(attempts).hasValue(2);
        assertThat(run.emittedEvents()).isEqualTo(json("{\"fromA\":true,\"fromB\":true}"));
        assertThat(runs.get("it-retry", "r1").orElseThrow().emittedEvents()).isEqualTo(run.emittedEvents());
    }

    @Test
    void aTransitionAfterAStaleReadFailsAndIsRetried() {
        runs.start("it-flush", "r1");
        AtomicInteger attempts = new AtomicInteger();
        retry.execute(RetryPolicy.DEFAULT, () -> {
            runs.get("it-flush", "r1").orElseThrow();
            if (attempts.incrementAndGet() == 1) {
                retry.inNewTransaction(() -> runs.update("it-flush", "r1", json("{\"emittedEvents\":{\"fromB\":true}}")));
            }
            // checked against the version read in this attempt: the first attempt's is stale
            return runs.transition("it-flush", "r1", FlowRunStatus.COMPLETED);
        });
        assertThat(attempts).hasValue(2);
        FlowRun run = runs.get("it-flush", "r1").orElseThrow();
        assertThat(run.status()).isEqualTo(FlowRunStatus.COMPLETED);
        assertThat(run.emittedEvents()).isEqualTo(json("{\"fromB\":true}"));
    }

    @Test
    void retryRefusesToRunInsideACallersTransaction() {
        assertThatThrownBy(() -> tx.inTransaction(() -> retry.execute(RetryPolicy.DEFAULT, () -> 1)))
                .isInstanceOf(TransactionalException.class);
    }

    /**
     * @return work that reads the run in the current transaction, lets another transaction change it
     *         ({@code fromB}) and then merges {@code key} into it, checked against the version read
     */
    private Supplier<FlowRun> staleThenWrite(String flow, String key) {
        return () -> {
            runs.get(flow, "r1").orElseThrow();
            retry.inNewTransaction(() -> runs.update(flow, "r1", json("{\"emittedEvents\":{\"fromB\":true}}")));
            return runs.update(flow, "r1", json("{\"emittedEvents\":{\"" + key + "\":true}}"));
        };
    }

    // ------------------------------------------------------------------ events

    @Test
    void eventsAppendedInOneTransactionReadBackInOrderWithExactDecimals() {
        tx.inTransaction(() -> {
            events.append(NewFlowEvent.of("it-ev-r1", "it-events", "flow.started"));
            events.append(NewFlowEvent.of("it-ev-r1", "it-events", "step.completed").data(json("{\"amount\":1.10}")));
            return events.append(NewFlowEvent.of("it-ev-r1", "it-events", "flow.completed"));
        });
        List<FlowEvent> read = events.read("it-ev-r1", FlowEventQuery.defaults().ascending());
        assertThat(read).extracting(FlowEvent::type).containsExactly("flow.started", "step.completed", "flow.completed");
        assertThat(Json.print(read.get(1).data())).isEqualTo("{\"amount\":1.10}");
    }

    // ------------------------------------------------------------------ triggers

    @Test
    void concurrentFiresFromManagedTasksCountEveryFire() throws Exception {
        triggers.register("it-trigger", TriggerType.EVENT, json("{\"events\":[\"order.created\"]}"));
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < TASKS; t++) {
            int task = t;
            futures.add(executor.submit(() -> {
                for (int i = 0; i < 5; i++) {
                    triggers.fire("it-trigger", json("{\"task\":" + task + "}"));
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get(120, TimeUnit.SECONDS);
        }
        assertThat(triggers.get("it-trigger").totalFires()).isEqualTo(TASKS * 5L);
        assertThat(triggers.events("it-trigger", 100)).hasSize(TASKS * 5);
    }

    // ------------------------------------------------------------------ scheduler

    @Test
    void concurrentManagedTasksClaimEachDueJobExactlyOnce() throws Exception {
        int jobCount = 40;
        Instant due = Instant.now().minusSeconds(60);
        tx.inTransaction(() -> {
            for (int i = 0; i < jobCount; i++) {
                jobs.schedule("it-job-" + i, "job " + i, null, due, null, 3);
            }
            return null;
        });
        Queue<String> claimed = new ConcurrentLinkedQueue<>();
        CountDownLatch ready = new CountDownLatch(TASKS);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < TASKS; t++) {
            String worker = "it-worker-" + t;
            futures.add(executor.submit(() -> {
                ready.countDown();
                ready.await(5, TimeUnit.SECONDS);
                List<SchedulerJob> batch;
                do {
                    batch = jobs.claimDue(worker, 4, Duration.ofMinutes(5));
                    batch.forEach(j -> claimed.add(j.id()));
                } while (!batch.isEmpty());
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get(120, TimeUnit.SECONDS);
        }
        assertThat(claimed).hasSize(jobCount).doesNotHaveDuplicates().allMatch(id -> id.startsWith("it-job-"));
    }

    // ------------------------------------------------------------------ kv

    @Test
    void kvEntriesExpireAfterTheirTtl() throws Exception {
        // long enough that the first read comes before the expiry on a loaded machine
        kv.set("it-ttl", json("0"), Duration.ofSeconds(3));
        kv.set("it-forever", json("false"));
        assertThat(kv.get("it-ttl")).contains(json("0"));
        Thread.sleep(3_500);
        assertThat(kv.get("it-ttl")).isEmpty();
        assertThat(kv.get("it-forever")).contains(json("false"));
    }

    // ------------------------------------------------------------------ the caller's transaction

    @Test
    void aRuntimeExceptionInTheCallersTransactionLeavesNoRows() {
        assertThatThrownBy(() -> tx.inTransaction(() -> {
            flows.register("it-rollback", "Rollback", 1);
            runs.start("it-rollback", "r1");
            events.append(NewFlowEvent.of("it-rollback-r1", "it-rollback", "flow.started"));
            triggers.register("it-rollback", TriggerType.MANUAL);
            jobs.schedule("it-rollback", "rollback", "0 * * * *", null, null, 3);
            kv.set("it-rollback", json("1"));
            throw new IllegalStateException("boom");
        })).isInstanceOf(IllegalStateException.class).hasMessage("boom");

        assertThat(tx.count("SELECT count(*) FROM flows WHERE name = ?1", "it-rollback")).isZero();
        assertThat(tx.count("SELECT count(*) FROM flow_runs WHERE flow_name = ?1", "it-rollback")).isZero();
        assertThat(tx.count("SELECT count(*) FROM flow_events WHERE flow_name = ?1", "it-rollback")).isZero();
        assertThat(tx.count("SELECT count(*) FROM triggers WHERE name = ?1", "it-rollback")).isZero();
        assertThat(tx.count("SELECT count(*) FROM scheduler_jobs WHERE id = ?1", "it-rollback")).isZero();
        assertThat(tx.count("SELECT count(*) FROM kv_entries WHERE \"key\" = ?1", "it-rollback")).isZero();
    }

    @Test
    void aCaughtAgentStoreExceptionLeavesTheCallersTransactionUsable() {
        tx.inTransaction(() -> {
            kv.set("it-caught-1", json("1"));
            assertThatThrownBy(() -> runs.update("it-absent", "r1", json("{\"a\":1}")))
                    .isInstanceOf(NotFoundException.class);
            kv.set("it-caught-2", json("2"));
            return null;
        });
        assertThat(kv.get("it-caught-1")).contains(json("1"));
        assertThat(kv.get("it-caught-2")).contains(json("2"));
    }

    private static JsonNode json(String text) {
        return Json.parse("json", text);
    }
}
