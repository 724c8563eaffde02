package dev.agentstore.persistence.memory;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.memory.Memory;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MemoryResource;
import dev.agentstore.domain.memory.MemoryVariables;
import dev.agentstore.domain.memory.MessageQuery;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkDeleteRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertBulkUpdateRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertPersistRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertRemoveRefused;
import static dev.agentstore.persistence.ReadOnlyJpa.assertSameRows;
import static dev.agentstore.persistence.ReadOnlyJpa.changeAndFlush;
import static dev.agentstore.persistence.ReadOnlyJpa.criteria;
import static dev.agentstore.persistence.ReadOnlyJpa.jpql;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The memory entities ({@link Memory}, {@link MemoryMessage}, {@link MemoryResource}, {@link MemoryVariables}) are
 * true JPA mappings that users can query, and read-only to JPA: the repository is the only writer.
 */
@ExtendWith(AgentStoreExtension.class)
class MemoryJpaMappingTest {

    private static final List<String> THREADS = List.of("jpa-t1", "jpa-t2", "jpa-t3");
    private static final List<String> RESOURCES = List.of("jpa-r1", "jpa-r2");

    @BeforeEach
    void rows(AgentStore store, MutableClock clock) {
        THREADS.forEach(id -> store.memories().deleteThread(id));
        RESOURCES.forEach(id -> store.memories().deleteResource(id));
        store.memories().saveThread("jpa-t1", "jpa-r1", "First",
                json("{\"n\":1,\"d\":2.50,\"nested\":{\"list\":[true,\"x\",null]}}"));
        clock.advance(Duration.ofMillis(1));
        store.memories().saveThread("jpa-t2", "jpa-r1", null, null);
        store.memories().updateThread("jpa-t2", "Second", json("{\"k\":\"v\"}"));
        store.memories().saveMessages("jpa-t1", List.of(
                NewMessage.of("jpa-m1", MessageRole.USER, json("{\"text\":\"hi\",\"parts\":[{\"n\":1.0}]}")),
                NewMessage.of("jpa-m2", MessageRole.ASSISTANT, json("\"plain text\"")).resourceId("jpa-r2"),
                NewMessage.of("jpa-m3", MessageRole.TOOL, json("[1,2,{\"x\":null}]"))));
        store.memories().remember("jpa-t3", List.of(NewMessage.of("jpa-m4", MessageRole.SYSTEM, json("0"))),
                json("{\"v\":1}"));
        store.memories().remember("jpa-t3", List.of(), json("{\"v\":2,\"deep\":{\"a\":[]}}"));
        store.memories().updateResource("jpa-r1", "# Notes\nlikes tea", json("{\"lang\":\"en\"}"));
        store.memories().updateResource("jpa-r1", null, json("{\"tz\":\"UTC\"}"));
        store.memories().updateResource("jpa-r2", null, null);
    }

    private static JsonNode json(String text) {
        return Json.parse("json", text);
    }

    private static List<Memory> threads(AgentStore store) {
        return THREADS.stream().map(id -> store.memories().findThread(id).orElseThrow()).toList();
    }

    private static List<MemoryMessage> messages(AgentStore store) {
        return Stream.of("jpa-t1", "jpa-t3")
                .flatMap(id -> store.memories().listAllMessages(MessageQuery.of(id)).page().items().stream())
                .toList();
    }

    private static List<MemoryResource> resources(AgentStore store) {
        return RESOURCES.stream().map(id -> store.memories().getResource(id).orElseThrow()).toList();
    }

    /** The rows of {@code type} whose {@code attribute} is like {@code pattern}, in the order of {@code orderBy}. */
    private static <T> List<T> criteriaLike(AgentStore store, Class<T> type, String attribute, String pattern,
                                            String... orderBy) {
        return criteria(store, type, (cb, query, e) -> query.where(cb.like(e.get(attribute), pattern))
                .orderBy(Stream.of(orderBy).map(a -> cb.asc(e.get(a))).toList()));
    }

    @Nested
    class Queries {

