package dev.agentstore.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ExportImportCommandTest {

    private static CliRunner source;
    private static CliRunner target;

    @BeforeAll
    static void setUp() {
        source = new CliRunner(ExportImportCommandTest.class);
        target = new CliRunner(ExportImportCommandTest.class);
    }

    @AfterAll
    static void tearDown() {
        source.close();
        target.close();
    }

    @Test
    void exportedChunksImportIntoAnotherSchemaAndSearchTheSame(@TempDir Path dir) throws IOException {
        TestCorpus.write(dir);
        assertThat(source.run("ingest", "--kb", "manual", "--exclude", "bookindex.html", "--no-progress", dir.toString()).exitCode()).isZero();
        long chunks = source.queryLong("SELECT count(*) FROM chunks");
        Path file = dir.resolve("export.jsonl");
        CliRunner.Result export = source.run("export", "--types", "chunk", "-o", file.toString());
        assertThat(export.exitCode()).as(export.err()).isZero();
        assertThat(Files.readAllLines(file)).hasSize((int) chunks).allMatch(l -> l.startsWith("{\"type\":\"chunk\""));

        CliRunner.Result imported = target.run("import", "--batch", "3", file.toString());
        assertThat(imported.exitCode()).as(imported.err()).isZero();
        assertThat(imported.out()).contains("imported " + chunks + " line(s), rejected 0");
        assertThat(target.queryLong("SELECT count(*) FROM chunks")).isEqualTo(chunks);
        assertThat(target.run("search", "--kb", "manual", "--k", "1", "vacuum freezes transaction identifiers").out())
                .isEqualTo(source.run("search", "--kb", "manual", "--k", "1", "vacuum freezes transaction identifiers").out());
    }

    @Test
    void recordsTemplatesAndConfigurationsRoundTripWithTheirRevisionsInOrder(@TempDir Path dir) throws IOException {
        Path seed = dir.resolve("seed.jsonl");
        Files.write(seed, List.of(
                "{\"type\":\"record\",\"id\":\"r-1\",\"data\":{\"n\":1.50,\"tags\":[\"a\"]},\"metadata\":{\"src\":\"test\"}}",
                "{\"type\":\"template\",\"identifier\":\"greet\",\"content\":\"Hello {{name}}\",\"description\":\"v1\"}",
                "{\"type\":\"template\",\"identifier\":\"greet\",\"content\":\"Hi {{name}}!\",\"variables\":{\"name\":\"who\"}}",
                "{\"type\":\"configuration\",\"identifier\":\"agent\",\"content\":{\"model\":\"m\",\"temperature\":0.2}}",
                "{\"type\":\"memory\",\"id\":\"t-1\",\"resourceId\":\"user-1\",\"title\":\"Chat\",\"metadata\":{\"k\":1},"
                        + "\"createdAt\":\"2025-05-06T07:08:09Z\",\"updatedAt\":\"2025-06-07T08:09:10Z\"}",
                "{\"type\":\"message\",\"id\":\"m-1\",\"memoryId\":\"t-1\",\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}",
                "{\"type\":\"message\",\"id\":\"m-2\",\"memoryId\":\"t-1\",\"role\":\"assistant\",\"content\":{\"toolCalls\":[{\"name\":\"f\"}]},"
                        + "\"createdAt\":\"2026-01-02T03:04:05Z\"}"));
        CliRunner.Result seeded = source.run("import", "--batch", "2", seed.toString());
        assertThat(seeded.exitCode()).as(seeded.out() + seeded.err()).isZero();

        Path file = dir.resolve("all.jsonl");
        assertThat(source.run("export", "--types", "record,template,configuration,memory,message", "-o", file.toString()).exitCode()).isZero();
        assertThat(Files.readAllLines(file)).hasSize(7);
        Path definitions = dir.resolve("definitions.jsonl");
        assertThat(source.run("export", "--types", "definition", "-o", definitions.toString()).exitCode()).isZero();
        assertThat(Files.readAllLines(definitions)).as("templates and configurations are definition kinds, exported"
                + " as their own lines only").noneMatch(l -> l.contains("\"kind\":\"template\"")
                || l.contains("\"kind\":\"configuration\""));
        CliRunner.Result r = target.run("import", file.toString());
        assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
        assertThat(target.queryLong("SELECT count(*) FROM records WHERE id = 'r-1' AND data = '{\"n\":1.50,\"tags\":[\"a\"]}'::jsonb"
                + " AND metadata ->> 'src' = 'test'")).isEqualTo(1);
        assertThat(target.queryLong("SELECT revision FROM templates WHERE identifier = 'greet' AND content = 'Hi {{name}}!'")).isEqualTo(2);
        assertThat(target.queryLong("SELECT count(*) FROM configurations WHERE identifier = 'agent'"
                + " AND content = '{\"model\":\"m\",\"temperature\":0.2}'::jsonb")).isEqualTo(1);
        assertThat(target.queryLong("SELECT count(*) FROM memories WHERE id = 't-1' AND resource_id = 'user-1' AND title = 'Chat'"
                + " AND created_at = '2025-05-06T07:08:09Z'")).isEqualTo(1); // appending messages moves updated_at
        assertThat(target.queryLong("SELECT seq FROM memory_messages WHERE id = 'm-2' AND role = 'ASSISTANT'"
                + " AND content = '{\"toolCalls\":[{\"name\":\"f\"}]}'::jsonb AND created_at = '2026-01-02T03:04:05Z'")).isEqualTo(2);
    }

    @Test
    void badLinesAreRejectedWithTheirLineNumbersAndGoodOnesImported(@TempDir Path dir) throws IOException {
        String vector = "[" + "0.1,".repeat(383) + "0.2]";
        Path file = dir.resolve("mixed.jsonl");
        Files.write(file, List.of(
                "{\"type\":\"chunk\",\"kb\":\"mixed\",\"document\":\"a.html\",\"ordinal\":0,\"content\":\"alpha\",\"embedding\":" + vector + "}",
                "{not json",
                "{\"type\":\"record\",\"id\":\"r1\"}",
                "{\"type\":\"chunk\",\"kb\":\"mixed\",\"document\":\"b.html\",\"ordinal\":0,\"content\":\"beta\",\"embedding\":[1,2,3]}",
                "{\"type\":\"chunk\",\"kb\":\"mixed\",\"document\":\"c.html\",\"ordinal\":0,\"embedding\":" + vector + "}",
                "{\"type\":\"chunk\",\"kb\":\"mixed\",\"document\":\"d.html\",\"ordinal\":1,\"content\":\"delta\",\"embedding\":" + vector + "}"));
        CliRunner.Result r = target.run("import", file.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.PARTIAL_IMPORT);
        assertThat(r.out()).contains("imported 2 line(s), rejected 4")
                .contains("line 2: not valid JSON").contains("line 3: field 'data' must be a JSON object")
                .contains("line 4: embedding has 3 dimensions, knowledge base mixed holds 384").contains("line 5: missing or blank field 'content'");
        assertThat(target.queryLong("SELECT count(*) FROM chunks WHERE knowledge_base = 'mixed'")).isEqualTo(2);
    }

    @Test
    void blobsRoundTripWithTheirContentInBase64AndABlobWhoseContentDoesNotMatchItsHashIsRejected(@TempDir Path dir)
            throws Exception {
        byte[] big = new byte[(1 << 20) + 12345]; // more than one 1 MiB chunk
        new java.util.Random(5).nextBytes(big);
        byte[] small = "hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Path seed = dir.resolve("blobs.jsonl");
        Files.write(seed, List.of(
                blobLine("files/big.bin", big, "application/octet-stream", "{\"n\":1}"),
                blobLine("files/hello.txt", small, "text/plain", null),
                blobLine("files/empty", new byte[0], null, null),
                "{\"type\":\"blob\",\"key\":\"bad\",\"hash\":\"" + sha256(small) + "\",\"content\":\"eHl6\"}",
                "{\"type\":\"blob\",\"key\":\"bad64\",\"content\":\"***\"}"));
        CliRunner.Result seeded = source.run("import", seed.toString());
        assertThat(seeded.exitCode()).isEqualTo(ExitCodes.PARTIAL_IMPORT);
        assertThat(seeded.out()).contains("imported 3 line(s), rejected 2")
                .contains("line 4: content does not match its hash").contains("line 5: field 'content' is not base64");

        Path file = dir.resolve("export.jsonl");
        CliRunner.Result export = source.run("export", "--types", "blob", "-o", file.toString());
        assertThat(export.exitCode()).as(export.err()).isZero();
        assertThat(Files.readAllLines(file)).hasSize(3).allMatch(l -> l.startsWith("{\"type\":\"blob\""));
        CliRunner.Result imported = target.run("import", file.toString());
        assertThat(imported.exitCode()).as(imported.out() + imported.err()).isZero();

        for (byte[] content : List.of(big, small, new byte[0])) {
            String hash = sha256(content);
            assertThat(target.queryLong("SELECT count(*) FROM blobs b JOIN blob_contents c ON c.hash = b.hash"
                    + " WHERE b.hash = '" + hash + "' AND c.size = " + content.length
                    + " AND coalesce((SELECT encode(sha256(string_agg(data, ''::bytea ORDER BY seq)), 'hex')"
                    + " FROM blob_chunks WHERE content_id = c.id), encode(sha256(''::bytea), 'hex')) = '" + hash + "'"))
                    .isEqualTo(1);
        }
        assertThat(target.queryLong("SELECT count(*) FROM blobs WHERE key = 'files/big.bin'"
                + " AND content_type = 'application/octet-stream' AND metadata = '{\"n\":1}'::jsonb")).isEqualTo(1);
    }

    private static String blobLine(String key, byte[] content, String contentType, String metadata) {
        return "{\"type\":\"blob\",\"key\":\"" + key + "\""
                + (contentType == null ? "" : ",\"contentType\":\"" + contentType + "\"")
                + (metadata == null ? "" : ",\"metadata\":" + metadata)
                + ",\"content\":\"" + java.util.Base64.getEncoder().encodeToString(content) + "\"}";
    }

    private static String sha256(byte[] content) throws java.security.NoSuchAlgorithmException {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(content));
    }

    @Test
    void definitionsRoundTripWithTheirVersionsAndPublishedVersion(@TempDir Path dir) throws IOException {
        String model = "\"model\":{\"provider\":\"openai\",\"name\":\"gpt-4o\"}";
        Path seed = dir.resolve("definitions.jsonl");
        Files.write(seed, List.of(
                "{\"type\":\"definition\",\"kind\":\"agent\",\"id\":\"support\",\"status\":\"PUBLISHED\","
                        + "\"publishedVersion\":2,\"author\":\"ana\",\"metadata\":{\"team\":\"a\"},\"versions\":["
                        + "{\"number\":1,\"content\":{\"name\":\"S\",\"instructions\":\"one\"," + model + "}},"
                        + "{\"number\":2,\"content\":{\"name\":\"S\",\"instructions\":\"two\"," + model + "},"
                        + "\"changeMessage\":\"shorter\"},"
                        + "{\"number\":3,\"content\":{\"name\":\"S\",\"instructions\":\"three\"," + model + "}}]}",
                "{\"type\":\"definition\",\"kind\":\"skill\",\"id\":\"old\",\"status\":\"ARCHIVED\",\"versions\":["
                        + "{\"number\":1,\"content\":{\"name\":\"o\",\"description\":\"d\",\"instructions\":\"i\"}}]}",
                "{\"type\":\"definition\",\"kind\":\"skill\",\"id\":\"bad\",\"versions\":["
                        + "{\"number\":1,\"content\":{\"name\":\"o\"}}]}"));
        CliRunner.Result seeded = source.run("import", "--batch", "1", seed.toString());
        assertThat(seeded.exitCode()).isEqualTo(ExitCodes.PARTIAL_IMPORT);
        assertThat(seeded.out()).contains("imported 2 line(s), rejected 1").contains("line 3: batch rejected")
                .contains("at the root: required property 'description'");

        Path file = dir.resolve("definitions-export.jsonl");
        assertThat(source.run("export", "--types", "definition", "-o", file.toString()).exitCode()).isZero();
        assertThat(Files.readAllLines(file)).hasSize(2).allMatch(l -> l.startsWith("{\"type\":\"definition\""));
        CliRunner.Result r = target.run("import", file.toString());
        assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
        assertThat(target.queryLong("SELECT published_version FROM definitions WHERE kind = 'agent' AND id = 'support'"
                + " AND status = 'PUBLISHED' AND author = 'ana' AND metadata = '{\"team\":\"a\"}'::jsonb")).isEqualTo(2);
        assertThat(target.queryLong("SELECT number FROM definition_versions WHERE definition_id = 'support'"
                + " AND change_message = 'shorter' AND content ->> 'instructions' = 'two'")).isEqualTo(2);
        assertThat(target.queryLong("SELECT count(*) FROM definition_versions WHERE definition_id = 'support'")).isEqualTo(3);
        assertThat(target.queryLong("SELECT count(*) FROM definitions WHERE kind = 'skill' AND status = 'ARCHIVED'")).isEqualTo(1);
    }

    @Test
    void datasetsRoundTripEveryItemOfEveryVersionAndExperimentsTheirResultsAndStatus(@TempDir Path dir)
            throws IOException {
        Path seed = dir.resolve("datasets.jsonl");
        Files.write(seed, List.of(
                "{\"type\":\"dataset\",\"id\":\"qa\",\"name\":\"QA\",\"description\":\"questions\","
                        + "\"metadata\":{\"team\":\"a\"},\"versions\":["
                        + "{\"version\":1,\"changes\":[{\"op\":\"add\",\"id\":\"a\",\"input\":{\"q\":\"1\"},\"expectedOutput\":\"A\"},"
                        + "{\"op\":\"add\",\"id\":\"b\",\"input\":\"2\",\"expectedOutput\":null},"
                        + "{\"op\":\"add\",\"id\":\"c\",\"input\":3}]},"
                        + "{\"version\":2,\"changes\":[{\"op\":\"update\",\"id\":\"a\",\"input\":{\"q\":\"1*\"},"
                        + "\"expectedOutput\":\"A*\",\"metadata\":{\"k\":1}},{\"op\":\"delete\",\"id\":\"b\"}]},"
                        + "{\"version\":3,\"changes\":[{\"op\":\"add\",\"id\":\"b\",\"input\":\"2 again\"}]}]}",
                "{\"type\":\"experiment\",\"id\":\"exp-1\",\"name\":\"baseline\",\"datasetId\":\"qa\",\"datasetVersion\":2,"
                        + "\"target\":{\"kind\":\"agent\",\"id\":\"support\",\"version\":1},\"status\":\"COMPLETED\","
                        + "\"metadata\":{\"run\":1},\"results\":["
                        + "{\"itemId\":\"a\",\"output\":\"A*\",\"latencyMs\":12,\"scores\":{\"accuracy\":1.0}},"
                        + "{\"itemId\":\"c\",\"latencyMs\":30000,\"error\":\"timeout\"}]}",
                "{\"type\":\"experiment\",\"id\":\"exp-2\",\"datasetId\":\"qa\",\"datasetVersion\":3,"
                        + "\"target\":{\"kind\":\"agent\",\"id\":\"support\",\"version\":2},\"status\":\"FAILED\","
                        + "\"error\":\"crashed\",\"results\":[]}",
                "{\"type\":\"dataset\",\"id\":\"gap\",\"name\":\"G\",\"versions\":["
                        + "{\"version\":2,\"changes\":[{\"op\":\"add\",\"id\":\"x\",\"input\":1}]}]}"));
        CliRunner.Result seeded = source.run("import", seed.toString());
        assertThat(seeded.exitCode()).as(seeded.out() + seeded.err()).isEqualTo(ExitCodes.PARTIAL_IMPORT);
        assertThat(seeded.out()).contains("imported 3 line(s), rejected 1")
                .contains("line 4: versions must be numbered 1, 2, 3... in order; expected 1");

        Path file = dir.resolve("datasets-export.jsonl");
        CliRunner.Result export = source.run("export", "--types", "dataset,experiment", "-o", file.toString());
        assertThat(export.exitCode()).as(export.err()).isZero();
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).startsWith("{\"type\":\"dataset\"");
        CliRunner.Result imported = target.run("import", "--batch", "1", file.toString());
        assertThat(imported.exitCode()).as(imported.out() + imported.err()).isZero();

        Path again = dir.resolve("datasets-again.jsonl");
        assertThat(target.run("export", "--types", "dataset,experiment", "-o", again.toString()).exitCode()).isZero();
        assertThat(Files.readAllLines(again)).as("the restored store exports the same lines").isEqualTo(lines);
        // every version holds the items it held: a (revised at 2), b (deleted at 2, added again at 3), c
        assertThat(target.queryLong("SELECT version FROM datasets WHERE id = 'qa' AND name = 'QA'"
                + " AND description = 'questions' AND metadata = '{\"team\":\"a\"}'::jsonb")).isEqualTo(3);
        assertThat(itemsAt(1)).isEqualTo("a={\"q\": \"1\"}|\"A\" b=\"2\"|null c=3|");
        assertThat(itemsAt(2)).isEqualTo("a={\"q\": \"1*\"}|\"A*\" c=3|");
        assertThat(itemsAt(3)).isEqualTo("a={\"q\": \"1*\"}|\"A*\" b=\"2 again\"| c=3|");
        assertThat(target.queryLong("SELECT count(*) FROM dataset_items WHERE dataset_id = 'qa' AND item_id = 'a'"
                + " AND valid_from = 2 AND metadata = '{\"k\":1}'::jsonb")).isEqualTo(1);
        assertThat(target.queryLong("SELECT count(*) FROM experiments WHERE id = 'exp-1' AND status = 'COMPLETED'"
                + " AND dataset_version = 2 AND target_id = 'support' AND name = 'baseline'")).isEqualTo(1);
        assertThat(target.queryLong("SELECT latency_ms FROM experiment_results WHERE experiment_id = 'exp-1'"
                + " AND item_id = 'c' AND error = 'timeout'")).isEqualTo(30000);
        assertThat(target.queryLong("SELECT count(*) FROM experiment_results WHERE experiment_id = 'exp-1'"
                + " AND item_id = 'a' AND output = '\"A*\"'::jsonb AND scores = '{\"accuracy\":1.0}'::jsonb")).isEqualTo(1);
        assertThat(target.queryLong("SELECT count(*) FROM experiments WHERE id = 'exp-2' AND status = 'FAILED'"
                + " AND error = 'crashed'")).isEqualTo(1);
    }

    /** The target's items of dataset qa at a version: {@code id=input|expectedOutput} by id, space-separated. */
    private static String itemsAt(int version) {
        return String.join(" ", List.of("a", "b", "c").stream()
                .filter(id -> target.queryLong("SELECT count(*) FROM dataset_items WHERE dataset_id = 'qa' AND item_id = '"
                        + id + "' AND valid_from <= " + version + " AND (valid_to IS NULL OR valid_to > " + version + ")") == 1)
                .map(id -> id + "=" + target.queryText("SELECT input::text || '|' || coalesce(expected_output::text, '')"
                        + " FROM dataset_items WHERE dataset_id = 'qa' AND item_id = '" + id + "' AND valid_from <= "
                        + version + " AND (valid_to IS NULL OR valid_to > " + version + ")"))
                .toList());
    }
}
