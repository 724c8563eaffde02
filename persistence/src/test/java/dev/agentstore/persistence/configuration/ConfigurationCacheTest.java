package dev.agentstore.persistence.configuration;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import io.hypersistence.utils.jdbc.validator.SQLStatementCountValidator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The read cache: hits send no SQL (counted with datasource-proxy), writes of this process invalidate it, and
 * uncommitted or rolled-back values are never served from it.
 */
@ExtendWith(AgentStoreExtension.class)
class ConfigurationCacheTest {

    private static AgentStore counting;

    @BeforeAll
    static void openCountingStore(AgentStore store) {
        counting = AgentStoreExtension.statementCountingStore(store);
    }

    @AfterAll
    static void closeCountingStore() {
        counting.close();
    }

    private static JsonNode json(String text) {
        return Json.parse("json", text);
    }

    private static Optional<JsonNode> loadRaw(AgentStore store, String id) {
        return store.fromTransaction(uow -> uow.configurations().loadRaw(id));
    }

    private static void define(AgentStore store, String id, String content) {
        store.inTransaction(uow -> uow.configurations().define(id, json(content)));
    }

    @Nested
    class Hits {

        @Test
        void aSecondLoadIsACacheHitThatSendsNoSql() {
            define(counting, "hit", "{\"v\":1}");

            SQLStatementCountValidator.reset();
            assertThat(loadRaw(counting, "hit")).contains(json("{\"v\":1}"));
            SQLStatementCountValidator.assertSelectCount(1);

            SQLStatementCountValidator.reset();
            assertThat(loadRaw(counting, "hit")).contains(json("{\"v\":1}"));
            Optional<Map> mapped = counting.fromTransaction(uow -> uow.configurations().load("hit", Map.class));
            assertThat(mapped).contains(Map.of("v", 1));
            SQLStatementCountValidator.assertTotalCount(0);
        }

        @Test
        void anAbsentConfigurationIsCachedAsAbsentUntilItIsDefined() {
            assertThat(loadRaw(counting, "later")).isEmpty();
            SQLStatementCountValidator.reset();
            assertThat(loadRaw(counting, "later")).isEmpty();
            SQLStatementCountValidator.assertTotalCount(0);

            define(counting, "later", "{\"now\":true}");
            assertThat(loadRaw(counting, "later")).contains(json("{\"now\":true}"));
        }

        @Test
        void callersCannotChangeTheCachedValue() {
            define(counting, "copy", "{\"v\":1}");
            JsonNode first = loadRaw(counting, "copy").orElseThrow();
            ((com.fasterxml.jackson.databind.node.ObjectNode) first).put("v", 99);

            assertThat(loadRaw(counting, "copy")).contains(json("{\"v\":1}"));
        }
    }

    @Nested
    class Invalidation {

        @Test
        void defineAndRemoveInvalidateTheCachedValue() {
            define(counting, "inv", "{\"v\":1}");
            assertThat(loadRaw(counting, "inv")).contains(json("{\"v\":1}"));

            define(counting, "inv", "{\"v\":2}");
            SQLStatementCountValidator.reset();
            assertThat(loadRaw(counting, "inv")).contains(json("{\"v\":2}"));
            SQLStatementCountValidator.assertSelectCount(1);

            counting.inTransaction(uow -> uow.configurations().remove("inv"));
            assertThat(loadRaw(counting, "inv")).isEmpty();
        }

        @Test
        void aRolledBackDefineIsNeverServedAndCachingResumesAfterIt() {
            define(counting, "rb", "{\"v\":1}");
            assertThat(loadRaw(counting, "rb")).contains(json("{\"v\":1}"));

            assertThatThrownBy(() -> counting.inTransaction(uow -> {
                uow.configurations().define("rb", json("{\"v\":\"uncommitted\"}"));
                // the transaction sees its own write, which must not reach the shared cache
                assertThat(uow.configurations().loadRaw("rb")).contains(json("{\"v\":\"uncommitted\"}"));
                assertThat(uow.configurations().loadRaw("rb")).contains(json("{\"v\":\"uncommitted\"}"));
                throw new IllegalStateException("roll back");
            })).isInstanceOf(IllegalStateException.class);

            assertThat(loadRaw(counting, "rb")).contains(json("{\"v\":1}"));
            SQLStatementCountValidator.reset();
            assertThat(loadRaw(counting, "rb")).contains(json("{\"v\":1}"));
            SQLStatementCountValidator.assertTotalCount(0);
        }

