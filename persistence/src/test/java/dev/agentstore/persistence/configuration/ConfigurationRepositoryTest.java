package dev.agentstore.persistence.configuration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.configuration.ConfigurationSnapshot;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class ConfigurationRepositoryTest {

    /** A caller's configuration class. */
    record LlmSettings(String model, BigDecimal temperature, int maxTokens) {
    }

    /** Each call in its own transaction, with a concrete return type (AssertJ's overloads need one). */
    private record Tx(AgentStore store) {
        ConfigurationSnapshot define(String id, JsonNode content) {
            return store.fromTransaction(uow -> uow.configurations().define(id, content));
        }

        ConfigurationSnapshot define(String id, Object content) {
            return store.fromTransaction(uow -> uow.configurations().define(id, content));
        }

        Optional<JsonNode> loadRaw(String id) {
            return store.fromTransaction(uow -> uow.configurations().loadRaw(id));
        }

        <T> Optional<T> load(String id, Class<T> type) {
            return store.fromTransaction(uow -> uow.configurations().load(id, type));
        }

        Optional<ConfigurationSnapshot> latest(String id) {
            return store.fromTransaction(uow -> uow.configurations().latest(id));
        }

        List<ConfigurationSnapshot> history(String id) {
            return store.fromTransaction(uow -> uow.configurations().history(id));
        }

        List<ConfigurationSnapshot> history(String id, int limit) {
            return store.fromTransaction(uow -> uow.configurations().history(id, limit));
        }

        List<String> identifiers() {
            return store.fromTransaction(uow -> uow.configurations().identifiers());
        }

        List<String> identifiers(String after, int limit) {
            return store.fromTransaction(uow -> uow.configurations().identifiers(after, limit));
        }

        int remove(String id) {
            return store.fromTransaction(uow -> uow.configurations().remove(id));
        }
    }

    private static Tx in(AgentStore store) {
        return new Tx(store);
    }

    private static JsonNode json(String text) {
        return Json.parse("json", text);
    }

    @Nested
    class Define {

        @Test
        void defineNumbersSnapshotsPerIdentifierAndRecordsTheClocksTime(AgentStore store, MutableClock clock) {
            clock.set(Instant.parse("2025-04-01T08:00:00.000001999Z"));
            ConfigurationSnapshot first = in(store).define("numbered", json("{\"a\":1}"));
            ConfigurationSnapshot second = in(store).define("numbered", json("{\"a\":2}"));
            ConfigurationSnapshot other = in(store).define("numbered-other", json("{}"));

            assertThat(first.revision()).isEqualTo(1);
            assertThat(second.revision()).isEqualTo(2);
            assertThat(other.revision()).isEqualTo(1);
            assertThat(in(store).latest("numbered")).hasValueSatisfying(s -> {
                assertThat(s.revision()).isEqualTo(2);
                assertThat(s.id()).isEqualTo(second.id());
                assertThat(s.content()).isEqualTo(json("{\"a\":2}"));
                assertThat(s.created()).isEqualTo(Instant.parse("2025-04-01T08:00:00.000001Z"));
            });
            assertThat(in(store).latest("numbered-absent")).isEmpty();
        }

        @Test
        void twoSnapshotsInTheSameMicrosecondAreBothKeptAndTheSecondIsNewest(AgentStore store, MutableClock clock) {
            clock.set(Instant.parse("2025-04-02T00:00:00Z"));
            store.inTransaction(uow -> {
                uow.configurations().define("same-time", json("{\"n\":1}"));
                uow.configurations().define("same-time", json("{\"n\":2}"));
            });

            assertThat(in(store).history("same-time")).extracting(ConfigurationSnapshot::revision).containsExactly(2, 1);
            assertThat(in(store).loadRaw("same-time")).contains(json("{\"n\":2}"));
        }

        @Test
        void invalidInputIsRejectedBeforeAnythingIsWritten(AgentStore store) {
            String tooLong = "c".repeat(256);
            List<Consumer<ConfigurationRepository>> calls = List.of(
                    r -> r.define(null, json("{}")),
                    r -> r.define("", json("{}")),
                    r -> r.define("  ", json("{}")),
                    r -> r.define(tooLong, json("{}")),
                    r -> r.define("nul\0id", json("{}")),
                    r -> r.define("bad", (JsonNode) null),
                    r -> r.define("bad", json("[1]")),
                    r -> r.define("bad", json("\"text\"")),
                    r -> r.define("bad", json("42")),
                    r -> r.define("bad", NullNode.instance),
                    r -> r.define("bad", List.of(1, 2)),
                    r -> r.define("bad", "a string"),
                    r -> r.define("bad", (Object) null),
                    r -> r.loadRaw(" "),
                    r -> r.load(tooLong, Map.class),
                    r -> r.history(""),
                    r -> r.remove(null));
            for (Consumer<ConfigurationRepository> call : calls) {
                assertThatThrownBy(() -> store.inTransaction(uow -> call.accept(uow.configurations())))
                        .isInstanceOf(InvalidInputException.class);
            }
            assertThatThrownBy(() -> in(store).define("bad", json("[1]")))
                    .hasMessageContaining("content").hasMessageContaining("object");
            assertThatThrownBy(() -> in(store).define(tooLong, json("{}")))
                    .hasMessageContaining("identifier").hasMessageContaining("255");

            assertThat(in(store).history("bad")).isEmpty();
            assertThat(in(store).identifiers()).noneMatch(id -> id.startsWith("bad") || id.startsWith("c"));
        }

        @Test
        void jsonThatPostgresqlRefusesIsInvalidInputAndNothingIsWritten(AgentStore store) {
            assertThatThrownBy(() -> in(store).define("nul-json", json("{\"s\":\"a\\u0000b\"}")))
                    .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("content.s: ")
                    .hasMessageContaining("NUL");
            assertThat(in(store).history("nul-json")).isEmpty();
            assertThat(in(store).loadRaw("nul-json")).isEmpty();
        }

        @Test
        void concurrentDefinesOfOneConfigurationGetRevisionsOneToNWithoutDuplicatesOrGaps(AgentStore store)
                throws Exception {
            int threads = 8;
            int perThread = 5;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<Integer>>> futures = new ArrayList<>();
            try {
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        start.await();
                        List<Integer> mine = new ArrayList<>();
                        for (int k = 0; k < perThread; k++) {
                            JsonNode content = json("{\"thread\":" + thread + ",\"k\":" + k + "}");
                            mine.add(in(store).define("raced", content).revision());
                        }
                        return mine;
                    }));
                }
                start.countDown();
                List<Integer> revisions = new ArrayList<>();
                for (Future<List<Integer>> f : futures) {
                    revisions.addAll(f.get(300, TimeUnit.SECONDS));
                }
                int n = threads * perThread;
                assertThat(revisions).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, n).boxed().toList());
                assertThat(in(store).history("raced")).extracting(ConfigurationSnapshot::revision)
                        .containsExactlyElementsOf(IntStream.rangeClosed(1, n).map(r -> n + 1 - r).boxed().toList());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Nested
    class Load {

        @Test
        void loadRawReturnsTheContentOfTheNewestSnapshot(AgentStore store) {
            in(store).define("raw", json("{\"v\":1}"));
            in(store).define("raw", json("{\"v\":2,\"zero\":0,\"no\":false,\"empty\":\"\",\"nil\":null,\"d\":1.50}"));

            assertThat(in(store).loadRaw("raw"))
                    .contains(json("{\"v\":2,\"zero\":0,\"no\":false,\"empty\":\"\",\"nil\":null,\"d\":1.50}"));
            assertThat(in(store).loadRaw("raw-absent")).isEmpty();
        }

        @Test
        void loadMapsTheNewestSnapshotToTheCallersClass(AgentStore store) {
            in(store).define("llm", new LlmSettings("small", new BigDecimal("0.2"), 256));
            in(store).define("llm", Map.of("model", "large", "temperature", new BigDecimal("0.70"), "maxTokens", 4096));

            assertThat(in(store).load("llm", LlmSettings.class))
                    .contains(new LlmSettings("large", new BigDecimal("0.70"), 4096));
            assertThat(in(store).load("llm", Map.class)).hasValueSatisfying(m -> assertThat(m).containsEntry("model", "large"));
            assertThat(in(store).load("llm-absent", LlmSettings.class)).isEmpty();
        }

        @Test
        void contentThatDoesNotFitTheClassIsInvalidInputNamingClassAndIdentifier(AgentStore store) {
            in(store).define("llm-bad", json("{\"model\":\"m\",\"temperature\":\"hot\",\"maxTokens\":1}"));
            in(store).define("llm-extra", json("{\"model\":\"m\",\"temperature\":0.1,\"maxTokens\":1,\"unknown\":true}"));

            assertThatThrownBy(() -> in(store).load("llm-bad", LlmSettings.class))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("llm-bad").hasMessageContaining(LlmSettings.class.getName());
            assertThatThrownBy(() -> in(store).load("llm-extra", LlmSettings.class))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("llm-extra").hasMessageContaining("unknown");
            assertThatThrownBy(() -> in(store).load("llm-bad", null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("type");
        }
    }

    @Nested
    class HistoryListAndRemove {

        @Test
        void historyListsSnapshotsNewestFirstAndHonoursTheLimit(AgentStore store, MutableClock clock) {
            for (int i = 1; i <= 4; i++) {
                in(store).define("hist", json("{\"i\":" + i + "}"));
                clock.advance(Duration.ofMinutes(1));
            }

            List<ConfigurationSnapshot> all = in(store).history("hist");
            assertThat(all).extracting(ConfigurationSnapshot::revision).containsExactly(4, 3, 2, 1);
            assertThat(all).extracting(s -> s.content().get("i").intValue()).containsExactly(4, 3, 2, 1);
            assertThat(all).extracting(ConfigurationSnapshot::created).isSortedAccordingTo((a, b) -> b.compareTo(a));
            assertThat(in(store).history("hist", 1)).extracting(ConfigurationSnapshot::revision).containsExactly(4);
            assertThat(in(store).history("hist-absent")).isEmpty();
        }

        @Test
        void identifiersAreListedOnceEachInCodePointOrderAndPageByKeyset(AgentStore store) {
            store.inTransaction(uow -> {
                for (int i = 0; i < 25; i++) {
                    String id = String.format("ids-%02d", i);
                    uow.configurations().define(id, json("{}"));
                    uow.configurations().define(id, json("{\"again\":true}"));
                }
            });

            List<String> all = in(store).identifiers();
            assertThat(all).doesNotHaveDuplicates().isSorted();
            assertThat(all.stream().filter(id -> id.startsWith("ids-"))).hasSize(25);

            List<String> paged = new ArrayList<>();
            String cursor = "ids-";
            List<String> page;
            do {
                page = in(store).identifiers(cursor, 10);
                paged.addAll(page);
                cursor = page.isEmpty() ? null : page.get(page.size() - 1);
            } while (page.size() == 10);
            assertThat(paged.stream().filter(id -> id.startsWith("ids-")).toList())
                    .containsExactlyElementsOf(all.stream().filter(id -> id.startsWith("ids-")).toList());
            assertThatThrownBy(() -> in(store).identifiers(null, 0))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("limit");
        }

        @Test
        void removeDeletesEverySnapshotAndANewDefineStartsAtOne(AgentStore store) {
            in(store).define("gone", json("{\"a\":1}"));
            in(store).define("gone", json("{\"a\":2}"));
            in(store).define("stays", json("{\"b\":1}"));
            assertThat(in(store).loadRaw("gone")).isPresent();

            assertThat(in(store).remove("gone")).isEqualTo(2);
            assertThat(in(store).loadRaw("gone")).isEmpty();
            assertThat(in(store).history("gone")).isEmpty();
            assertThat(in(store).identifiers()).doesNotContain("gone").contains("stays");
            assertThat(in(store).remove("gone")).isZero();
            assertThat(in(store).define("gone", json("{\"a\":3}")).revision()).isEqualTo(1);
        }
    }
}
