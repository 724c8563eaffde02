package dev.agentstore.persistence;

import dev.agentstore.migrations.Migrations;
import dev.agentstore.persistence.ConnectionCheck.ConnectionCheckException;
import dev.agentstore.persistence.ConnectionCheck.Problem;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ConnectionCheckTest {

    private static final String SCHEMA = AgentStoreExtension.uniqueSchema(ConnectionCheckTest.class);

    private static AgentStoreConfig.Builder config() {
        return AgentStoreExtension.testConfig(SCHEMA);
    }

    private static Problem problemOf(AgentStoreConfig config, boolean vector) {
        ConnectionCheckException e = catchThrowableOfType(() -> ConnectionCheck.check(config, vector),
                ConnectionCheckException.class);
        assertThat(e).as("check of " + config.jdbcUrl()).isNotNull();
        return e.problem();
    }

    private static void admin(String sql) throws SQLException {
        AgentStoreConfig c = config().build();
        try (Connection connection = DriverManager.getConnection(c.jdbcUrl(), c.user().orElseThrow(),
                c.password().orElseThrow()); Statement st = connection.createStatement()) {
            st.execute(sql);
        }
    }

    @Nested
    class Check {

        @Test
        void passesForTheTestDatabaseWithPgvector() {
            assertThatCode(() -> ConnectionCheck.check(config().build(), true)).doesNotThrowAnyException();
        }

        @Test
        void namesARefusedLoginWithoutThePassword() {
            AgentStoreConfig wrong = config().user("no_such_role_xyz").password("wrong-pw-123").build();
            ConnectionCheckException e = catchThrowableOfType(() -> ConnectionCheck.check(wrong, false),
                    ConnectionCheckException.class);
            assertThat(e.problem()).isEqualTo(Problem.LOGIN_REFUSED);
            assertThat(e.getMessage()).contains("no_such_role_xyz").doesNotContain("wrong-pw-123");
        }

        @Test
        void namesAMissingDatabase() {
            String url = AgentStoreExtension.testUrl().replaceAll("/[^/]*$", "/no_such_db_xyz");
            assertThat(problemOf(config().url(url).build(), false)).isEqualTo(Problem.DATABASE_MISSING);
        }

        @Test
        void namesAnUnreachableServer() {
            assertThat(problemOf(config().url("jdbc:postgresql://127.0.0.1:1/agentstore").build(), false))
                    .isEqualTo(Problem.UNREACHABLE);
        }

        @Test
        void namesADatabaseWhereThisUserCannotCreatePgvector() throws SQLException {
            String db = "t_check_novector_" + UUID.randomUUID().toString().substring(0, 8);
            admin("CREATE DATABASE " + db);
            try {
                String url = AgentStoreExtension.testUrl().replaceAll("/[^/]*$", "/" + db);
                assertThatCode(() -> ConnectionCheck.check(config().url(url).build(), false))
                        .doesNotThrowAnyException();
                assertThat(problemOf(config().url(url).build(), true)).isEqualTo(Problem.VECTOR_NOT_CREATED);
            } finally {
                admin("DROP DATABASE IF EXISTS " + db);
            }
        }
    }

    @Nested
    class MigrationsWithoutAStore {

        @Test
        void migrateAndReportTheConfiguredSchema() {
            AgentStoreConfig c = config().build();
            Migrations migrations = AgentStore.migrations(c);
            try {
                assertThat(migrations.schema()).isEqualTo(SCHEMA);
                assertThat(migrations.status()).isNotEmpty();
                assertThat(migrations.up()).isNotEmpty();
                assertThat(migrations.status()).isEmpty();
                try (AgentStore store = AgentStore.open(AgentStoreConfig.builder().url(c.jdbcUrl())
                        .user(c.user().orElseThrow()).password(c.password().orElseThrow()).schema(SCHEMA)
                        .autoMigrate(false).poolMaxSize(2).poolMinIdle(0).build())) {
                    assertThat(store.statistics().tables()).isNotEmpty();
                }
            } finally {
                assertThatCode(() -> admin("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE")).doesNotThrowAnyException();
            }
        }
    }
}
