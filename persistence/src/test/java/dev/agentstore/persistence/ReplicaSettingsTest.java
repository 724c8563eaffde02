package dev.agentstore.persistence;

import dev.agentstore.domain.InvalidInputException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The replica settings of {@link AgentStoreConfig} and the {@link ReadConsistency} rules; no database. */
class ReplicaSettingsTest {

    @Nested
    class Configuration {

        @Test
        void environmentListsReplicasSeparatedByWhiteSpaceAndTheLagBoundInMilliseconds() {
            AgentStoreConfig config = AgentStoreConfig.builder().url("jdbc:postgresql://primary/db").user("u")
                    .applyEnvironment(Map.of(
                            "AGENTSTORE_DB_REPLICA_URLS", " jdbc:postgresql://r1:5433/db  postgres://r2/db?sslmode=require ",
                            "AGENTSTORE_DB_REPLICA_MAX_LAG_MS", "250"))
                    .build();

            assertThat(config.replicaUrls()).containsExactly("jdbc:postgresql://r1:5433/db", "jdbc:postgresql://r2:5432/db");
            assertThat(config.replicaMaxLag()).isEqualTo(Duration.ofMillis(250));
            assertThat(config.jdbcUrl()).isEqualTo("jdbc:postgresql://primary/db");
        }

        @Test
        void replicasShareThePrimarysLoginUnlessTheirUrlSetsOne() {
            AgentStoreConfig config = AgentStoreConfig.builder().url("jdbc:postgresql://primary/db").user("app")
                    .password("secret").replicaUrls("jdbc:postgresql://r1/db").build();

            ConnectionSettings replica = config.replicas.connections().get(0);
            assertThat(replica.user()).isEqualTo("app");
            assertThat(replica.password()).isEqualTo("secret");
            assertThat(config.toString()).contains("replicas=[jdbc:postgresql://r1/db]").doesNotContain("secret");
        }

        @Test
        void withoutReplicasTheDefaultsApply() {
            AgentStoreConfig config = AgentStoreConfig.builder().url("jdbc:postgresql://primary/db").user("u").build();

            assertThat(config.replicaUrls()).isEmpty();
            assertThat(config.replicaMaxLag()).isEqualTo(Duration.ofSeconds(1));
        }

        @Test
        void anInvalidReplicaUrlOrLagIsNamed() {
            assertThatThrownBy(() -> AgentStoreConfig.builder().url("jdbc:postgresql://primary/db").user("u")
                    .replicaUrls("mysql://r1/db").build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("replica url 1");
            assertThatThrownBy(() -> AgentStoreConfig.builder().url("jdbc:postgresql://primary/db").user("u")
                    .replicaMaxLag(Duration.ofMillis(-1)).build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("replicaMaxLag");
        }
    }

    @Nested
    class Consistency {

        @Test
        void primaryAcceptsNoReplicaAndABoundAcceptsLagUpToItself() {
            assertThat(ReadConsistency.primary().requiresPrimary()).isTrue();
            assertThat(ReadConsistency.primary().accepts(0)).isFalse();
            assertThat(ReadConsistency.maxLag(Duration.ofMillis(100)).accepts(100)).isTrue();
            assertThat(ReadConsistency.maxLag(Duration.ofMillis(100)).accepts(101)).isFalse();
            assertThat(ReadConsistency.anyReplica().accepts(Long.MAX_VALUE)).isTrue();
        }

        @Test
        void aNegativeBoundIsRefused() {
            assertThatThrownBy(() -> ReadConsistency.maxLag(Duration.ofMillis(-5)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("maxLag");
        }
    }
}
