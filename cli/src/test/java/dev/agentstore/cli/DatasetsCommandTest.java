package dev.agentstore.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class DatasetsCommandTest {

    private static CliRunner source;
    private static CliRunner target;

    @BeforeAll
    static void setUp() {
        source = new CliRunner(DatasetsCommandTest.class);
        target = new CliRunner(DatasetsCommandTest.class);
    }

    @AfterAll
    static void tearDown() {
        source.close();
        target.close();
    }

    @Test
    void anExportedDatasetImportsIntoAnotherSchemaWithTheSameItems(@TempDir Path dir) throws IOException {
        Path seed = dir.resolve("seed.jsonl");
        Files.writeString(seed, """
                {"id":"q1","input":{"question":"Capital of France?"},"expectedOutput":"Paris"}
                {"id":"q2","input":{"question":"2+2?"},"expectedOutput":4,"metadata":{"topic":"math"}}
                """, StandardCharsets.UTF_8);
        CliRunner.Result seeded = source.run("datasets", "import", "--dataset", "qa", "--name", "QA", seed.toString());
        assertThat(seeded.exitCode()).as(seeded.err()).isZero();
        assertThat(seeded.err()).contains("imported 2 items into qa as version 1");

        Path file = dir.resolve("qa.jsonl");
        CliRunner.Result exported = source.run("datasets", "export", "--dataset", "qa", "-o", file.toString());
        assertThat(exported.exitCode()).as(exported.err()).isZero();
        CliRunner.Result imported = target.run("datasets", "import", "--dataset", "qa", "--name", "QA",
                file.toString());
        assertThat(imported.exitCode()).as(imported.err()).isZero();
        CliRunner.Result again = target.run("datasets", "export", "--dataset", "qa", "--version", "1");

        assertThat(again.out()).isEqualTo(Files.readString(file, StandardCharsets.UTF_8))
                .contains("{\"id\":\"q2\",\"input\":{\"question\":\"2+2?\"},\"expectedOutput\":4,"
                        + "\"metadata\":{\"topic\":\"math\"}}");
    }

    @Test
    void aMissingDatasetOrABadLineIsReportedWithoutWriting(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"input\":1}\n{\"input\":2,\"oops\":true}\n", StandardCharsets.UTF_8);

        CliRunner.Result missing = source.run("datasets", "export", "--dataset", "nope");
        CliRunner.Result rejected = source.run("datasets", "import", "--dataset", "bad", "--name", "Bad",
                bad.toString());

        assertThat(missing.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).contains("Dataset not found: nope");
        assertThat(rejected.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(rejected.err()).contains("line 2").contains("oops");
        assertThat(source.queryLong("SELECT count(*) FROM dataset_items WHERE dataset_id = 'bad'")).isZero();
    }
}