        @Test
        void threadsReadByJpqlAndCriteriaAreTheRepositorysRows(AgentStore store) {
            List<Memory> expected = threads(store);

            List<Memory> jpql = jpql(store, Memory.class,
                    "SELECT m FROM Memory m WHERE m.id LIKE 'jpa-%' ORDER BY m.id");
            List<Memory> criteria = criteriaLike(store, Memory.class, "id", "jpa-%", "id");

            assertSameRows(jpql, expected);
            assertSameRows(criteria, expected);
            assertThat(jpql.get(0).metadata())
                    .isEqualTo(json("{\"n\":1,\"d\":2.50,\"nested\":{\"list\":[true,\"x\",null]}}"));
            assertThat(jpql.get(0).lastSeq()).isEqualTo(3);
            assertThat(jpql.get(1).version()).isEqualTo(1);
            assertThat(jpql.get(2).resourceId()).isNull();
        }

        @Test
        void messagesReadByJpqlAndCriteriaAreTheRepositorysRows(AgentStore store) {
            List<MemoryMessage> expected = messages(store);

            List<MemoryMessage> jpql = jpql(store, MemoryMessage.class,
                    "SELECT m FROM MemoryMessage m WHERE m.id LIKE 'jpa-%' ORDER BY m.memoryId, m.seq");
            List<MemoryMessage> criteria = criteriaLike(store, MemoryMessage.class, "id", "jpa-%", "memoryId", "seq");

            assertThat(expected).hasSize(4);
            assertSameRows(jpql, expected);
            assertSameRows(criteria, expected);
            assertThat(jpql).extracting(MemoryMessage::content).containsExactly(
                    json("{\"text\":\"hi\",\"parts\":[{\"n\":1.0}]}"), json("\"plain text\""),
                    json("[1,2,{\"x\":null}]"), json("0"));
            assertThat(jpql).extracting(MemoryMessage::role).containsExactly(MessageRole.USER, MessageRole.ASSISTANT,
                    MessageRole.TOOL, MessageRole.SYSTEM);
            assertThat(jpql).extracting(MemoryMessage::resourceId).containsExactly("jpa-r1", "jpa-r2", "jpa-r1", null);
        }

        @Test
        void resourcesReadByJpqlAndCriteriaAreTheRepositorysRows(AgentStore store) {
            List<MemoryResource> expected = resources(store);

            List<MemoryResource> jpql = jpql(store, MemoryResource.class,
                    "SELECT r FROM MemoryResource r WHERE r.id LIKE 'jpa-%' ORDER BY r.id");
            List<MemoryResource> criteria = criteriaLike(store, MemoryResource.class, "id", "jpa-%", "id");

            assertSameRows(jpql, expected);
            assertSameRows(criteria, expected);
            assertThat(jpql.get(0).workingMemory()).isEqualTo("# Notes\nlikes tea");
            assertThat(jpql.get(0).metadata()).isEqualTo(json("{\"lang\":\"en\",\"tz\":\"UTC\"}"));
            assertThat(jpql.get(0).version()).isEqualTo(1);
            assertThat(jpql.get(1).workingMemory()).isNull();
        }

        @Test
        void variablesReadByJpqlAndCriteriaAreTheRepositorysRows(AgentStore store) {
            List<MemoryVariables> expected = store.memories().variablesHistory("jpa-t3");

            List<MemoryVariables> jpql = jpql(store, MemoryVariables.class,
                    "SELECT v FROM MemoryVariables v WHERE v.memoryId = 'jpa-t3' ORDER BY v.revision");
            List<MemoryVariables> criteria = criteria(store, MemoryVariables.class, (cb, query, v) -> query
                    .where(cb.equal(v.get("memoryId"), "jpa-t3")).orderBy(cb.asc(v.get("revision"))));

            assertThat(expected).extracting(MemoryVariables::revision).containsExactly(1L, 2L);
            assertThat(expected).allSatisfy(v -> assertThat(v.id()).isNotNull());
            assertSameRows(jpql, expected);
            assertSameRows(criteria, expected);
            assertThat(jpql.get(1).variables()).isEqualTo(json("{\"v\":2,\"deep\":{\"a\":[]}}"));
            assertThat(store.memories().variables("jpa-t3")).get().usingRecursiveComparison().isEqualTo(jpql.get(1));
        }
    }

    @Nested
    class ReadOnly {

        @Test
        void removeIsRefusedAndNothingIsDeleted(AgentStore store) {
            long variablesId = store.memories().variablesHistory("jpa-t3").get(0).id();
            assertRemoveRefused(store, Memory.class, "jpa-t2");
            assertRemoveRefused(store, MemoryMessage.class, "jpa-m1");
            assertRemoveRefused(store, MemoryResource.class, "jpa-r1");
            assertRemoveRefused(store, MemoryVariables.class, variablesId);

            assertThat(store.memories().findThread("jpa-t2")).isPresent();
            assertThat(messages(store)).extracting(MemoryMessage::id).contains("jpa-m1");
            assertThat(store.memories().getResource("jpa-r1")).isPresent();
            assertThat(store.memories().variablesHistory("jpa-t3")).hasSize(2);
        }

