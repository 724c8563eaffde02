package dev.agentstore.persistence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.flow.FlowEventQuery;
import dev.agentstore.domain.flow.FlowRunFilter;
import dev.agentstore.domain.flow.FlowStat;
import dev.agentstore.domain.flow.FlowStepStatus;
import dev.agentstore.domain.flow.FlowStepWrite;
import dev.agentstore.domain.flow.NewFlowEvent;
import dev.agentstore.domain.flow.NewFlowRun;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.domain.memory.MessageQuery;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.MessageUpdate;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.domain.record.NewRecord;
import dev.agentstore.domain.scheduler.JobSchedule;
import dev.agentstore.domain.scheduler.JobStatus;
import dev.agentstore.domain.scheduler.JobUpdate;
import dev.agentstore.domain.trigger.TriggerDefinition;
import dev.agentstore.domain.trigger.TriggerType;
import dev.agentstore.persistence.knowledge.SearchOptions;
import dev.agentstore.persistence.query.Filter;
import dev.agentstore.persistence.query.Query;
import dev.agentstore.persistence.query.Sort;
import dev.agentstore.persistence.support.PageRequest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A corpus of bad inputs across every repository and the configuration. Each case must fail with an
 * {@link InvalidInputException} whose message names the field, quotes no SQL and no user value that could be a
 * secret, and must leave every table exactly as it was (row by row).
 */
