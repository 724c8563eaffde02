package dev.agentstore.persistence.flow;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.FlowRun;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.Race;
import dev.agentstore.persistence.support.ReadVersions;
import net.ttddyy.dsproxy.ExecutionInfo;
import net.ttddyy.dsproxy.QueryInfo;
import net.ttddyy.dsproxy.listener.QueryExecutionListener;
import net.ttddyy.dsproxy.support.ProxyDataSourceBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code FlowRunRepository.update} of a patch without a {@code status} key: one {@code UPDATE ... RETURNING} that
 * computes every column in SQL, with the result of the locked read-modify-write (which checks the patch with
 * {@code FlowRun.applyPatch} on the locked row).
 */
@ExtendWith(AgentStoreExtension.class)
class FlowRunFieldPatchTest {

    private static JsonNode json(String text) {
        return Json.parse("test", text);
    }

    /** Everything a run holds but its identity, JSON as the exact text read back (so {@code 1.0} differs from {@code 1}). */
    private static List<Object> state(FlowRun r) {
        return Arrays.asList(r.status(), r.startedAt(), r.completedAt(), r.lastActivityAt(), r.stepCount(),
                r.completedSteps(), Json.print(r.emittedEvents()), Json.print(r.awaitingSteps()),
                Json.print(r.snapshot()), r.resourceId(), Json.print(r.metadata()), r.version(), r.updatedAt());
    }

    /** The read-modify-write path: a version read in the unit of work sends update down it (locked read, write). */
    private static FlowRun updateByReadModifyWrite(AgentStore store, String flow, String run, JsonNode patch) {
        return store.fromTransaction(uow -> {
            FlowRun read = uow.flowRuns().get(flow, run).orElseThrow();
            assertThat(ReadVersions.of(uow.entityManager()).expected("FlowRun", flow + "/" + run))
                    .hasValue(read.version());
            return uow.flowRuns().update(flow, run, patch);
        });
    }

    private static long xmin(AgentStore store, String flow, String run) {
        return store.fromTransaction(uow -> ((Number) uow.entityManager()
                .createNativeQuery("SELECT xmin::text::bigint FROM flow_runs WHERE flow_name = ?1 AND run_id = ?2")
                .setParameter(1, flow).setParameter(2, run).getSingleResult()).longValue());
    }

    @Test
    void everyPatchGivesTheRunTheLockedReadModifyWriteGives(AgentStore store, MutableClock clock) {
        store.flowRuns().start("same", "one-statement");
        store.flowRuns().start("same", "read-modify-write");
        List<String> patches = List.of(
                """
                {"emittedEvents":{"a":{"x":1}},"awaitingSteps":{"s1":{"until":1}},"note":"n","list":[1,2]}""",
                """
                {"snapshot":{"ctx":{"s1":{"o":1.50},"gone":null}},"score":0.12345678901234567890123}""",
                """
                {"emittedEvents":{"a":{"x":null,"y":2.0}},"note":null,"list":[{"k":null}],"deep":{"a":{"b":null}}}""",
                """
                {"snapshot":[1,{"a":null}]}""",
                """
                {"snapshot":{"b":1e2,"c":{"d":null}}}""",
                """
                {"snapshot":null}""",
                """
                {"snapshot":"text"}""",
                """
                {"emittedEvents":null,"awaitingSteps":{"s2":true,"s1":null}}""",
                """
                {"startedAt":"2024-05-01T10:00:00Z","completedAt":1714557600123,"lastActivityAt":null,"stepCount":7,
                 "completedSteps":3,"resourceId":"thread-9"}""",
                // unchanged: the second and third write nothing
                """
                {"stepCount":7,"other":{"deep":1}}""",
                """
                {"stepCount":7,"other":{"deep":1}}""",
                """
                {"score":0.12345678901234567890123,"emittedEvents":{},"metadataOnly":null}""",
                // numbers PostgreSQL holds equal: 1 to 1.0 is a change for applyPatch, 1.0 to 1.00 is not
                """
                {"score":1}""",
                """
                {"score":1.0}""",
                """
                {"score":1.00}""",
                // finer than PostgreSQL's microseconds: applyPatch sees a change every time
                """
                {"lastActivityAt":"2024-05-01T10:00:00.123456789Z"}""",
                """
                {"lastActivityAt":"2024-05-01T10:00:00.123456789Z"}""",
                """
                {"resourceId":null,"stepCount":null,"completedAt":null}""",
                """
                {}""");

        for (String text : patches) {
            clock.advance(Duration.ofSeconds(1));
            FlowRun inOne = store.flowRuns().update("same", "one-statement", json(text));
            FlowRun inRmw = updateByReadModifyWrite(store, "same", "read-modify-write", json(text));

            assertThat(state(inOne)).as(text).isEqualTo(state(inRmw));
            // and each returns the run as stored
            assertThat(state(store.flowRuns().get("same", "one-statement").orElseThrow())).as(text)
                    .isEqualTo(state(inOne));
            assertThat(state(store.flowRuns().get("same", "read-modify-write").orElseThrow())).as(text)
                    .isEqualTo(state(inRmw));
        }
        FlowRun last = store.flowRuns().get("same", "one-statement").orElseThrow();
        assertThat(last.metadata()).isEqualTo(json("""
                {"score":1.0,"list":[{"k":null}],"deep":{"a":{}},"other":{"deep":1}}"""));
        assertThat(Json.print(last.metadata().get("score"))).isEqualTo("1.0");
        assertThat(last.version()).isEqualTo(15);
    }