        @Test
        void aRemoveThatRollsBackLeavesTheValueReadable() {
            define(counting, "rb-remove", "{\"v\":1}");
            assertThat(loadRaw(counting, "rb-remove")).isPresent();

            assertThatThrownBy(() -> counting.inTransaction(uow -> {
                uow.configurations().remove("rb-remove");
                assertThat(uow.configurations().loadRaw("rb-remove")).isEmpty();
                throw new IllegalStateException("roll back");
            })).isInstanceOf(IllegalStateException.class);

            assertThat(loadRaw(counting, "rb-remove")).contains(json("{\"v\":1}"));
        }

        @Test
        void anotherProcessesDefineIsSeenOnceTheCachedValueExpires(AgentStore store, MutableClock clock) {
            AtomicLong nanos = new AtomicLong();
            Ticker ticker = nanos::get;
            ConfigurationCache cache = new ConfigurationCache(100, Duration.ofSeconds(60), ticker);
            define(store, "ttl", "{\"v\":1}");
            assertThat(loadThrough(store, cache, "ttl")).contains(json("{\"v\":1}"));

            // "another process": a repository that does not share this cache
            store.inTransaction(uow -> new ConfigurationRepository(uow.entityManager(), clock).define("ttl", json("{\"v\":2}")));

            nanos.addAndGet(Duration.ofSeconds(59).toNanos());
            assertThat(loadThrough(store, cache, "ttl")).as("stale within the TTL").contains(json("{\"v\":1}"));
            nanos.addAndGet(Duration.ofSeconds(1).toNanos());
            assertThat(loadThrough(store, cache, "ttl")).as("fresh once the TTL has passed").contains(json("{\"v\":2}"));
        }
    }

    @Nested
    class ConcurrentWrites {

