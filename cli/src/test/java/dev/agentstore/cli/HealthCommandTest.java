package dev.agentstore.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code agentstore health} against the real PostgreSQL: exit 0 when up, 8 when degraded, 3 when down. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HealthCommandTest {

    private CliRunner cli;

    @BeforeAll
    void open() {
        cli = new CliRunner(HealthCommandTest.class);
    }

    @AfterAll
    void drop() {
        cli.close();
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Status {

        @Test
        void anUnmigratedSchemaIsDegradedThenAMigratedOneIsUp() {
            CliRunner.Result before = cli.run("health");

            assertThat(before.exitCode()).as(before.err()).isEqualTo(ExitCodes.DEGRADED);
            assertThat(before.out()).containsPattern("(?m)^status\\s+DEGRADED$")
                    .containsPattern("(?m)^migrations\\s+[1-9][0-9]* pending$")
                    .contains("problem: ").contains("pending in schema " + cli.schema);

            assertThat(cli.run("migrate", "up").exitCode()).isZero();
            CliRunner.Result after = cli.run("health");

            assertThat(after.exitCode()).as(after.out() + after.err()).isEqualTo(ExitCodes.OK);
            assertThat(after.out()).containsPattern("(?m)^status\\s+UP$")
                    .containsPattern("(?m)^role\\s+primary$")
                    .containsPattern("(?m)^migrations\\s+0 pending$")
                    .containsPattern("(?m)^pgvector\\s+\\d+\\.\\d+")
                    .doesNotContain("problem:")
                    .doesNotContain(CliRunner.PASSWORD + "@");
        }

        @Test
        void noServerIsDownWithTheUnreachableExitCode() {
            CliRunner.Result r = cli.run("health", "--url", "jdbc:postgresql://127.0.0.1:1/agentstore");

            assertThat(r.exitCode()).as(r.out() + r.err()).isEqualTo(ExitCodes.DB_UNREACHABLE);
            assertThat(r.out()).containsPattern("(?m)^status\\s+DOWN$").contains("problem: no connection: ")
                    .doesNotContain("role");
        }
    }
}
