package dev.agentstore.persistence;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.InvalidInputException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TLS against a private cluster that accepts TLS connections only ({@code hostssl}, no {@code host} line), with a
 * server certificate for {@code localhost} signed by a CA made for the test.
 */
class TlsConnectionTest {

    private static final String DB_PASSWORD = "Db-Secret-4711";
    private static final String KEY_PASSWORD = "K3y-Secret-0815";

    private static Path pki;
    private static LocalCluster cluster;

    @BeforeAll
    static void startTlsCluster() throws Exception {
        pki = Files.createTempDirectory("agentstore-pki-");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
                "-subj", "/CN=agentstore test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                "-subj", "/CN=localhost");
        Files.writeString(pki.resolve("server.ext"), "subjectAltName=DNS:localhost\n");
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.crt", "-days", "2", "-extfile", "server.ext");
        cluster = LocalCluster.builder()
                .config("ssl = on", "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'")
                .hba("hostssl all all 127.0.0.1/32 trust")
                .start(pki.resolve("server.crt"), pki.resolve("server.key"));
        cluster.createDatabase("tls");
    }

    @AfterAll
    static void stop() throws IOException {
        if (cluster != null) {
            cluster.close();
        }
        try (Stream<Path> files = Files.walk(pki)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static void openssl(String... args) throws Exception {
        String[] command = new String[args.length + 1];
        command[0] = "openssl";
        System.arraycopy(args, 0, command, 1, args.length);
        Process p = new ProcessBuilder(command).directory(pki.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    private static AgentStoreConfig.Builder config(String host, String extraParameters) {
        return AgentStoreConfig.builder()
                .url("jdbc:postgresql://" + host + ":" + cluster.port() + "/tls?sslrootcert=" + pki.resolve("ca.crt")
                        + "&sslpassword=" + KEY_PASSWORD + extraParameters)
                .user(LocalCluster.SUPERUSER).password(DB_PASSWORD)
                .schema(AgentStoreExtension.uniqueSchema(TlsConnectionTest.class))
                .poolMinIdle(0).poolMaxSize(2);
    }

    private static boolean sessionIsEncrypted(AgentStore store) throws SQLException {
        try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            assertThat(rs.next()).isTrue();
            return rs.getBoolean(1);
        }
    }

    @Test
    void verifyFullWithTheNameInTheCertificateConnectsEncrypted() throws SQLException {
        AgentStoreConfig config = config("localhost", "").sslMode(SslMode.VERIFY_FULL).build();
        try (AgentStore store = AgentStore.open(config)) {
            assertThat(sessionIsEncrypted(store)).isTrue();
            assertThat(store.config().toString()).contains("sslMode=verify-full")
                    .doesNotContain(KEY_PASSWORD).doesNotContain(DB_PASSWORD);
        }
    }

    @Test
    void verifyFullAgainstAnAddressTheCertificateDoesNotNameFailsSayingWhatToCheck() {
        AgentStoreConfig config = config("127.0.0.1", "").applyEnvironment(Map.of("AGENTSTORE_DB_SSLMODE", "verify-full"))
                .build();
        assertThatThrownBy(() -> AgentStore.open(config).close())
                .isInstanceOf(AgentStoreException.class)
                .hasMessageContaining("sslmode verify-full")
                .hasMessageContaining("127.0.0.1")
                .hasMessageContaining("sslrootcert")
                .hasMessageContaining("name the host")
                .satisfies(e -> {
                    for (Throwable t = e; t != null; t = t.getCause()) {
                        assertThat(String.valueOf(t.getMessage())).doesNotContain(KEY_PASSWORD).doesNotContain(DB_PASSWORD);
                    }
                });
        assertThat(config.toString()).doesNotContain(KEY_PASSWORD).doesNotContain(DB_PASSWORD);
    }

    @Test
    void aDowngradeInTheUrlFailsAtBuildInsteadOfConnectingInPlainText() {
        assertThatThrownBy(() -> config("localhost", "&sslmode=disable").sslMode(SslMode.VERIFY_FULL).build())
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("verify-full").hasMessageContaining("sslmode=disable")
                .hasMessageNotContaining(KEY_PASSWORD).hasMessageNotContaining(DB_PASSWORD);
    }

    @Test
    void theUrlsSslmodeAloneIsUsedAndReported() throws SQLException {
        AgentStoreConfig config = config("127.0.0.1", "&sslmode=require").build();
        assertThat(config.sslMode()).contains(SslMode.REQUIRE);
        try (AgentStore store = AgentStore.open(config)) {
            assertThat(sessionIsEncrypted(store)).isTrue();
        }
    }
}
