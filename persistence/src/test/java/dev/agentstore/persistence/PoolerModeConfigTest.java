package dev.agentstore.persistence;

import dev.agentstore.domain.InvalidInputException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.postgresql.Driver;

import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link PoolerMode}, {@code directUrl} and {@code vectorSchema}: what reaches pgjdbc, and what is refused. */
class PoolerModeConfigTest {

    private static final String POOLER = "jdbc:postgresql://pooler:6543/app";
    private static final String DIRECT = "jdbc:postgresql://db:5432/app";

    /** @return what pgjdbc makes of the pool's connections: URL parameters over the connection properties */
    private static Properties poolDriver(AgentStoreConfig config) {
        return Driver.parseURL(config.jdbcUrl(), config.connection().connectionProperties());
    }

    @Nested
    class BehindATransactionPooler {

        private final AgentStoreConfig config = AgentStoreConfig.builder().url(POOLER).user("app").password("pw")
                .poolerMode(PoolerMode.TRANSACTION).directUrl(DIRECT).schema("agents").build();

        @Test
        void noOptionsStartupParameterAndNoServerSidePreparedStatements() {
            Properties driver = poolDriver(config);
            assertThat(driver.getProperty("options")).isNull();
            assertThat(driver.getProperty("prepareThreshold")).isEqualTo("0");
            assertThat(config.poolerMode()).isEqualTo(PoolerMode.TRANSACTION);
        }

        @Test
        void aPrepareThresholdInTheUrlWinsForPgBouncerWithMaxPreparedStatements() {
            AgentStoreConfig withThreshold = AgentStoreConfig.builder().url(POOLER + "?prepareThreshold=5")
                    .user("app").poolerMode(PoolerMode.TRANSACTION).autoMigrate(false).build();
            assertThat(poolDriver(withThreshold).getProperty("prepareThreshold")).isEqualTo("5");
        }

        @Test
        void theDirectUrlKeepsTheTimeoutsAndUsesTheBuildersLoginUnlessItNamesItsOwn() {
            ConnectionSettings direct = config.directConnection();
            assertThat(config.directUrl()).contains(DIRECT);
            assertThat(direct.poolerMode()).isEqualTo(PoolerMode.NONE);
            assertThat(direct.driverProperties().get("options")).contains("statement_timeout=60000");
            assertThat(direct.user()).isEqualTo("app");
            assertThat(direct.password()).isEqualTo("pw");

            AgentStoreConfig ownLogin = AgentStoreConfig.builder().url(POOLER).user("app.tenant").password("pw")
                    .poolerMode(PoolerMode.TRANSACTION).directUrl("postgres://owner:secret@db:5432/app").build();
            assertThat(ownLogin.directConnection().user()).isEqualTo("owner");
            assertThat(ownLogin.directConnection().password()).isEqualTo("secret");
            assertThat(ownLogin.toString()).doesNotContain("secret");
        }

        @Test
        void autoMigrateWithoutADirectUrlIsRefusedNamingTheSetting() {
            assertThatThrownBy(() -> AgentStoreConfig.builder().url(POOLER).user("app")
                    .poolerMode(PoolerMode.TRANSACTION).build())
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("AGENTSTORE_DB_DIRECT_URL");
        }
    }

    @Nested
    class TheVectorSchema {

        @Test
        void followsTheSchemaOnTheSearchPathWithoutRepeats() {
            assertThat(StoreBootstrap.searchPath(AgentStoreConfig.builder().url(DIRECT).user("u").schema("agents")
                    .vectorSchema("extensions").build())).isEqualTo("agents,extensions,public");
            assertThat(StoreBootstrap.searchPath(AgentStoreConfig.builder().url(DIRECT).user("u").build()))
                    .isEqualTo("public");
        }

        @Test
        void anInvalidNameIsRefusedNamingTheVariable() {
            assertThatThrownBy(() -> AgentStoreConfig.builder().url(DIRECT).user("u").vectorSchema("Ext;drop")
                    .build())
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("AGENTSTORE_VECTOR_SCHEMA");
        }
    }

    @Test
    void theEnvironmentSetsPoolerModeDirectUrlAndVectorSchema() {
        AgentStoreConfig config = AgentStoreConfig.builder().applyEnvironment(Map.of(
                "AGENTSTORE_DB_URL", POOLER, "AGENTSTORE_DB_USER", "app",
                "AGENTSTORE_DB_POOLER_MODE", "Transaction", "AGENTSTORE_DB_DIRECT_URL", DIRECT,
                "AGENTSTORE_VECTOR_SCHEMA", "extensions")).build();
        assertThat(config.poolerMode()).isEqualTo(PoolerMode.TRANSACTION);
        assertThat(config.directUrl()).contains(DIRECT);
        assertThat(config.vectorSchema()).isEqualTo("extensions");
        assertThatThrownBy(() -> AgentStoreConfig.builder().applyEnvironment(Map.of("AGENTSTORE_DB_POOLER_MODE",
                "session")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_DB_POOLER_MODE");
    }
}