        @Test
        void persistIsRefusedAndNothingIsWritten(AgentStore store, MutableClock clock) {
            assertPersistRefused(store, Memory.create("jpa-new", "jpa-r1", "t", null, clock.instant()));
            assertPersistRefused(store,
                    MemoryMessage.of("jpa-new-m", "jpa-t1", 99, MessageRole.USER, json("{}"), null, clock.instant()));
            assertPersistRefused(store, MemoryResource.create("jpa-new-r", "wm", null, clock.instant()));
            assertPersistRefused(store, MemoryVariables.of("jpa-t1", 1, json("{}"), clock.instant()));

            assertThat(store.memories().findThread("jpa-new")).isEmpty();
            assertThat(store.memories().lastMessages("jpa-t1", 10)).extracting(MemoryMessage::id)
                    .containsExactly("jpa-m1", "jpa-m2", "jpa-m3");
            assertThat(store.memories().getResource("jpa-new-r")).isEmpty();
            assertThat(store.memories().variablesHistory("jpa-t1")).isEmpty();
        }

        @Test
        void aChangedEntityIsNeverWritten(AgentStore store) {
            long version = store.memories().getThread("jpa-t1").version();
            changeAndFlush(store, Memory.class, "jpa-t1",
                    thread -> thread.update("changed", json("{\"n\":2}"), thread.updatedAt()));
            changeAndFlush(store, MemoryResource.class, "jpa-r1",
                    resource -> resource.update("changed", null, resource.updatedAt()));

            Memory thread = store.memories().getThread("jpa-t1");
            assertThat(thread.title()).isEqualTo("First");
            assertThat(thread.metadata().get("n").asInt()).isEqualTo(1);
            assertThat(thread.version()).isEqualTo(version);
            assertThat(store.memories().getResource("jpa-r1").orElseThrow().workingMemory())
                    .isEqualTo("# Notes\nlikes tea");
        }

        @Test
        void aBulkUpdateIsRefused(AgentStore store) {
            assertBulkUpdateRefused(store, Memory.class, "UPDATE Memory m SET m.title = 'bulk'");
            assertBulkUpdateRefused(store, MemoryMessage.class, "UPDATE MemoryMessage m SET m.seq = m.seq + 100");
            assertBulkUpdateRefused(store, MemoryResource.class,
                    "UPDATE MemoryResource r SET r.workingMemory = 'bulk'");
            assertBulkUpdateRefused(store, MemoryVariables.class, "UPDATE MemoryVariables v SET v.revision = 99");

            assertUnchanged(store);
        }

        @Test
        void aBulkDeleteIsRefused(AgentStore store) {
            assertBulkDeleteRefused(store, MemoryVariables.class,
                    "DELETE FROM MemoryVariables v WHERE v.memoryId LIKE 'jpa-%'");
            assertBulkDeleteRefused(store, MemoryMessage.class, "DELETE FROM MemoryMessage m WHERE m.id LIKE 'jpa-%'");
            assertBulkDeleteRefused(store, Memory.class, "DELETE FROM Memory m WHERE m.id LIKE 'jpa-%'");
            assertBulkDeleteRefused(store, MemoryResource.class,
                    "DELETE FROM MemoryResource r WHERE r.id LIKE 'jpa-%'");

            assertThat(threads(store)).hasSize(3);
            assertThat(messages(store)).hasSize(4);
            assertThat(resources(store)).hasSize(2);
            assertThat(store.memories().variablesHistory("jpa-t3")).hasSize(2);
            assertUnchanged(store);
        }

        private static void assertUnchanged(AgentStore store) {
            assertThat(store.memories().getThread("jpa-t1").title()).isEqualTo("First");
            assertThat(store.memories().lastMessages("jpa-t1", 10)).extracting(MemoryMessage::seq)
                    .containsExactly(1L, 2L, 3L);
            assertThat(store.memories().getResource("jpa-r1").orElseThrow().workingMemory())
                    .isEqualTo("# Notes\nlikes tea");
            assertThat(store.memories().variablesHistory("jpa-t3")).extracting(MemoryVariables::revision)
                    .containsExactly(1L, 2L);
        }
    }
}
