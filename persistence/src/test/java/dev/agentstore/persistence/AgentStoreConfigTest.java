package dev.agentstore.persistence;

import dev.agentstore.domain.InvalidInputException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentStoreConfigTest {

    @Test
    void discreteSettingsBuildAJdbcUrlWithDefaults() {
        AgentStoreConfig config = AgentStoreConfig.builder().host("db.internal").database("agents").user("app").build();
        assertThat(config.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5432/agents");
        assertThat(config.schema()).isEqualTo("public");
        assertThat(config.poolMaxSize()).isEqualTo(10);
        assertThat(config.poolMinIdle()).isEqualTo(2);
        assertThat(config.autoMigrate()).isTrue();
        assertThat(config.sslMode()).isEmpty();
    }

    @Test
    void aPostgresDsnGivesHostPortDatabaseUserPasswordAndSslMode() {
        AgentStoreConfig config = AgentStoreConfig.builder()
                .url("postgres://app%40corp:p%3Ass@db.internal:6543/agents?sslmode=verify-full").build();
        assertThat(config.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:6543/agents");
        assertThat(config.user()).contains("app@corp");
        assertThat(config.password()).contains("p:ss");
        assertThat(config.sslMode()).contains(SslMode.VERIFY_FULL);
    }

    @Test
    void explicitSettingsWinOverWhatTheDsnSays() {
        AgentStoreConfig config = AgentStoreConfig.builder().url("postgresql://a:b@h/d?sslmode=require")
                .user("other").sslMode(SslMode.DISABLE).build();
        assertThat(config.user()).contains("other");
        assertThat(config.password()).contains("b");
        assertThat(config.sslMode()).contains(SslMode.DISABLE);
    }

    @Test
    void environmentVariablesOverrideBuilderValues() {
        AgentStoreConfig config = AgentStoreConfig.builder().host("ignored").database("ignored").user("ignored")
                .applyEnvironment(Map.of(
                        "AGENTSTORE_DB_HOST", "envhost", "AGENTSTORE_DB_PORT", "5433", "AGENTSTORE_DB_NAME", "envdb",
                        "AGENTSTORE_DB_USER", "envuser", "AGENTSTORE_DB_PASSWORD", "envpass",
                        "AGENTSTORE_DB_SSLMODE", "verify-ca", "AGENTSTORE_DB_SCHEMA", "tenant_1",
                        "AGENTSTORE_POOL_MAX_SIZE", "4", "AGENTSTORE_POOL_MIN_IDLE", "1",
                        "AGENTSTORE_AUTO_MIGRATE", "false"))
                .build();
        assertThat(config.jdbcUrl()).isEqualTo("jdbc:postgresql://envhost:5433/envdb");
        assertThat(config.user()).contains("envuser");
        assertThat(config.password()).contains("envpass");
        assertThat(config.sslMode()).contains(SslMode.VERIFY_CA);
        assertThat(config.schema()).isEqualTo("tenant_1");
        assertThat(config.poolMaxSize()).isEqualTo(4);
        assertThat(config.poolMinIdle()).isEqualTo(1);
        assertThat(config.autoMigrate()).isFalse();
    }

    @Test
    void anEnvironmentUrlWinsOverDiscreteHost() {
        AgentStoreConfig config = AgentStoreConfig.builder().host("h").database("d").user("u")
                .applyEnvironment(Map.of("AGENTSTORE_DB_URL", "jdbc:postgresql://urlhost/urldb")).build();
        assertThat(config.jdbcUrl()).isEqualTo("jdbc:postgresql://urlhost/urldb");
    }

    @Test
    void invalidOrMissingSettingsFailAtBuildNamingTheSetting() {
        assertThatThrownBy(() -> AgentStoreConfig.builder().user("u").build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_DB_NAME");
        assertThatThrownBy(() -> AgentStoreConfig.builder().database("d").build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_DB_USER");
        assertThatThrownBy(() -> AgentStoreConfig.builder().database("d").user("u").port(0).build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_DB_PORT");
        assertThatThrownBy(() -> AgentStoreConfig.builder().applyEnvironment(Map.of("AGENTSTORE_DB_PORT", "54x")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_DB_PORT");
        assertThatThrownBy(() -> AgentStoreConfig.builder().applyEnvironment(Map.of("AGENTSTORE_DB_SSLMODE", "maybe")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_DB_SSLMODE")
                .hasMessageContaining("verify-full");
        assertThatThrownBy(() -> AgentStoreConfig.builder().database("d").user("u").schema("Robert'); DROP").build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_DB_SCHEMA");
        assertThatThrownBy(() -> AgentStoreConfig.builder().database("d").user("u").poolMaxSize(0).build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_POOL_MAX_SIZE");
        assertThatThrownBy(() -> AgentStoreConfig.builder().database("d").user("u").poolMaxSize(2).poolMinIdle(3).build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_POOL_MIN_IDLE");
        assertThatThrownBy(() -> AgentStoreConfig.builder().url("mysql://h/d").build())
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_DB_URL");
        assertThatThrownBy(() -> AgentStoreConfig.builder().applyEnvironment(Map.of("AGENTSTORE_AUTO_MIGRATE", "yes")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_AUTO_MIGRATE");
    }

    @Test
    void userAndPasswordParametersOfAJdbcUrlBecomeSettingsAndLeaveTheUrl() {
        AgentStoreConfig config = AgentStoreConfig.builder()
                .url("jdbc:postgresql://h:5432/d?user=app&password=T0p%26Secret&sslmode=require&ApplicationName=x").build();
        assertThat(config.jdbcUrl()).isEqualTo("jdbc:postgresql://h:5432/d?sslmode=require&ApplicationName=x");
        assertThat(config.user()).contains("app");
        assertThat(config.password()).contains("T0p&Secret");
        assertThat(config.toString()).doesNotContain("T0p");
        AgentStoreConfig explicit = AgentStoreConfig.builder().url("jdbc:postgresql://h/d?password=fromUrl")
                .password("explicit").build();
        assertThat(explicit.password()).contains("explicit");
        assertThat(explicit.jdbcUrl()).isEqualTo("jdbc:postgresql://h/d");
    }

    @Test
    void thePasswordNeverAppearsInToStringOrInDsnErrors() {
        AgentStoreConfig config = AgentStoreConfig.builder().url("postgres://u:T0p-Secret@h:5432/d").build();
        assertThat(config.toString()).doesNotContain("T0p-Secret").contains("****");
        assertThatThrownBy(() -> AgentStoreConfig.builder().url("postgres://u:T0p Secret@h:5432/d").build())
                .isInstanceOf(InvalidInputException.class).hasMessageNotContaining("T0p");
        assertThatThrownBy(() -> AgentStoreConfig.builder().url("postgres://u:T0p-Secret@h:5432/").build())
                .isInstanceOf(InvalidInputException.class).hasMessageNotContaining("T0p");
    }
}