@ExtendWith(AgentStoreExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputCorpusTest {

    /** Put into bad values; it must never come back in a message. */
    static final String SECRET = "hunter2S3cr3tT0ken";

    static final String TOO_LONG = SECRET.repeat(15); // 270 characters, names take 255
    static final String TOO_LONG_KEY = SECRET.repeat(30); // 540 characters, KV keys take 512
    static final String WITH_NUL = SECRET + "\u0000x";
    static final String UNPAIRED_SURROGATE = SECRET + "\uD800x";
    static final String LONE_LOW_SURROGATE = "\uDC00" + SECRET;

    /** Statement text that must never reach a message. */
    static final Pattern SQL = Pattern.compile(
            "(?i)\\b(select\\s.+\\sfrom|insert\\s+into|update\\s+\\w+\\s+set|delete\\s+from|on\\s+conflict|returning\\s)");

    private AgentStore store;

    /** One bad input: what it is, the field its error must name, the call. */
    record Case(String name, String field, Consumer<AgentStore> call) {
    }

    @BeforeAll
    void existingData(AgentStore store) {
        this.store = store;
        store.inTransaction(uow -> {
            uow.flows().register("flow-1", "Flow", 1);
            uow.flowRuns().start("flow-1", "run-1");
            uow.triggers().register("trigger-1", TriggerType.EVENT);
            uow.schedulerJobs().schedule("job-1", "Job", "0 * * * *", null, 3);
            uow.kv().set("key-1", Json.parse("v", "{\"a\": 1}"));
            uow.records().create("record-1", Json.parse("d", "{\"a\": 1}"), null);
            uow.memories().saveThread("thread-1", "resource-1", "Thread", null);
            uow.templates().define("template-1", "Hello {{name}}");
            uow.configurations().define("config-1", Json.parse("c", "{\"a\": 1}"));
            uow.knowledge().create("kb_1", 3, Distance.COSINE, IndexSpec.none());
        });
        store.chunks().upsert("kb_1", List.of(NewChunk.of("doc-1", 0, "text", new float[] {1, 0, 0})
                .withPayload(json("{\"lang\": \"en\"}"))));
        store.records().create("record-2", json("{\"name\": \"x\", \"a\": 1}"), null);
    }

    @TestFactory
    Stream<DynamicTest> everyBadInputIsRejectedTypedNamingItsFieldWithoutChangingATable() {
        List<Case> cases = cases();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(150);
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    private void check(Case c) {
        Map<String, String> before = tables();
        Throwable thrown = catchThrowable(() -> c.call().accept(store));
        assertThat(thrown).as(c.name() + " threw " + thrown).isInstanceOf(InvalidInputException.class);
        String message = String.valueOf(thrown.getMessage());
        assertThat(message).as("message of " + c.name() + ": " + message).contains(c.field());
        assertThat(message).as("message of " + c.name()).doesNotContain(SECRET);
        assertThat(SQL.matcher(message).find()).as("SQL in the message of " + c.name() + ": " + message).isFalse();
        assertThat(tables()).as("tables after " + c.name()).isEqualTo(before);
    }

    /** Every table of the store's schema: its rows, hashed in a stable order. */
    private Map<String, String> tables() {
        String schema = store.config().schema();
        Map<String, String> hashes = new LinkedHashMap<>();
        try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement()) {
            List<String> names = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = '"
                    + schema + "' AND table_type = 'BASE TABLE' ORDER BY 1")) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
            for (String table : names) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ','"
                        + " ORDER BY t::text)), '') FROM " + schema + "." + table + " t")) {
                    rs.next();
                    hashes.put(table, rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return hashes;
    }

    private static JsonNode json(String text) {
        return Json.parse("test", text);
    }

    private static ObjectNode object(String key, JsonNode value) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.set(key, value);
        return o;
    }

    private static JsonNode text(String value) {
        return JsonNodeFactory.instance.textNode(value);
    }

    /** The kinds of bad names, each with a label. */
    private static Map<String, String> badNames() {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("null", null);
        bad.put("empty", "");
        bad.put("blank", "   ");
        bad.put("270 characters", TOO_LONG);
        bad.put("U+0000", WITH_NUL);
        bad.put("an unpaired high surrogate", UNPAIRED_SURROGATE);
        bad.put("an unpaired low surrogate", LONE_LOW_SURROGATE);
        return bad;
    }

    /** Adds one case per kind of bad name for a call that takes a name. */
    private static void names(List<Case> cases, String what, String field, NameCall call) {
        badNames().forEach((label, value) ->
                cases.add(new Case(what + ": " + field + " " + label, field, s -> call.call(s, value))));
    }

    /** As {@link #names}, for an id that {@code null} asks the repository to generate, and of another length limit. */
    private static void ids(List<Case> cases, String what, String field, String tooLong, NameCall call) {
        badNames().forEach((label, value) -> {
            if (value != null) {
                String bad = value.equals(TOO_LONG) ? tooLong : value;
                cases.add(new Case(what + ": " + field + " " + label, field, s -> call.call(s, bad)));
            }
        });
    }

    @FunctionalInterface
    interface NameCall {
        void call(AgentStore store, String name);
    }

    /** Adds one case per kind of bad JSON value (content the database must never receive). */
    private static void badJson(List<Case> cases, String what, String field, JsonCall call) {
        cases.add(new Case(what + ": NaN in " + field, field, s -> call.call(s, object("x", DoubleNode.valueOf(Double.NaN)))));
        cases.add(new Case(what + ": Infinity in " + field, field,
                s -> call.call(s, object("x", DoubleNode.valueOf(Double.POSITIVE_INFINITY)))));
        cases.add(new Case(what + ": U+0000 in a string of " + field, field, s -> call.call(s, object("x", text(WITH_NUL)))));
        cases.add(new Case(what + ": U+0000 in a member name of " + field, field,
                s -> call.call(s, object(WITH_NUL, text("v")))));
        cases.add(new Case(what + ": unpaired surrogate in a string of " + field, field,
                s -> call.call(s, object("x", text(UNPAIRED_SURROGATE)))));
        cases.add(new Case(what + ": unpaired surrogate in a member name of " + field, field,
                s -> call.call(s, object(UNPAIRED_SURROGATE, text("v")))));
        cases.add(new Case(what + ": a 25,000,000-character string in " + field, field,
                s -> call.call(s, object("x", text(SECRET + "x".repeat(25_000_000))))));
        cases.add(new Case(what + ": a 1,501-digit number in " + field, field,
                s -> call.call(s, object("x", json("1".repeat(1501))))));
        cases.add(new Case(what + ": a 100,000-character member name in " + field, field,
                s -> call.call(s, object(SECRET + "k".repeat(100_000), text("v")))));
        cases.add(new Case(what + ": JSON nested 2,000 deep in " + field, field, s -> call.call(s, deep(2000))));
    }

    @FunctionalInterface
    interface JsonCall {
        void call(AgentStore store, JsonNode value);
    }

    private static JsonNode deep(int depth) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        ObjectNode node = root;
        for (int i = 0; i < depth; i++) {
            node = node.putObject("d");
        }
        return root;
    }

    private static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        float[] v3 = {1, 0, 0};

        // names and keys of every repository
        names(cases, "flows.register", "name", (s, n) -> s.flows().register(n, "Flow", 1));
        names(cases, "flows.incrementStat", "name", (s, n) -> s.flows().incrementStat(n, FlowStat.TOTAL, 1));
        names(cases, "flowRuns.start", "flowName", (s, n) -> s.flowRuns().start(n, "run-x"));
        names(cases, "flowRuns.start", "runId", (s, n) -> s.flowRuns().start("flow-1", n));
        names(cases, "flowRuns.update", "runId", (s, n) -> s.flowRuns().update("flow-1", n, json("{\"a\": 1}")));
        names(cases, "flowRuns.mergeSnapshot", "flowName", (s, n) -> s.flowRuns().mergeSnapshot(n, "run-1", json("{}")));
        names(cases, "flowRuns.findByRunId", "runId", (s, n) -> s.flowRuns().findByRunId(n));
        names(cases, "flowRuns.setStepResult", "stepId", (s, n) -> s.flowRuns().setStepResult("flow-1", "run-1", n, json("{}")));
        names(cases, "flowRuns.create", "runId", (s, n) -> s.flowRuns().create(NewFlowRun.of("flow-1", n)));
        names(cases, "flowSteps.upsert", "runId",
                (s, n) -> s.flowSteps().upsert("flow-1", n, FlowStepWrite.of("step-1", FlowStepStatus.RUNNING)));
        names(cases, "flowSteps.upsert", "stepId",
                (s, n) -> s.flowSteps().upsert("flow-1", "run-1", FlowStepWrite.of(n, FlowStepStatus.RUNNING)));
        names(cases, "flowSteps.progress", "parentStepId", (s, n) -> s.flowSteps().progress("flow-1", "run-1", n));
        names(cases, "flowEvents.append", "runId", (s, n) -> s.flowEvents().append(NewFlowEvent.of(n, "flow-1", "t")));
        names(cases, "flowEvents.append", "type", (s, n) -> s.flowEvents().append(NewFlowEvent.of("run-1", "flow-1", n)));
        names(cases, "triggers.register", "name", (s, n) -> s.triggers().register(n, TriggerType.EVENT));
        names(cases, "triggers.fire", "name", (s, n) -> s.triggers().fire(n, json("{}")));
        names(cases, "schedulerJobs.schedule", "id", (s, n) -> s.schedulerJobs().schedule(n, "Job", "0 * * * *", null, 3));
        names(cases, "kv.set", "key", (s, n) -> s.kv().set(n == null || !n.equals(TOO_LONG) ? n : TOO_LONG_KEY, json("1")));
        names(cases, "kv.increment", "key", (s, n) -> s.kv().increment(n == null || !n.equals(TOO_LONG) ? n : TOO_LONG_KEY, 1));
        names(cases, "memories.saveThread", "id", (s, n) -> s.memories().saveThread(n, "resource-1", "t", null));
        names(cases, "memories.updateResource", "resourceId", (s, n) -> s.memories().updateResource(n, "wm", null));
        names(cases, "memories.moveThread", "resourceId", (s, n) -> s.memories().moveThread("thread-1", n));
        names(cases, "memories.cloneThread", "sourceThreadId", (s, n) -> s.memories().cloneThread(n, "c", null, null,
                null));
        ids(cases, "memories.cloneThread", "newThreadId", TOO_LONG, (s, n) -> s.memories().cloneThread("thread-1", n,
                null, null, null));
        names(cases, "memories.forgetResource", "resourceId", (s, n) -> s.memories().forgetResource(n));
        names(cases, "memories.listMessagesByResource", "resourceId", (s, n) -> s.memories().listMessagesByResource(n,
                null, null, dev.agentstore.domain.memory.SortDirection.ASC, PageRequest.first()));
        names(cases, "templates.define", "identifier", (s, n) -> s.templates().define(n, "content"));
        names(cases, "configurations.define", "identifier", (s, n) -> s.configurations().define(n, json("{}")));
        ids(cases, "records.create", "id", TOO_LONG, (s, n) -> s.records().create(n, json("{}"), null));
        names(cases, "knowledge.create", "name", (s, n) -> s.knowledge().create(n, 3, Distance.COSINE, IndexSpec.none()));
        names(cases, "chunks.upsert", "documentId",
                (s, n) -> s.chunks().upsert("kb_1", List.of(NewChunk.of(n, 0, "text", v3))));

        // JSON values: content and size
        badJson(cases, "records.create", "data", (s, j) -> s.records().create("record-x", j, null));
        badJson(cases, "kv.set", "value", (s, j) -> s.kv().set("key-x", j));
        badJson(cases, "flowRuns.update", "metadata", (s, j) -> s.flowRuns().update("flow-1", "run-1", object("metadata", j)));
        badJson(cases, "flowRuns.replaceSnapshot", "snapshot", (s, j) -> s.flowRuns().replaceSnapshot("flow-1", "run-1", j));
        badJson(cases, "flowRuns.setStepResult", "result", (s, j) -> s.flowRuns().setStepResult("flow-1", "run-1", "s", j));
        badJson(cases, "flowRuns.create", "snapshot",
                (s, j) -> s.flowRuns().create(NewFlowRun.of("flow-1", "run-new").withSnapshot(j)));
        badJson(cases, "flowSteps.upsert", "output", (s, j) -> s.flowSteps().upsert("flow-1", "run-1",
                FlowStepWrite.of("step-x", FlowStepStatus.SUCCESS).withOutput(j)));
        badJson(cases, "flowEvents.append", "data",
                (s, j) -> s.flowEvents().append(NewFlowEvent.of("run-1", "flow-1", "t").data(j)));
        badJson(cases, "memories.saveMessages", "content",
                (s, j) -> s.memories().saveMessages("thread-1", List.of(NewMessage.of(MessageRole.USER, j))));
        badJson(cases, "chunks.upsert", "payload", (s, j) -> s.chunks().upsert("kb_1",
                List.of(NewChunk.of("doc-x", 0, "text", v3).withPayload(j))));

        // numbers, limits, enums, durations, times
        cases.add(new Case("flows.register: negative flowVersion", "flowVersion", s -> s.flows().register("f-x", "F", -1)));
        cases.add(new Case("flowRuns.start: negative stepCount", "stepCount",
                s -> s.flowRuns().start("flow-1", "run-x", Instant.now(), -1, null)));
        cases.add(new Case("flowRuns.update: expectedVersion -1", "expectedVersion",
                s -> s.flowRuns().update("flow-1", "run-1", json("{\"a\": 1}"), -1)));
        cases.add(new Case("flowRuns.update: a patch that is an array", "patch",
                s -> s.flowRuns().update("flow-1", "run-1", json("[1]"))));
        cases.add(new Case("flowRuns.update: unknown status", "status",
                s -> s.flowRuns().update("flow-1", "run-1", json("{\"status\": \"exploded\"}"))));
        cases.add(new Case("flowRuns.update: completedSteps as text", "completedSteps",
                s -> s.flowRuns().update("flow-1", "run-1", json("{\"completedSteps\": \"" + SECRET + "\"}"))));
        cases.add(new Case("flowRuns.update: startedAt not a time", "startedAt",
                s -> s.flowRuns().update("flow-1", "run-1", json("{\"startedAt\": \"" + SECRET + "\"}"))));
        cases.add(new Case("flowRuns.update: startedAt beyond timestamptz", "startedAt",
                s -> s.flowRuns().update("flow-1", "run-1", json("{\"startedAt\": \"+300000-01-01T00:00:00Z\"}"))));
        cases.add(new Case("flowRuns.start: startedAt Instant.MAX", "startedAt",
                s -> s.flowRuns().start("flow-1", "run-x", Instant.MAX, null, null)));
        cases.add(new Case("flowRuns.start: startedAt Instant.MIN", "startedAt",
                s -> s.flowRuns().start("flow-1", "run-x", Instant.MIN, null, null)));
        cases.add(new Case("flowRuns.list: page -1", "page",
                s -> s.flowRuns().list("flow-1", FlowRunFilter.ALL, PageRequest.of(-1, 10))));
        cases.add(new Case("flowRuns.list: perPage 0", "perPage",
                s -> s.flowRuns().list("flow-1", FlowRunFilter.ALL, PageRequest.of(1, 0))));
        cases.add(new Case("flowRuns.list: startedFrom Instant.MIN", "startedFrom",
                s -> s.flowRuns().list("flow-1", FlowRunFilter.ALL.startedBetween(Instant.MIN, null), PageRequest.first())));
        cases.add(new Case("flowEvents.append: ts Instant.MAX", "ts",
                s -> s.flowEvents().append(NewFlowEvent.of("run-1", "flow-1", "t").at(Instant.MAX))));
        cases.add(new Case("flowEvents.append: negative attempt", "attempt",
                s -> s.flowEvents().append(NewFlowEvent.of("run-1", "flow-1", "t").attempt(-1))));
        cases.add(new Case("flowEvents.read: limit 0", "limit",
                s -> s.flowEvents().read("run-1", FlowEventQuery.defaults().limit(0))));
        cases.add(new Case("flowEvents.read: from Instant.MIN", "from",
                s -> s.flowEvents().read("run-1", FlowEventQuery.defaults().between(Instant.MIN, null))));
        cases.add(new Case("flowEvents.purgeOlderThan: batch 0", "batchSize",
                s -> s.flowEvents().purgeOlderThan(Instant.now(), 0)));
        cases.add(new Case("triggers.recordFlowsStarted: negative n", "n", s -> s.triggers().recordFlowsStarted("trigger-1", -1)));
        cases.add(new Case("triggers.events: limit 0", "limit", s -> s.triggers().events("trigger-1", 0)));
        cases.add(new Case("triggers.updateSubscriptions: not an object", "patch",
                s -> s.triggers().updateSubscriptions("trigger-1", json("[\"" + SECRET + "\"]"))));
        cases.add(new Case("schedulerJobs.schedule: invalid cron", "cron",
                s -> s.schedulerJobs().schedule("job-x", "Job", SECRET, null, 3)));
        cases.add(new Case("schedulerJobs.schedule: maxAttempts 0", "maxAttempts",
                s -> s.schedulerJobs().schedule("job-x", "Job", "0 * * * *", null, 0)));
        cases.add(new Case("schedulerJobs.schedule: firstRunAt Instant.MAX", "firstRunAt",
                s -> s.schedulerJobs().schedule("job-x", "Job", "0 * * * *", Instant.MAX, null, 3)));
        cases.add(new Case("schedulerJobs.claimDue: limit 0", "limit",
                s -> s.schedulerJobs().claimDue("worker", 0, Duration.ofMinutes(1))));
        cases.add(new Case("schedulerJobs.claimDue: negative lease", "leaseDuration",
                s -> s.schedulerJobs().claimDue("worker", 1, Duration.ofMinutes(-1))));
        cases.add(new Case("schedulerJobs.claimDue: lease of 30 days", "leaseDuration",
                s -> s.schedulerJobs().claimDue("worker", 1, Duration.ofDays(30))));
        cases.add(new Case("schedulerJobs.reschedule: invalid cron", "cron",
                s -> s.schedulerJobs().reschedule("job-1", "61 * * * *", null)));
        cases.add(new Case("triggers.define: webhook not an object", "webhook", s -> s.triggers().define("trigger-x",
                TriggerDefinition.of(TriggerType.WEBHOOK).webhook(json("[\"" + SECRET + "\"]")))));
        cases.add(new Case("triggers.increment: counter with NUL", "counter",
                s -> s.triggers().increment("trigger-1", WITH_NUL, 1)));
        cases.add(new Case("triggers.events: cursor 0", "afterId",
                s -> s.triggers().events("trigger-1", FlowEventQuery.defaults().after(0L))));
        cases.add(new Case("triggers.purgeEventsOlderThanBatch: batch 0", "batchSize",
                s -> s.triggers().purgeEventsOlderThanBatch(Instant.now(), 0)));
        cases.add(new Case("schedulerJobs.create: unknown time zone", "timeZone",
                s -> s.schedulerJobs().create("job-x", "Job", JobSchedule.cron("0 * * * *", SECRET), null, null, 3)));
        cases.add(new Case("schedulerJobs.create: interval of 0", "interval",
                s -> s.schedulerJobs().create("job-x", "Job", JobSchedule.every(Duration.ZERO), null, null, 3)));
        cases.add(new Case("schedulerJobs.create: createdAt Instant.MAX", "createdAt",
                s -> s.schedulerJobs().create("job-x", "Job", JobSchedule.once(), null, null, 3, Instant.MAX, null)));
        cases.add(new Case("schedulerJobs.create: updatedAt Instant.MIN", "updatedAt",
                s -> s.schedulerJobs().create("job-x", "Job", JobSchedule.once(), null, null, 3, null, Instant.MIN)));
        cases.add(new Case("schedulerJobs.create: updatedAt before createdAt", "updatedAt",
                s -> s.schedulerJobs().create("job-x", "Job", JobSchedule.once(), null, null, 3,
                        Instant.parse("2021-01-01T00:00:00Z"), Instant.parse("2020-01-01T00:00:00Z"))));
        cases.add(new Case("schedulerJobs.update: status RUNNING", "status",
                s -> s.schedulerJobs().update("job-1", JobUpdate.none().status(JobStatus.RUNNING))));
        cases.add(new Case("schedulerJobs.update: config not an object", "config",
                s -> s.schedulerJobs().update("job-1", JobUpdate.none().config(json("[\"" + SECRET + "\"]")))));
        cases.add(new Case("kv.set: negative ttl", "ttl", s -> s.kv().set("key-x", json("1"), Duration.ofSeconds(-1))));
        cases.add(new Case("kv.set: ttl of 10,000 years", "ttl",
                s -> s.kv().set("key-x", json("1"), Duration.ofDays(3_650_000))));
        cases.add(new Case("kv.set: a value Jackson cannot convert", "value", s -> s.kv().set("key-x", new Object())));
        cases.add(new Case("kv.set: NaN as a Java double", "value", s -> s.kv().set("key-x", (Object) Double.NaN)));
        cases.add(new Case("kv.keys: limit 0", "limit", s -> s.kv().keys("*", 0)));
        cases.add(new Case("kv.purgeExpired: batch 0", "batchSize", s -> s.kv().purgeExpired(0)));
        cases.add(new Case("records.update: data not an object", "data",
                s -> s.records().update("record-1", json("\"" + SECRET + "\""), null)));
        cases.add(new Case("records.createBatch: 10,001 records", "records", s -> s.records().createBatch(
                java.util.Collections.nCopies(10_001, NewRecord.of(json("{}"))))));
        cases.add(new Case("records.createBatch: a null element", "records",
                s -> s.records().createBatch(Arrays.asList(NewRecord.of(json("{}")), null))));
        cases.add(new Case("records.upsertBatch: 10,001 records", "records", s -> s.records().upsertBatch(
                java.util.Collections.nCopies(10_001, NewRecord.of(json("{}"))))));
        cases.add(new Case("records.upsertBatch: data not an object", "records[1]", s -> s.records().upsertBatch(
                List.of(NewRecord.of("record-1", json("{}")), NewRecord.of("record-y", json("[\"" + SECRET + "\"]"))))));
        cases.add(new Case("records.upsert: a negative expected version", "expectedVersion",
                s -> s.records().upsert("record-1", json("{}"), null, java.util.OptionalLong.of(-1))));
        cases.add(new Case("records.clear: an invalid regular expression", "data.name",
                s -> s.records().clear(Filter.regex("data.name", "(" + SECRET))));
        cases.add(new Case("records.clear: a null filter", "filter", s -> s.records().clear(null)));
        cases.add(new Case("records.search: negative offset", "offset", s -> s.records().search(Query.all().offset(-1))));
        cases.add(new Case("records.search: limit 0", "limit", s -> s.records().search(Query.all().limit(0))));
        cases.add(new Case("records.search: a field path with SQL", "path",
                s -> s.records().search(Query.where(Filter.eq("a'); DROP TABLE records; --" + SECRET, 1)))));
        cases.add(new Case("records.search: an invalid regular expression", "data.name",
                s -> s.records().search(Query.where(Filter.regex("data.name", "(" + SECRET)))));
        cases.add(new Case("records.search: sort by an invalid path", "path",
                s -> s.records().search(Query.all().orderBy(Sort.by("")))));
        cases.add(new Case("records.search: Instant.MIN compared", "value",
                s -> s.records().search(Query.where(Filter.gt("data.at", Instant.MIN)))));
        cases.add(new Case("records.count: an IN list of numbers and texts", "data.a",
                s -> s.records().count(Filter.in("data.a", List.of(1, SECRET)))));
        cases.add(new Case("memories.saveMessages: 10,001 messages", "messages", s -> s.memories().saveMessages("thread-1",
                java.util.Collections.nCopies(10_001, NewMessage.of(MessageRole.USER, json("\"hi\""))))));
        cases.add(new Case("memories.saveMessages: createdAt Instant.MAX", "createdAt", s -> s.memories().saveMessages(
                "thread-1", List.of(NewMessage.of(MessageRole.USER, json("\"hi\"")).createdAt(Instant.MAX)))));
        cases.add(new Case("memories.saveThread: createdAt Instant.MAX", "createdAt", s -> s.memories().saveThread(
                "thread-new", "resource-1", "t", null, Instant.MAX, null)));
        cases.add(new Case("memories.saveThread: updatedAt Instant.MIN on an existing thread", "updatedAt",
                s -> s.memories().saveThread("thread-1", "resource-1", "t", null, null, Instant.MIN)));
        cases.add(new Case("memories.lastMessages: limit -1", "limit", s -> s.memories().lastMessages("thread-1", -1)));
        cases.add(new Case("memories.listMessages: from Instant.MIN", "from", s -> s.memories().listMessages(
                MessageQuery.of("thread-1").createdBetween(Instant.MIN, null), PageRequest.first())));
        cases.add(new Case("memories.updateMessages: an update that changes nothing", "MemoryMessage",
                s -> s.memories().updateMessages(List.of(MessageUpdate.of("m-1")))));
        cases.add(new Case("memories.updateExistingMessages: an update that changes nothing", "MemoryMessage",
                s -> s.memories().updateExistingMessages(List.of(MessageUpdate.of("m-1")))));
        cases.add(new Case("memories.getMessages: no ids", "ids", s -> s.memories().getMessages(List.of())));
        cases.add(new Case("memories.updateResource: U+0000 in working memory", "workingMemory",
                s -> s.memories().updateResource("resource-1", WITH_NUL, null)));
        cases.add(new Case("memories.updateResource: unpaired surrogate in working memory", "workingMemory",
                s -> s.memories().updateResource("resource-1", UNPAIRED_SURROGATE, null)));
        cases.add(new Case("memories.saveThread: U+0000 in the title", "title",
                s -> s.memories().saveThread("thread-x", "resource-1", WITH_NUL, null)));
        cases.add(new Case("templates.define: U+0000 in the content", "content",
                s -> s.templates().define("template-x", WITH_NUL)));
        cases.add(new Case("templates.define: unpaired surrogate in the content", "content",
                s -> s.templates().define("template-x", UNPAIRED_SURROGATE)));
        cases.add(new Case("templates.history: limit 0", "limit", s -> s.templates().history("template-1", 0)));
        cases.add(new Case("configurations.history: limit 0", "limit", s -> s.configurations().history("config-1", 0)));
        cases.add(new Case("knowledge.create: dimension 0", "dimension",
                s -> s.knowledge().create("kb_x", 0, Distance.COSINE, IndexSpec.none())));
        cases.add(new Case("knowledge.create: dimension 100,000", "dimension",
                s -> s.knowledge().create("kb_x", 100_000, Distance.COSINE, IndexSpec.none())));
        cases.add(new Case("knowledge.create: hnsw m 1", "m",
                s -> s.knowledge().create("kb_x", 3, Distance.COSINE, IndexSpec.hnsw(1, 64))));
        cases.add(new Case("knowledge.create: ivfflat lists 0", "lists",
                s -> s.knowledge().create("kb_x", 3, Distance.COSINE, IndexSpec.ivfflat(0))));
        cases.add(new Case("chunks.upsert: wrong dimension", "embedding",
                s -> s.chunks().upsert("kb_1", List.of(NewChunk.of("doc-x", 0, "text", new float[] {1, 0})))));
        cases.add(new Case("chunks.upsert: NaN in the embedding", "embedding",
                s -> s.chunks().upsert("kb_1", List.of(NewChunk.of("doc-x", 0, "text", new float[] {Float.NaN, 0, 0})))));
        cases.add(new Case("chunks.upsert: negative ordinal", "ordinal",
                s -> s.chunks().upsert("kb_1", List.of(NewChunk.of("doc-x", -1, "text", v3)))));
        cases.add(new Case("chunks.upsert: U+0000 in the content", "content",
                s -> s.chunks().upsert("kb_1", List.of(NewChunk.of("doc-x", 0, WITH_NUL, v3)))));
        cases.add(new Case("chunks.upsert: unpaired surrogate in the content", "content",
                s -> s.chunks().upsert("kb_1", List.of(NewChunk.of("doc-x", 0, UNPAIRED_SURROGATE, v3)))));
        cases.add(new Case("chunks.search: k 0", "k", s -> s.chunks().search("kb_1", v3, SearchOptions.top(0))));
        cases.add(new Case("chunks.search: wrong dimension", "query",
                s -> s.chunks().search("kb_1", new float[] {1, 0}, SearchOptions.top(3))));
        cases.add(new Case("chunks.search: an invalid regular expression in the filter", "payload.lang",
                s -> s.chunks().search("kb_1", v3, SearchOptions.top(3).withFilter(Filter.regex("payload.lang", "[" + SECRET)))));
        cases.add(new Case("chunks.deleteByFilter: an invalid regular expression", "payload.lang",
                s -> s.chunks().deleteByFilter("kb_1", Filter.regex("payload.lang", "(?<" + SECRET))));
        cases.add(new Case("chunks.deleteByFilter: Instant.MAX compared", "value",
                s -> s.chunks().deleteByFilter("kb_1", Filter.lt("payload.at", Instant.MAX))));
        cases.add(new Case("chunks.search: efSearch 0", "efSearch",
                s -> s.chunks().search("kb_1", v3, SearchOptions.top(3).withEfSearch(0))));
        cases.add(new Case("chunks.search: MMR lambda 2", "lambda",
                s -> s.chunks().search("kb_1", v3, SearchOptions.top(3).withMmr(2, 4))));

        // configuration
        cases.add(new Case("config: port 0", "port", s -> AgentStoreConfig.builder().port(0).database("d").user("u").build()));
        cases.add(new Case("config: port 70000", "port",
                s -> AgentStoreConfig.builder().port(70_000).database("d").user("u").build()));
        cases.add(new Case("config: schema with SQL", "schema",
                s -> AgentStoreConfig.builder().database("d").user("u").schema("x; DROP " + SECRET).build()));
        cases.add(new Case("config: schema pg_catalog", "schema",
                s -> AgentStoreConfig.builder().database("d").user("u").schema("pg_catalog").build()));
        cases.add(new Case("config: poolMaxSize 0", "poolMaxSize",
                s -> AgentStoreConfig.builder().database("d").user("u").poolMaxSize(0).build()));
        cases.add(new Case("config: poolMinIdle above poolMaxSize", "poolMinIdle",
                s -> AgentStoreConfig.builder().database("d").user("u").poolMaxSize(2).poolMinIdle(3).build()));
        cases.add(new Case("config: unknown sslmode in the environment", "AGENTSTORE_DB_SSLMODE",
                s -> AgentStoreConfig.builder().database("d").user("u")
                        .applyEnvironment(Map.of("AGENTSTORE_DB_SSLMODE", SECRET)).build()));
        cases.add(new Case("config: port not a number in the environment", "AGENTSTORE_DB_PORT",
                s -> AgentStoreConfig.builder().database("d").user("u")
                        .applyEnvironment(Map.of("AGENTSTORE_DB_PORT", SECRET)).build()));
        cases.add(new Case("config: a URL of another database", "url",
                s -> AgentStoreConfig.builder().url("jdbc:mysql://" + SECRET + "@h/d").build()));
        cases.add(new Case("config: a DSN without a host keeps its password out", "url",
                s -> AgentStoreConfig.builder().url("postgres://u:" + SECRET + "@/d").build()));
        cases.add(new Case("config: a DSN with a bad escape keeps its password out", "url",
                s -> AgentStoreConfig.builder().url("postgres://u:" + SECRET + "%zz@h/d").build()));
        cases.add(new Case("config: no database", "database", s -> AgentStoreConfig.builder().user("u").build()));
        cases.add(new Case("config: negative cache size", "configCacheMaxSize",
                s -> AgentStoreConfig.builder().database("d").user("u").configCacheMaxSize(-1).build()));
        cases.add(new Case("config: negative cache ttl", "configCacheTtl",
                s -> AgentStoreConfig.builder().database("d").user("u").configCacheTtl(Duration.ofSeconds(-1)).build()));
        return cases;
    }
}
