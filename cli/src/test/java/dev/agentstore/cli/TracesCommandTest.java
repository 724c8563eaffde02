package dev.agentstore.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TracesCommandTest {

    private final CliRunner cli = new CliRunner(TracesCommandTest.class);

    @AfterEach
    void dropSchema() {
        cli.close();
    }

    private static Path sample() {
        try {
            return Path.of(TracesCommandTest.class.getResource("/otlp/agent-trace.json").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Nested
    class Import {

        @Test
        void theSampleFileIsImportedAndItsTracesReadAsStored() {
            CliRunner.Result r = cli.run("traces", "import", sample().toString());
            assertThat(r.exitCode()).as(r.err()).isZero();
            assertThat(r.out()).contains("imported 5 span(s) of 2 trace(s) from ");
            assertThat(cli.queryLong("SELECT count(*) FROM spans")).isEqualTo(5);
            assertThat(cli.queryLong("SELECT count(*) FROM spans WHERE parent_span_id IS NULL")).isEqualTo(2);
            assertThat(cli.queryLong("SELECT count(*) FROM spans WHERE span_type = 'AGENT_RUN' AND entity_id = 'agent-42'"
                    + " AND run_id = 'run-1' AND thread_id = 'thread-7' AND resource_id = 'customer-9' AND user_id = 'user-3'"
                    + " AND status = 'OK' AND metadata -> 'resource' ->> 'service.name' = 'support-agent'")).isEqualTo(1);
            assertThat(cli.queryLong("SELECT count(*) FROM spans WHERE span_type = 'TOOL_CALL'"
                    + " AND entity_name = 'lookup_order' AND input ->> 'orderId' = 'A-17'")).isEqualTo(1);
            assertThat(cli.queryLong("SELECT count(*) FROM spans WHERE status = 'ERROR'"
                    + " AND error ->> 'message' = 'send_email timed out'")).isEqualTo(1);
            assertThat(cli.queryLong("SELECT (attributes ->> 'gen_ai.usage.input_tokens')::int FROM spans"
                    + " WHERE span_type = 'MODEL_GENERATION'")).isEqualTo(97);
        }

        @Test
        void importingTheSameSpansAgainFailsAndWritesNothing(@TempDir Path dir) throws IOException {
            assertThat(cli.run("traces", "import", sample().toString()).exitCode()).isZero();
            Path both = dir.resolve("both.jsonl");
            Files.write(both, List.of(document("00000000000000a1", "4bf92f3577b34da6a3ce929d0e0e4799"),
                    document("00f067aa0ba902b7", "4bf92f3577b34da6a3ce929d0e0e4736"))); // the second is stored
            CliRunner.Result again = cli.run("traces", "import", "--batch", "1", both.toString());
            assertThat(again.exitCode()).isEqualTo(ExitCodes.FAILURE);
            assertThat(again.err()).contains("error: nothing was imported").contains("--replace");
            assertThat(cli.queryLong("SELECT count(*) FROM spans")).isEqualTo(5);
        }

        @Test
        void withReplaceAFileThatGrewIsImportedAgain(@TempDir Path dir) throws IOException {
            assertThat(cli.run("traces", "import", sample().toString()).exitCode()).isZero();
            Path grown = dir.resolve("grown.json");
            Files.writeString(grown, Files.readString(sample()) + "\n"
                    + document("00000000000000a1", "4bf92f3577b34da6a3ce929d0e0e4799") + "\n");
            CliRunner.Result r = cli.run("traces", "import", "--replace", grown.toString());
            assertThat(r.exitCode()).as(r.err()).isZero();
            assertThat(r.out()).contains("imported 6 span(s) of 3 trace(s)");
            assertThat(cli.queryLong("SELECT count(*) FROM spans")).isEqualTo(6);
        }
    }

    @Nested
    class BadInput {

        @Test
        void aBadSpanIsNamedByLineAndFieldAndNothingIsWritten(@TempDir Path dir) throws IOException {
            assertThat(cli.run("migrate", "up").exitCode()).isZero();
            Path file = dir.resolve("bad.jsonl");
            Files.write(file, List.of(document("00000000000000a1", "4bf92f3577b34da6a3ce929d0e0e4736"),
                    document("00000000000000a2", "W47/95gDgQPSabYzgT/GDA==")));
            CliRunner.Result r = cli.run("traces", "import", file.toString());
            assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
            assertThat(r.err()).contains("line 2: resourceSpans[0].scopeSpans[0].spans[0].traceId must be 32 hex digits")
                    .contains("hint: nothing was imported");
            assertThat(cli.queryLong("SELECT count(*) FROM spans")).isZero();
        }

        @Test
        void aFileThatIsNotJsonOrMissingIsRejected(@TempDir Path dir) throws IOException {
            Path file = dir.resolve("spans.txt");
            Files.writeString(file, "name,start\nchat,1\n");
            CliRunner.Result notJson = cli.run("traces", "import", file.toString());
            assertThat(notJson.exitCode()).isEqualTo(ExitCodes.USAGE);
            assertThat(notJson.err()).contains("line 1, column 5: not valid JSON");
            CliRunner.Result missing = cli.run("traces", "import", dir.resolve("nope.json").toString());
            assertThat(missing.exitCode()).isEqualTo(ExitCodes.CORPUS);
            assertThat(missing.err()).contains("does not exist");
        }

        @Test
        void tracesWithoutASubcommandIsAUsageError() {
            CliRunner.Result r = cli.run("traces");
            assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
            assertThat(r.err()).contains("name a subcommand: import");
        }
    }

    /** One OTLP/JSON document on one line with one span. */
    private static String document(String spanId, String traceId) {
        return "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" + traceId + "\",\"spanId\":\"" + spanId
                + "\",\"name\":\"embeddings text-embedding-3-small\",\"startTimeUnixNano\":\"1733500010000000000\"}]}]}]}";
    }
}