        @Test
        void aValueReadWhileAnotherTransactionHasAnUncommittedDefineIsNotCached() throws Exception {
            define(counting, "pending", "{\"v\":1}");
            CountDownLatch written = new CountDownLatch(1);
            CountDownLatch mayCommit = new CountDownLatch(1);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> counting.inTransaction(uow -> {
                uow.configurations().define("pending", json("{\"v\":2}"));
                written.countDown();
                try {
                    assertThat(mayCommit.await(30, TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }));
            assertThat(written.await(30, TimeUnit.SECONDS)).isTrue();

            // the committed value, read from the database while the define is pending: returned but not cached
            assertThat(loadRaw(counting, "pending")).contains(json("{\"v\":1}"));
            mayCommit.countDown();
            writer.get(30, TimeUnit.SECONDS);

            assertThat(loadRaw(counting, "pending")).contains(json("{\"v\":2}"));
            SQLStatementCountValidator.reset();
            assertThat(loadRaw(counting, "pending")).contains(json("{\"v\":2}"));
            SQLStatementCountValidator.assertTotalCount(0);
        }

        @Test
        void aValueReadWhileAWriteStartedAndEndedIsNotStored() {
            ConfigurationCache cache = new ConfigurationCache(10, Duration.ofMinutes(5));
            Optional<JsonNode> read = cache.get("race", () -> {
                // another transaction defines and commits between this read's SQL and its store
                cache.writeStarted("race");
                cache.writeEnded("race");
                return Optional.of(json("{\"v\":\"before the define\"}"));
            });

            assertThat(read).contains(json("{\"v\":\"before the define\"}"));
            assertThat(cache.size()).isZero();
        }

        @Test
        void nothingIsStoredWhileAWriteIsPendingAndCachingResumesWhenItEnds() {
            ConfigurationCache cache = new ConfigurationCache(10, Duration.ofMinutes(5));
            AtomicLong loads = new AtomicLong();
            java.util.function.Supplier<Optional<JsonNode>> loader = () -> {
                loads.incrementAndGet();
                return Optional.of(json("{}"));
            };
            cache.writeStarted("other-identifier");
            cache.get("quiet", loader);
            cache.get("quiet", loader);
            assertThat(loads).hasValue(2);
            assertThat(cache.size()).isZero();

            cache.writeEnded("other-identifier");
            cache.get("quiet", loader);
            cache.get("quiet", loader);
            assertThat(loads).hasValue(3);
            assertThat(cache.size()).isEqualTo(1);
        }
    }

    @Nested
    class Sizing {

        @Test
        void theCacheKeepsAtMostItsMaximumSize(AgentStore store) {
            ConfigurationCache cache = new ConfigurationCache(3, Duration.ofMinutes(5));
            for (int i = 0; i < 10; i++) {
                define(store, "bounded-" + i, "{\"i\":" + i + "}");
            }
            for (int i = 0; i < 10; i++) {
                assertThat(loadThrough(store, cache, "bounded-" + i)).contains(json("{\"i\":" + i + "}"));
            }

            assertThat(cache.size()).isLessThanOrEqualTo(3);
        }

        @Test
        void aDisabledCacheReadsTheDatabaseEveryTime() {
            define(counting, "off", "{\"v\":1}");
            ConfigurationCache off = ConfigurationCache.disabled();

            SQLStatementCountValidator.reset();
            assertThat(loadThrough(counting, off, "off")).contains(json("{\"v\":1}"));
            assertThat(loadThrough(counting, off, "off")).contains(json("{\"v\":1}"));
            SQLStatementCountValidator.assertSelectCount(2);
            assertThat(off.enabled()).isFalse();
            assertThat(off.size()).isZero();
        }

        @Test
        void theStoresCacheIsSizedFromTheConfigurationAndItsEnvironmentVariables(AgentStoreConfig config) {
            assertThat(config.configCacheMaxSize()).isEqualTo(ConfigurationCache.DEFAULT_MAX_SIZE);
            assertThat(config.configCacheTtl()).isEqualTo(Duration.ofMinutes(10));
            assertThat(counting.configurationCache().maxSize()).isEqualTo(1000);

            AgentStoreConfig fromEnv = AgentStoreConfig.builder().url("jdbc:postgresql://localhost/db").user("u")
                    .applyEnvironment(Map.of("AGENTSTORE_CONFIG_CACHE_MAX_SIZE", "50",
                            "AGENTSTORE_CONFIG_CACHE_TTL_SECONDS", "30"))
                    .build();
            assertThat(fromEnv.configCacheMaxSize()).isEqualTo(50);
            assertThat(fromEnv.configCacheTtl()).isEqualTo(Duration.ofSeconds(30));

            assertThatThrownBy(() -> AgentStoreConfig.builder().url("jdbc:postgresql://localhost/db").user("u")
                    .applyEnvironment(Map.of("AGENTSTORE_CONFIG_CACHE_TTL_SECONDS", "soon")).build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_CONFIG_CACHE_TTL_SECONDS");
            assertThatThrownBy(() -> AgentStoreConfig.builder().url("jdbc:postgresql://localhost/db").user("u")
                    .configCacheMaxSize(-1).build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("configCacheMaxSize");
            assertThatThrownBy(() -> AgentStoreConfig.builder().url("jdbc:postgresql://localhost/db").user("u")
                    .configCacheTtl(Duration.ofDays(2)).build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("configCacheTtl");
        }
    }

    private static Optional<JsonNode> loadThrough(AgentStore store, ConfigurationCache cache, String id) {
        return store.fromTransaction(uow -> new ConfigurationRepository(uow.entityManager(), store.config().clock(), cache)
                .loadRaw(id));
    }
}
