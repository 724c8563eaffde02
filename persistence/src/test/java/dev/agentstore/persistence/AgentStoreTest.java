package dev.agentstore.persistence;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.InvalidInputException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class AgentStoreTest {

    @Nested
    class OpenAndClose {

        @Test
        void opensOnAMigratedSchemaAndExposesItsPoolAndEntityManagerFactory(AgentStore store) throws Exception {
            assertThat(store.migrations().status()).isEmpty();
            try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT current_schema()")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(store.config().schema());
            }
            var em = store.entityManagerFactory().createEntityManager();
            try {
                Object one = em.createNativeQuery("SELECT count(*) FROM flows").getSingleResult();
                assertThat(((Number) one).longValue()).isZero();
            } finally {
                em.close();
            }
        }

        @Test
        void refusesToStartOnAnUnmigratedSchemaWithoutAutoMigrate() {
            String schema = AgentStoreExtension.uniqueSchema(getClass());
            assertThatThrownBy(() -> AgentStore.open(AgentStoreExtension.testConfig(schema).autoMigrate(false).build()).close())
                    .isInstanceOf(AgentStoreException.class)
                    .hasMessageContaining("is it migrated?");
        }

        @Test
        void aMigrationFailureAtOpenIsAnAgentStoreExceptionNamingTheSchema(AgentStore store) throws Exception {
            // a schema where a table of the changelog already exists: the migration cannot create it
            String schema = AgentStoreExtension.uniqueSchema(getClass());
            try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement()) {
                st.execute("CREATE SCHEMA " + schema);
                st.execute("CREATE TABLE " + schema + ".flows (unrelated integer)");
            }
            try {
                assertThatThrownBy(() -> AgentStore.open(AgentStoreExtension.testConfig(schema).build()).close())
                        .isInstanceOf(AgentStoreException.class)
                        .hasMessageContaining(schema);
            } finally {
                AgentStoreExtension.dropSchema(store.dataSource(), schema);
            }
        }

        @Test
        void closeReleasesThePoolAndTheEntityManagerFactory() throws Exception {
            AgentStore own = AgentStore.open(AgentStoreExtension.testConfig(AgentStoreExtension.uniqueSchema(getClass())).build());
            String schema = own.config().schema();
            try {
                own.inTransaction(uow -> uow.kv().set("k", 1));
            } finally {
                AgentStoreExtension.dropSchema(own.dataSource(), schema);
                own.close();
            }
            assertThat(own.entityManagerFactory().isOpen()).isFalse();
            assertThat(((com.zaxxer.hikari.HikariDataSource) own.dataSource()).isClosed()).isTrue();
            assertThatThrownBy(() -> own.dataSource().getConnection()).isInstanceOf(java.sql.SQLException.class);
        }
    }

    @Nested
    class ConnectionFailures {

        @Test
        void aPasswordGivenInAJdbcUrlIsNotInTheConnectionFailureMessage() {
            AgentStoreConfig config = AgentStoreConfig.builder()
                    .url("jdbc:postgresql://127.0.0.1:1/nope?user=nobody&password=s3cret-Pa55").build();
            assertThatThrownBy(() -> AgentStore.open(config))
                    .isInstanceOf(AgentStoreException.class)
                    .hasMessageContaining("jdbc:postgresql://127.0.0.1:1/nope")
                    .hasMessageNotContaining("s3cret-Pa55");
        }

        @Test
        void connectionFailureNamesTheSettingsButNeverThePassword() {
            AgentStoreConfig config = AgentStoreConfig.builder().host("127.0.0.1").port(1).database("nope")
                    .user("nobody").password("s3cret-Pa55").build();
            assertThatThrownBy(() -> AgentStore.open(config))
                    .isInstanceOf(AgentStoreException.class)
                    .hasMessageContaining("AGENTSTORE_DB_HOST")
                    .hasMessageNotContaining("s3cret-Pa55");
        }
    }

    @Nested
    class Transactions {

        @Test
        void aFailedTransactionRollsBackEverythingItWrote(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.flows().register("half-written", "half written", 1);
                uow.kv().set("half-written", 1);
                throw new InvalidInputException("boom");
            })).isInstanceOf(InvalidInputException.class).hasMessage("boom");
            long rows = store.fromTransaction(uow -> ((Number) uow.entityManager()
                    .createNativeQuery("SELECT count(*) FROM flows WHERE name = 'half-written'").getSingleResult()).longValue());
            assertThat(rows).isZero();
            assertThat(store.kv().get("half-written")).isEmpty();
        }

        @Test
        void anExceptionOfTheCallersOwnWorkIsRethrownUnchangedAfterTheRollback(AgentStore store) {
            IllegalStateException own = new IllegalStateException("caller's own failure");
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.kv().set("written-before-failure", "x");
                throw own;
            })).isSameAs(own);
            Optional<JsonNode> afterRollback = store.fromTransaction(uow -> uow.kv().get("written-before-failure"));
            assertThat(afterRollback).isEmpty();
        }
    }
}
