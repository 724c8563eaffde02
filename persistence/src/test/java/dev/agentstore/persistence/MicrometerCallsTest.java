package dev.agentstore.persistence;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.persistence.support.RetryPolicy;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Micrometer meters of a store opened with {@code meterRegistry}: real calls, a real {@link SimpleMeterRegistry}. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MicrometerCallsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private AgentStore store;

    @BeforeAll
    void open() {
        store = AgentStore.open(AgentStoreExtension.testConfig(AgentStoreExtension.uniqueSchema(getClass()))
                .meterRegistry(registry).build());
    }

    @AfterAll
    void close() {
        try {
            AgentStoreExtension.dropSchema(store.dataSource(), store.config().schema());
        } finally {
            store.close();
        }
    }

    private long calls(String repository, String method, String outcome) {
        return calls(store, repository, method, outcome);
    }

    private long calls(AgentStore of, String repository, String method, String outcome) {
        Timer timer = registry.find(MicrometerCalls.CALLS)
                .tags("store", of.name(), "repository", repository, "method", method, "outcome", outcome).timer();
        return timer == null ? 0 : timer.count();
    }

    private double counter(String name, String repository, String method) {
        var counter = registry.find(name).tags("store", store.name(), "repository", repository, "method", method)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    @Nested
    class Timers {

        @Test
        void everyPerCallRepositoryCallIsTimedByRepositoryMethodAndOutcome() {
            long before = calls("KvRepository", "set", "success");

            store.kv().set("timed:1", IntNode.valueOf(1));
            store.kv().set("timed:2", IntNode.valueOf(2));

            assertThat(calls("KvRepository", "set", "success")).isEqualTo(before + 2);
            Timer timer = registry.get(MicrometerCalls.CALLS).tags("store", "agentstore", "repository", "KvRepository", "method", "set", "outcome", "success").timer();
            assertThat(timer.totalTime(TimeUnit.NANOSECONDS)).isPositive();
        }

        @Test
        void aStaleExpectedVersionIsTimedAsAConflictAndCountedAsOne() {
            store.kv().set("cas:1", IntNode.valueOf(1));
            long read = store.kv().getEntry("cas:1").orElseThrow().version();
            store.kv().set("cas:1", IntNode.valueOf(2), read);
            long conflictsBefore = calls("KvRepository", "set", "conflict");
            double counted = counter(MicrometerCalls.CONFLICTS, "KvRepository", "set");

            assertThatThrownBy(() -> store.kv().set("cas:1", IntNode.valueOf(3), read))
                    .isInstanceOf(ConcurrencyConflictException.class);

            assertThat(calls("KvRepository", "set", "conflict")).isEqualTo(conflictsBefore + 1);
            assertThat(counter(MicrometerCalls.CONFLICTS, "KvRepository", "set")).isEqualTo(counted + 1);
        }

        @Test
        void badInputIsTimedAsInvalidInput() {
            long before = calls("KvRepository", "set", "invalid_input");

            assertThatThrownBy(() -> store.kv().set(" ", IntNode.valueOf(1))).isInstanceOf(InvalidInputException.class);

            assertThat(calls("KvRepository", "set", "invalid_input")).isEqualTo(before + 1);
        }

        @Test
        void aUnitOfWorkIsTimedAsUnitOfWorkTransaction() {
            long before = calls("UnitOfWork", "transaction", "success");

            store.inTransaction(uow -> uow.kv().set("uow:1", IntNode.valueOf(1)));

            assertThat(calls("UnitOfWork", "transaction", "success")).isEqualTo(before + 1);
        }

        @Test
        void theTagsNameNoValueOfACall() {
            store.kv().set("secret-key-4711", TextNode.valueOf("secret-value-4711"));

            assertThat(registry.getMeters()).flatMap(m -> m.getId().getTags()).map(Tag::getValue)
                    .noneMatch(v -> v.contains("4711"));
        }
    }

    @Nested
    class Counters {

        @Test
        void theRetriedAttemptsOfAUnitOfWorkAreCounted() {
            double retriesBefore = counter(MicrometerCalls.RETRIES, "UnitOfWork", "transaction");
            long conflictsBefore = calls("UnitOfWork", "transaction", "conflict");
            int[] attempt = {0};

            int result = store.fromTransactionWithRetry(new RetryPolicy(5, Duration.ZERO, Duration.ZERO), uow -> {
                if (++attempt[0] < 3) {
                    throw new ConcurrencyConflictException("test", "test: lost a race", null);
                }
                return attempt[0];
            });

            assertThat(result).isEqualTo(3);
            assertThat(counter(MicrometerCalls.RETRIES, "UnitOfWork", "transaction")).isEqualTo(retriesBefore + 2);
            assertThat(calls("UnitOfWork", "transaction", "conflict")).isEqualTo(conflictsBefore + 2);
        }

        @Test
        void aUnitOfWorkThatSucceedsAtOnceCountsNoRetry() {
            double before = counter(MicrometerCalls.RETRIES, "UnitOfWork", "transaction");

            store.fromTransactionWithRetry(RetryPolicy.DEFAULT, uow -> 1);

            assertThat(counter(MicrometerCalls.RETRIES, "UnitOfWork", "transaction")).isEqualTo(before);
        }
    }

    @Nested
    class Pool {

        @Test
        void hikariCpReportsThePoolThroughItsMicrometerTracker() {
            store.kv().set("pool:1", IntNode.valueOf(1));

            assertThat(registry.get("hikaricp.connections.max").tag("pool", "agentstore").gauge().value())
                    .isEqualTo(20);
            assertThat(registry.find("hikaricp.connections.active").tag("pool", "agentstore").gauge()).isNotNull();
            assertThat(registry.find("hikaricp.connections.pending").tag("pool", "agentstore").gauge()).isNotNull();
            assertThat(registry.get("hikaricp.connections.acquire").tag("pool", "agentstore").timer().count())
                    .isPositive();
            assertThat(registry.getMeters()).map(Meter::getId).map(Meter.Id::getName)
                    .contains("hikaricp.connections.idle", "hikaricp.connections");
        }
    }

    /** Issue 20: two stores reporting to one registry, as an application with two databases has them. */
    @Nested
    class TwoStoresInOneRegistry {

        private AgentStore second(AgentStoreConfig.Builder builder) {
            return AgentStore.open(builder.autoMigrate(false).poolMaxSize(3).meterRegistry(registry).build());
        }

        @Test
        void eachStoreKeepsItsOwnPoolAndCallMetersUnderANameOfItsOwn() {
            try (AgentStore second = second(AgentStoreExtension.testConfig(store.config().schema()))) {
                assertThat(store.name()).isEqualTo("agentstore");
                assertThat(second.name()).as("the default name is taken in this registry").isEqualTo("agentstore-2");
                long firstBefore = calls(store, "KvRepository", "get", "success");

                second.kv().get("two:1");
                second.kv().get("two:2");
                store.kv().get("two:3");

                assertThat(registry.get("hikaricp.connections.max").tag("pool", "agentstore").gauge().value())
                        .isEqualTo(20);
                assertThat(registry.get("hikaricp.connections.max").tag("pool", "agentstore-2").gauge().value())
                        .isEqualTo(3);
                assertThat(registry.get("hikaricp.connections.acquire").tag("pool", "agentstore-2").timer().count())
                        .isPositive();
                assertThat(calls(second, "KvRepository", "get", "success")).isEqualTo(2);
                assertThat(calls(store, "KvRepository", "get", "success")).isEqualTo(firstBefore + 1);
            }
            assertThat(registry.find("hikaricp.connections.max").tag("pool", "agentstore-2").gauge())
                    .as("a closed pool's gauges are removed").isNull();
            try (AgentStore again = second(AgentStoreExtension.testConfig(store.config().schema()))) {
                assertThat(again.name()).as("a closed store's name is free again").isEqualTo("agentstore-2");
            }
        }

        @Test
        void aConfiguredNameNamesThePoolAndTagsTheCalls() {
            try (AgentStore billing = second(AgentStoreExtension.testConfig(store.config().schema()).name("billing"))) {
                billing.kv().get("billing:1");

                assertThat(billing.name()).isEqualTo("billing");
                assertThat(registry.get("hikaricp.connections.max").tag("pool", "billing").gauge().value()).isEqualTo(3);
                assertThat(calls(billing, "KvRepository", "get", "success")).isEqualTo(1);
            }
        }

        @Test
        void aNameThatIsNoPlainWordIsRefusedNamingTheSetting() {
            assertThatThrownBy(() -> AgentStoreExtension.testConfig("t_names").name("two words").build())
                    .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("name ");
            assertThatThrownBy(() -> AgentStoreExtension.testConfig("t_names").name("").build())
                    .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("name ");
        }
    }
}
