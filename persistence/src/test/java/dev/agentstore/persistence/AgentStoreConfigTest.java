package dev.agentstore.persistence;

import dev.agentstore.domain.InvalidInputException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.postgresql.Driver;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentStoreConfigTest {

    @Test
    void thePasswordNeverAppearsInToStringOrInDsnErrors() {
        AgentStoreConfig config = AgentStoreConfig.builder().url("postgres://u:T0p-Secret@h:5432/d").build();
        assertThat(config.toString()).doesNotContain("T0p-Secret").contains("****");
        assertThatThrownBy(() -> AgentStoreConfig.builder().url("postgres://u:T0p Secret@h:5432/d").build())
                .isInstanceOf(InvalidInputException.class).hasMessageNotContaining("T0p");
        assertThatThrownBy(() -> AgentStoreConfig.builder().url("postgres://u:T0p-Secret@h:5432/").build())
                .isInstanceOf(InvalidInputException.class).hasMessageNotContaining("T0p");
    }

    @Nested
    class UrlsAndDsns {

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
        void anExplicitUserWinsOverTheDsnsAndAnAgreeingSslModeIsKept() {
            AgentStoreConfig config = AgentStoreConfig.builder().url("postgresql://a:b@h/d?sslmode=require")
                    .user("other").sslMode(SslMode.REQUIRE).build();
            assertThat(config.user()).contains("other");
            assertThat(config.password()).contains("b");
            assertThat(config.sslMode()).contains(SslMode.REQUIRE);
        }

        @Test
        void userAndPasswordParametersOfAJdbcUrlBecomeSettingsAndLeaveTheUrl() {
            AgentStoreConfig config = AgentStoreConfig.builder()
                    .url("jdbc:postgresql://h:5432/d?user=app&password=T0p%26Secret&sslmode=require&ApplicationName=x").build();
            assertThat(config.jdbcUrl()).isEqualTo("jdbc:postgresql://h:5432/d?ApplicationName=x");
            assertThat(config.sslMode()).contains(SslMode.REQUIRE);
            assertThat(config.user()).contains("app");
            assertThat(config.password()).contains("T0p&Secret");
            assertThat(config.toString()).doesNotContain("T0p");
            AgentStoreConfig explicit = AgentStoreConfig.builder().url("jdbc:postgresql://h/d?password=fromUrl")
                    .password("explicit").build();
            assertThat(explicit.password()).contains("explicit");
            assertThat(explicit.jdbcUrl()).isEqualTo("jdbc:postgresql://h/d");
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
    }

    @Nested
    class EnvironmentVariables {

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
    }

    /** What pgjdbc reads from the pool's URL and connection properties (the URL's parameters win, as in pgjdbc). */
    private static Properties driverView(AgentStoreConfig config) {
        Properties merged = Driver.parseURL(config.jdbcUrl(), config.connection().connectionProperties());
        assertThat(merged).as("pgjdbc accepts " + config.jdbcUrl()).isNotNull();
        return merged;
    }

    @Nested
    class TheTlsModeCannotBeOverriddenByAccident {

        @Test
        void aConflictingSslmodeInAJdbcUrlFailsAtBuildNamingBothSettings() {
            assertThatThrownBy(() -> AgentStoreConfig.builder().url("jdbc:postgresql://h/d?sslmode=disable")
                    .user("u").sslMode(SslMode.VERIFY_FULL).build())
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("AGENTSTORE_DB_SSLMODE").hasMessageContaining("verify-full")
                    .hasMessageContaining("AGENTSTORE_DB_URL").hasMessageContaining("sslmode=disable");
        }

        @Test
        void aConflictingSslmodeInTheEnvironmentsUrlOrDsnFailsToo() {
            assertThatThrownBy(() -> AgentStoreConfig.builder().applyEnvironment(Map.of(
                    "AGENTSTORE_DB_URL", "postgres://u:secret-pw@h/d?sslmode=disable",
                    "AGENTSTORE_DB_SSLMODE", "verify-full")).build())
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("AGENTSTORE_DB_SSLMODE").hasMessageContaining("sslmode=disable")
                    .hasMessageNotContaining("secret-pw");
            // pgjdbc's ssl=true means verify-full when no sslmode is given
            assertThatThrownBy(() -> AgentStoreConfig.builder().url("jdbc:postgresql://h/d?ssl=true").user("u")
                    .sslMode(SslMode.DISABLE).build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("sslmode=verify-full");
        }

        @Test
        void theUrlsSslmodeAloneIsHonouredAndReportedAsTheEffectiveMode() {
            AgentStoreConfig config = AgentStoreConfig.builder().url("jdbc:postgresql://h/d?sslmode=verify-ca").user("u")
                    .build();
            assertThat(config.sslMode()).contains(SslMode.VERIFY_CA);
            assertThat(config.toString()).contains("sslMode=verify-ca");
            assertThat(driverView(config).getProperty("sslmode")).isEqualTo("verify-ca");
        }

        @Test
        void theConfiguredModeIsWhatTheDriverGetsAndNothingInTheUrlCanChangeIt() {
            AgentStoreConfig config = AgentStoreConfig.builder().url("jdbc:postgresql://h/d?ssl=false&sslmode=verify-full")
                    .user("u").sslMode(SslMode.VERIFY_FULL).build();
            assertThat(config.jdbcUrl()).doesNotContain("ssl");
            assertThat(driverView(config).getProperty("sslmode")).isEqualTo("verify-full");
            assertThat(config.toString()).contains("sslMode=verify-full");
        }

        @Test
        void withoutAnyModeTheReportSaysTheDriverDefault() {
            AgentStoreConfig config = AgentStoreConfig.builder().database("d").user("u").build();
            assertThat(config.sslMode()).isEmpty();
            assertThat(config.toString()).contains("sslMode=prefer (driver default)");
            assertThat(driverView(config).getProperty("sslmode")).isNull();
        }

        @Test
        void aNonValidatingSslFactoryIsRefusedWhenTheCertificateMustBeVerified() {
            assertThatThrownBy(() -> AgentStoreConfig.builder()
                    .url("jdbc:postgresql://h/d?sslfactory=org.postgresql.ssl.NonValidatingFactory").user("u")
                    .sslMode(SslMode.VERIFY_FULL).build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("sslfactory");
        }
    }

    @Nested
    class DsnsKeepTheirParameters {

        @Test
        void everyQueryParameterReachesTheDriverWithLibpqNamesTranslated() {
            AgentStoreConfig config = AgentStoreConfig.builder().url("postgresql://app@db1:5433,db2/agents"
                    + "?sslmode=verify-full&sslrootcert=/etc/ssl/ca%20root.pem&sslcert=/c.pem&sslkey=/k.pk8"
                    + "&application_name=my%20app&options=-c%20search_path%3Dx&connect_timeout=7&tcpKeepAlive=true")
                    .build();
            Properties driver = driverView(config);
            assertThat(driver.getProperty("PGHOST")).isEqualTo("db1,db2");
            assertThat(driver.getProperty("PGPORT")).isEqualTo("5433,5432");
            assertThat(driver.getProperty("PGDBNAME")).isEqualTo("agents");
            assertThat(driver.getProperty("sslmode")).isEqualTo("verify-full");
            assertThat(driver.getProperty("sslrootcert")).isEqualTo("/etc/ssl/ca root.pem");
            assertThat(driver.getProperty("sslcert")).isEqualTo("/c.pem");
            assertThat(driver.getProperty("sslkey")).isEqualTo("/k.pk8");
            assertThat(driver.getProperty("ApplicationName")).isEqualTo("my app");
            assertThat(driver.getProperty("tcpKeepAlive")).isEqualTo("true");
            assertThat(driver.getProperty("connectTimeout")).isEqualTo("7");
            assertThat(driver.getProperty("options")).startsWith("-c search_path=x -c statement_timeout=");
            assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(7));
            assertThat(config.user()).contains("app");
        }

        @Test
        void percentEscapesInUserAndPasswordAreDecodedAsInAUriSoPlusStaysPlus() {
            AgentStoreConfig config = AgentStoreConfig.builder().url("postgres://a+b%40c:p+w%2Bx%20y@h/d").build();
            assertThat(config.user()).contains("a+b@c");
            assertThat(config.password()).contains("p+w+x y");
        }

        @Test
        void theDatabaseNameIsDecodedAndReencodedForTheDriver() {
            AgentStoreConfig config = AgentStoreConfig.builder().url("postgres://u@h/my%20db+1").build();
            assertThat(driverView(config).getProperty("PGDBNAME")).isEqualTo("my db+1");
        }
    }

    @Nested
    class SecretsStayOutOfUrlsMessagesAndToString {

        @Test
        void sslpasswordInAJdbcUrlLeavesTheUrlAndToStringButReachesTheDriver() {
            AgentStoreConfig config = AgentStoreConfig.builder()
                    .url("jdbc:postgresql://h/d?sslkey=/k.pk8&sslpassword=K3y-Secret&password=Db-Secret").user("u").build();
            assertThat(config.jdbcUrl()).doesNotContain("K3y-Secret").doesNotContain("sslpassword")
                    .isEqualTo("jdbc:postgresql://h/d?sslkey=/k.pk8");
            assertThat(config.toString()).doesNotContain("K3y-Secret").doesNotContain("Db-Secret")
                    .contains("sslpassword=****");
            assertThat(driverView(config).getProperty("sslpassword")).isEqualTo("K3y-Secret");
            assertThat(config.password()).contains("Db-Secret");
        }

        @Test
        void sslpasswordInADsnIsTreatedTheSame() {
            AgentStoreConfig config = AgentStoreConfig.builder()
                    .url("postgres://u:Db-Secret@h/d?sslmode=verify-full&sslpassword=K3y%2BSecret").build();
            assertThat(config.jdbcUrl()).isEqualTo("jdbc:postgresql://h:5432/d");
            assertThat(config.toString()).doesNotContain("K3y+Secret").doesNotContain("Db-Secret");
            assertThat(driverView(config).getProperty("sslpassword")).isEqualTo("K3y+Secret");
        }

        @Test
        void redactMasksEverySecretValueInAMessage() {
            AgentStoreConfig config = AgentStoreConfig.builder()
                    .url("jdbc:postgresql://h/d?sslpassword=K3y-Secret").user("u").password("Db-Secret").build();
            assertThat(config.connection().redact("x K3y-Secret y Db-Secret z")).isEqualTo("x **** y **** z");
        }
    }

    @Nested
    class BoundedWaits {

        @Test
        void defaultsBoundEveryWaitAndTheGucsGoInTheStartupOptions() {
            AgentStoreConfig config = AgentStoreConfig.builder().database("d").user("u").build();
            assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
            assertThat(config.socketTimeout()).isEqualTo(Duration.ofSeconds(120));
            assertThat(config.statementTimeout()).isEqualTo(Duration.ofSeconds(60));
            assertThat(config.lockTimeout()).isEqualTo(Duration.ofSeconds(10));
            assertThat(config.idleInTransactionSessionTimeout()).isEqualTo(Duration.ofSeconds(60));
            assertThat(config.poolConnectionTimeout()).isEqualTo(Duration.ofSeconds(10));
            Properties driver = driverView(config);
            assertThat(driver.getProperty("connectTimeout")).isEqualTo("10");
            assertThat(driver.getProperty("socketTimeout")).isEqualTo("120");
            assertThat(driver.getProperty("options")).isEqualTo("-c statement_timeout=60000 -c lock_timeout=10000"
                    + " -c idle_in_transaction_session_timeout=60000");
            assertThat(config.toString()).contains("statementTimeout=60 s", "lockTimeout=10 s", "socketTimeout=120 s");
        }

        @Test
        void environmentVariablesInMillisecondsSetThem() {
            AgentStoreConfig config = AgentStoreConfig.builder().database("d").user("u").applyEnvironment(Map.of(
                    "AGENTSTORE_DB_CONNECT_TIMEOUT_MS", "3000", "AGENTSTORE_DB_SOCKET_TIMEOUT_MS", "5000",
                    "AGENTSTORE_DB_STATEMENT_TIMEOUT_MS", "4500", "AGENTSTORE_DB_LOCK_TIMEOUT_MS", "250",
                    "AGENTSTORE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", "0",
                    "AGENTSTORE_POOL_CONNECTION_TIMEOUT_MS", "1500")).build();
            assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
            assertThat(config.socketTimeout()).isEqualTo(Duration.ofSeconds(5));
            assertThat(config.statementTimeout()).isEqualTo(Duration.ofMillis(4500));
            assertThat(config.lockTimeout()).isEqualTo(Duration.ofMillis(250));
            assertThat(config.idleInTransactionSessionTimeout()).isZero();
            assertThat(config.poolConnectionTimeout()).isEqualTo(Duration.ofMillis(1500));
            // zero: agentstore sets nothing, the server's setting applies
            assertThat(driverView(config).getProperty("options"))
                    .isEqualTo("-c statement_timeout=4500 -c lock_timeout=250");
        }

        @Test
        void allZeroSendsNoOptionsAndNoLimits() {
            AgentStoreConfig config = AgentStoreConfig.builder().database("d").user("u").connectTimeout(Duration.ZERO)
                    .socketTimeout(Duration.ZERO).statementTimeout(Duration.ZERO).lockTimeout(Duration.ZERO)
                    .idleInTransactionSessionTimeout(Duration.ZERO).poolConnectionTimeout(Duration.ZERO).build();
            Properties driver = driverView(config);
            assertThat(driver.getProperty("options")).isNull();
            assertThat(driver.getProperty("socketTimeout")).isEqualTo("0");
            assertThat(config.toString()).contains("socketTimeout=none");
        }

        @Test
        void invalidValuesFailAtBuildNamingTheSettingAndItsVariable() {
            assertThatThrownBy(() -> AgentStoreConfig.builder().database("d").user("u")
                    .lockTimeout(Duration.ofMillis(-1)).build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("lockTimeout")
                    .hasMessageContaining("AGENTSTORE_DB_LOCK_TIMEOUT_MS");
            assertThatThrownBy(() -> AgentStoreConfig.builder().database("d").user("u")
                    .statementTimeout(Duration.ofDays(30)).build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_DB_STATEMENT_TIMEOUT_MS");
            assertThatThrownBy(() -> AgentStoreConfig.builder().database("d").user("u")
                    .idleInTransactionSessionTimeout(Duration.ofNanos(1500)).build())
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("AGENTSTORE_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS");
            assertThatThrownBy(() -> AgentStoreConfig.builder().database("d").user("u")
                    .connectTimeout(Duration.ofMillis(1500)).build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_DB_CONNECT_TIMEOUT_MS")
                    .hasMessageContaining("whole seconds");
            assertThatThrownBy(() -> AgentStoreConfig.builder().database("d").user("u")
                    .poolConnectionTimeout(Duration.ofMillis(100)).build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_POOL_CONNECTION_TIMEOUT_MS");
            assertThatThrownBy(() -> AgentStoreConfig.builder().applyEnvironment(Map.of(
                    "AGENTSTORE_DB_SOCKET_TIMEOUT_MS", "10s")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_DB_SOCKET_TIMEOUT_MS");
        }

        @Test
        void aSocketTimeoutNotLongerThanTheStatementTimeoutIsRefused() {
            assertThatThrownBy(() -> AgentStoreConfig.builder().database("d").user("u")
                    .socketTimeout(Duration.ofSeconds(30)).build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_DB_SOCKET_TIMEOUT_MS")
                    .hasMessageContaining("AGENTSTORE_DB_STATEMENT_TIMEOUT_MS");
            assertThat(AgentStoreConfig.builder().database("d").user("u").socketTimeout(Duration.ofSeconds(30))
                    .statementTimeout(Duration.ZERO).build().socketTimeout()).isEqualTo(Duration.ofSeconds(30));
        }

        @Test
        void timeoutsInTheUrlFillTheSettingsAndMustAgreeWithExplicitOnes() {
            AgentStoreConfig config = AgentStoreConfig.builder()
                    .url("jdbc:postgresql://h/d?connectTimeout=3&socketTimeout=300").user("u").build();
            assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
            assertThat(config.socketTimeout()).isEqualTo(Duration.ofSeconds(300));
            assertThat(config.jdbcUrl()).isEqualTo("jdbc:postgresql://h/d");
            assertThatThrownBy(() -> AgentStoreConfig.builder().url("jdbc:postgresql://h/d?socketTimeout=0").user("u")
                    .socketTimeout(Duration.ofSeconds(90)).build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_DB_SOCKET_TIMEOUT_MS")
                    .hasMessageContaining("socketTimeout=0");
            assertThatThrownBy(() -> AgentStoreConfig.builder()
                    .url("jdbc:postgresql://h/d?options=-c%20statement_timeout%3D0").user("u").build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_DB_STATEMENT_TIMEOUT_MS");
        }
    }
}