    @Test
    void eightThreadsEachMergingItsOwnFieldOfOneRunAHundredTimesLoseNothing(AgentStore store) throws Exception {
        store.flowRuns().start("race", "hot");
        int perThread = 100;

        Race.run(8, k -> () -> {
            for (int i = 0; i < perThread; i++) {
                FlowRun run = store.flowRuns().get("race", "hot").orElseThrow();
                int n = run.emittedEvents().path("w" + k).path("count").asInt(0) + 1;
                store.flowRuns().update("race", "hot", json("{\"emittedEvents\":{\"w" + k + "\":{\"count\":" + n
                        + "}},\"w" + k + "\":" + n + "}"));
            }
            return null;
        });

        FlowRun run = store.flowRuns().get("race", "hot").orElseThrow();
        for (int k = 0; k < 8; k++) {
            assertThat(run.emittedEvents().path("w" + k).path("count").asInt()).as("w" + k).isEqualTo(perThread);
            assertThat(run.metadata().path("w" + k).asInt()).as("w" + k).isEqualTo(perThread);
        }
        assertThat(run.version()).isEqualTo(8 * perThread);
    }

    @Test
    void anInvalidPatchWritesNothing(AgentStore store) {
        FlowRun started = store.flowRuns().start("invalid", "r1");
        long xmin = xmin(store, "invalid", "r1");

        assertThatThrownBy(() -> store.flowRuns().update("invalid", "r1",
                json("{\"emittedEvents\":{\"a\":1},\"note\":1,\"completedSteps\":\"x\"}")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("completedSteps");
        assertThatThrownBy(() -> store.flowRuns().update("invalid", "r1", json("{\"snapshot\":{},\"updatedAt\":1}")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("updatedAt");
        // validated before the run is looked for
        assertThatThrownBy(() -> store.flowRuns().update("invalid", "missing", json("{\"stepCount\":-1}")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("stepCount");

        FlowRun run = store.flowRuns().get("invalid", "r1").orElseThrow();
        assertThat(state(run)).isEqualTo(state(started));
        assertThat(xmin(store, "invalid", "r1")).isEqualTo(xmin);
    }

    @Test
    void aPatchThatChangesNothingKeepsTheVersionAndWritesNoRowAndOfAMissingRunIsNotFound(AgentStore store,
                                                                                      MutableClock clock) {
        store.flowRuns().start("noop", "r1");
        FlowRun first = store.flowRuns().update("noop", "r1", json("{\"emittedEvents\":{\"a\":[1,{\"b\":2.5}]},"
                + "\"k\":\"v\",\"stepCount\":2}"));
        long xmin = xmin(store, "noop", "r1");
        clock.advance(Duration.ofSeconds(5));

        FlowRun again = store.flowRuns().update("noop", "r1", json("{\"emittedEvents\":{\"a\":[1,{\"b\":2.5}],"
                + "\"gone\":null},\"k\":\"v\",\"stepCount\":2,\"absent\":null}"));

        assertThat(first.version()).isEqualTo(1);
        assertThat(state(again)).isEqualTo(state(first));
        assertThat(xmin(store, "noop", "r1")).isEqualTo(xmin);
        assertThatThrownBy(() -> store.flowRuns().update("noop", "missing", json("{\"k\":\"v\"}")))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("runId=missing");
        assertThatThrownBy(() -> store.flowRuns().update("noop", "missing", json("{}")))
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    void aPerCallFieldPatchSendsOneStatementWithNoBeginOrCommit(AgentStore store, AgentStoreConfig config) {
        store.flowRuns().start("autocommit", "r1");
        List<String> executed = Collections.synchronizedList(new ArrayList<>());
        QueryExecutionListener recorder = new QueryExecutionListener() {
            @Override
            public void beforeQuery(ExecutionInfo execInfo, List<QueryInfo> queryInfoList) {
                try {
                    boolean autoCommit = execInfo.getStatement().getConnection().getAutoCommit();
                    queryInfoList.forEach(q -> executed.add((autoCommit ? "autocommit: " : "in transaction: ")
                            + q.getQuery().strip().split("\\s+", 3)[0]));
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public void afterQuery(ExecutionInfo execInfo, List<QueryInfo> queryInfoList) {
            }
        };
        try (AgentStore recording = AgentStore.open(AgentStoreConfig.builder()
                .url(AgentStoreExtension.testUrl()).user("unused").schema(config.schema()).clock(config.clock())
                .autoMigrate(false).build(),
                ProxyDataSourceBuilder.create(store.dataSource()).listener(recorder).build())) {
            executed.clear();
            FlowRun run = recording.flowRuns().update("autocommit", "r1",
                    json("{\"emittedEvents\":{\"e\":1},\"completedSteps\":1,\"note\":\"x\"}"));

            assertThat(run.version()).isEqualTo(1);
            // pgjdbc sends BEGIN only before a statement run with autocommit off, and COMMIT only after a BEGIN
            assertThat(executed).containsExactly("autocommit: UPDATE");
        }
    }
}
