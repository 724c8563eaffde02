package dev.agentstore.examples;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.flow.Flow;
import dev.agentstore.domain.flow.FlowEvent;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.flow.FlowRunStatus;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.scheduler.SchedulerJob;
import dev.agentstore.domain.trigger.Trigger;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import dev.agentstore.persistence.support.RetryPolicy;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.logging.LogManager;
import java.util.stream.IntStream;

/**
 * The main job of this release, standalone: one workflow run from trigger to completion, with its event log, a
 * cron job claimed by a worker, and a key-value lock and counter, all in PostgreSQL through agentstore.
 *
 * <p>It connects to the database that {@code scripts/setup-postgres.sh} prepares
 * ({@code jdbc:postgresql://127.0.0.1:5432/agentstore}, user {@code agentstore}) in schema {@code agentstore_demo};
 * {@code AGENTSTORE_DB_*} environment variables override any of that. It can run any number of times.
 */
public final class WorkflowDemo {

    private static final String FLOW = "nightly-etl";
    private static final List<String> STEPS = List.of("extract", "transform", "load");

    private WorkflowDemo() {
    }

    /**
     * @param args ignored
     * @throws IOException when the bundled logging configuration cannot be read
     */
    public static void main(String[] args) throws IOException {
        // Liquibase and Hibernate log through java.util.logging; keep the demo's output to what it shows
        try (InputStream logging = WorkflowDemo.class.getResourceAsStream("/logging.properties")) {
            LogManager.getLogManager().readConfiguration(logging);
        }
        AgentStoreConfig config = AgentStoreConfig.builder()
                .url("jdbc:postgresql://127.0.0.1:5432/agentstore")
                .user("agentstore")
                .password("agentstore")
                .schema("agentstore_demo")
                .applyEnvironment(System.getenv())
                .build();
        System.out.println("agentstore demo: " + config);

        try (AgentStore store = AgentStore.open(config)) {
            String runId = "run-" + Instant.now().toEpochMilli();

            // 1. a flow and the trigger that starts it
            store.inTransaction(uow -> {
                uow.flows().register(FLOW, "Nightly ETL", 1);
                uow.triggers().register("nightly-schedule", TriggerType.SCHEDULE,
                        Json.parse("subscriptions", "{\"flows\":{\"" + FLOW + "\":{\"enabled\":true}}}"));
            });

            // 2. the trigger fires and the run starts: one transaction, so both or neither are stored
            store.inTransaction(uow -> {
                uow.triggers().fire("nightly-schedule", Json.of("data", Map.of("runId", runId)));
                uow.triggers().recordFlowsStarted("nightly-schedule", 1);
                uow.flowRuns().start(FLOW, runId, Instant.now(), STEPS.size(), "tenant-42");
                uow.flowEvents().append(NewFlowEvent.of(runId, FLOW, "flow.started"));
            });

            // 3. steps run; each records its events in one round trip and merges its result into the snapshot
            for (String step : STEPS) {
                JsonNode result = Json.of("result", Map.of("context",
                        Map.of(step, Map.of("status", "success", "rows", 1000))));
                store.inTransaction(uow -> {
                    uow.flowEvents().appendAll(List.of(
                            NewFlowEvent.of(runId, FLOW, "step.started").step(step, step + "-1").attempt(1),
                            NewFlowEvent.of(runId, FLOW, "step.completed").step(step, step + "-1").attempt(1)
                                    .data(result)));
                    uow.flowRuns().mergeSnapshot(FLOW, runId, result);
                    uow.flowRuns().completeStep(FLOW, runId);
                });
            }

            // 4. a deep-merge update retried on optimistic-lock conflicts (nvent's updateWithRetry); unknown keys kept
            FlowRun updated = store.fromTransactionWithRetry(RetryPolicy.DEFAULT, uow -> uow.flowRuns().update(FLOW, runId,
                    Json.parse("patch", "{\"emittedEvents\":{\"load.done\":true},\"owner\":{\"team\":\"data\"}}")));
            FlowRun done = store.fromTransaction(uow -> {
                uow.flowEvents().append(NewFlowEvent.of(runId, FLOW, "flow.completed"));
                return uow.flowRuns().transition(FLOW, runId, FlowRunStatus.COMPLETED);
            });

            // 5. a cron job claimed by a worker with a lease (UPDATE … FOR UPDATE SKIP LOCKED), then completed
            String jobId = "nightly-etl-job";
            store.inTransaction(uow -> {
                uow.schedulerJobs().delete(jobId);
                uow.schedulerJobs().schedule(jobId, "Nightly ETL", "0 2 * * *", Instant.now().minusSeconds(1),
                        Json.parse("config", "{\"flow\":\"" + FLOW + "\"}"), 3);
            });
            List<SchedulerJob> claimed = store.fromTransaction(uow ->
                    uow.schedulerJobs().claimDue("worker-1", 10, Duration.ofMinutes(5)));
            SchedulerJob completedJob = store.fromTransaction(uow -> uow.schedulerJobs().complete(jobId, "worker-1"));

            // 6. key-value: a lock with a TTL and an atomic counter
            boolean locked = store.fromTransaction(uow ->
                    uow.kv().setIfAbsent("demo:lock:" + runId, Json.of("owner", "worker-1"), Duration.ofSeconds(30)));
            long runsSoFar = store.fromTransaction(uow -> uow.kv().increment("demo:runs", 1));

            // 7. read back
            List<FlowEvent> events = store.fromTransaction(uow -> uow.flowEvents().read(runId, FlowEventQuery.defaults()));
            Flow flow = store.fromTransaction(uow -> uow.flows().get(FLOW).orElseThrow());
            Trigger trigger = store.fromTransaction(uow -> uow.triggers().get("nightly-schedule"));

            System.out.println();
            System.out.println("run " + runId + ": " + done.status() + ", " + done.completedSteps() + "/"
                    + done.stepCount() + " steps, version " + done.version());
            System.out.println("  snapshot:       " + Json.print(done.snapshot()));
            System.out.println("  emittedEvents:  " + Json.print(updated.emittedEvents()));
            System.out.println("  metadata:       " + Json.print(updated.metadata()));
            System.out.println("  events (" + events.size() + "): " + String.join(", ",
                    IntStream.range(0, events.size()).mapToObj(i -> events.get(i).type()
                            + (events.get(i).stepName() == null ? "" : "[" + events.get(i).stepName() + "]")).toList()));
            System.out.println("flow " + FLOW + ": " + flow.stats() + ", last run at " + flow.lastRunAt());
            System.out.println("trigger nightly-schedule: " + trigger.totalFires() + " fire(s), "
                    + trigger.flowsStarted() + " flow(s) started");
            System.out.println("job " + jobId + ": claimed " + claimed.size() + " job(s); after completion "
                    + completedJob.status() + ", next run at " + completedJob.nextRunAt());
            System.out.println("kv: lock acquired=" + locked + ", demo:runs=" + runsSoFar);
        }
    }
}
