package dev.agentstore.cli;

import dev.agentstore.domain.knowledge.Embedder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class IngestAndSearchCommandTest {

    private static CliRunner cli;
    private static Path corpus;

    @BeforeAll
    static void setUp(@TempDir Path dir) throws IOException {
        cli = new CliRunner(IngestAndSearchCommandTest.class);
        corpus = TestCorpus.write(dir);
    }

    @AfterAll
    static void tearDown() {
        cli.close();
    }

    @Test
    void ingestStoresChunksAndASecondRunEmbedsNothing() {
        FakeEmbedder embedder = new FakeEmbedder();
        cli.embedder(() -> embedder);
        CliRunner.Result first = cli.run("ingest", "--kb", "manual", "--exclude", "bookindex.html", "--no-progress", corpus.toString());
        assertThat(first.exitCode()).as(first.err()).isZero();
        long stored = cli.queryLong("SELECT count(*) FROM chunks WHERE knowledge_base = 'manual'");
        assertThat(stored).isGreaterThanOrEqualTo(5);
        assertThat(first.out()).contains("ingested 5 file(s) into knowledge base manual: " + stored + " chunk(s), "
                + stored + " embedded").contains("extraction").contains("embedding").contains("database");

        int before = embedder.embedded.get();
        CliRunner.Result second = cli.run("ingest", "--kb", "manual", "--exclude", "bookindex.html", "--no-progress", corpus.toString());
        assertThat(second.exitCode()).isZero();
        assertThat(second.out()).contains("0 embedded and written, " + stored + " unchanged");
        assertThat(embedder.embedded.get()).isEqualTo(before);
        assertThat(cli.queryLong("SELECT count(*) FROM chunks WHERE knowledge_base = 'manual'")).isEqualTo(stored);
    }

    @Test
    void aChangedFileIsReembeddedAndLeftoverChunksOfAShorterFileAreDeleted(@TempDir Path dir) throws IOException {
        cli.embedder(FakeEmbedder::new);
        Files.writeString(dir.resolve("a.txt"), "First paragraph about tablespaces.\n\n" + "Long text about WAL. ".repeat(80));
        Files.writeString(dir.resolve("b.txt"), "Unchanged paragraph about roles.");
        assertThat(cli.run("ingest", "--kb", "changes", "--no-progress", dir.toString()).exitCode()).isZero();
        long before = cli.queryLong("SELECT count(*) FROM chunks WHERE knowledge_base = 'changes' AND document_id = 'a.txt'");
        assertThat(before).isGreaterThan(1);

        Files.writeString(dir.resolve("a.txt"), "Only a short paragraph now.");
        CliRunner.Result r = cli.run("ingest", "--kb", "changes", "--no-progress", dir.toString());
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("1 embedded and written, 1 unchanged (not embedded again), " + (before - 1) + " stale deleted");
        assertThat(cli.queryLong("SELECT count(*) FROM chunks WHERE knowledge_base = 'changes' AND document_id = 'a.txt'")).isEqualTo(1);
    }

    @Test
    void anInterruptedIngestKeepsCommittedBatchesAndARerunResumes(@TempDir Path dir) throws IOException {
        for (int i = 0; i < 6; i++) {
            Files.writeString(dir.resolve("doc" + i + ".txt"), "Document " + i + " about checkpoints and replication.");
        }
        AtomicInteger calls = new AtomicInteger();
        FakeEmbedder real = new FakeEmbedder();
        Embedder failing = new Embedder() {
            @Override
            public int dimension() {
                return 384;
            }

            @Override
            public String toString() {
                return "fails on the third batch";
            }

            @Override
            public float[] embed(String text) {
                if (calls.incrementAndGet() > 4) {
                    throw new IllegalStateException("killed");
                }
                return real.embed(text);
            }
        };
        cli.embedder(() -> failing);
        CliRunner.Result broken = cli.run("ingest", "--kb", "resume", "--batch", "2", "--no-progress", dir.toString());
        assertThat(broken.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(cli.queryLong("SELECT count(*) FROM chunks WHERE knowledge_base = 'resume'")).isEqualTo(4);

        FakeEmbedder resumed = new FakeEmbedder();
        cli.embedder(() -> resumed);
        CliRunner.Result rerun = cli.run("ingest", "--kb", "resume", "--batch", "2", "--no-progress", dir.toString());
        assertThat(rerun.exitCode()).isZero();
        assertThat(rerun.out()).contains("2 embedded and written, 4 unchanged");
        assertThat(resumed.embedded.get()).isEqualTo(2);
        assertThat(cli.queryLong("SELECT count(*) FROM chunks WHERE knowledge_base = 'resume'")).isEqualTo(6);
    }

    @Test
    void searchRanksTheRelevantPageFirstAndHonoursFiltersAndMmr() {
        cli.embedder(FakeEmbedder::new);
        assertThat(cli.run("ingest", "--kb", "search", "--exclude", "bookindex.html", "--no-progress", corpus.toString()).exitCode()).isZero();

        CliRunner.Result r = cli.run("search", "--kb", "search", "--k", "3", "advisory locks application-defined meanings");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out().lines().findFirst().orElseThrow()).contains("explicit-locking.html")
                .matches(" 1\\. 0\\.\\d{4} .*\\[v (\\d+|-), t (\\d+|-)]");

        CliRunner.Result vector = cli.run("search", "--kb", "search", "--mode", "vector", "--k", "3",
                "advisory locks application-defined meanings");
        assertThat(vector.out().lines().findFirst().orElseThrow()).contains("explicit-locking.html")
                .endsWith("[v 1, t -]");
        CliRunner.Result text = cli.run("search", "--kb", "search", "--mode", "TEXT", "--k", "3", "advisory locks");
        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out().lines().findFirst().orElseThrow()).endsWith("[v -, t 1]");
        CliRunner.Result badMode = cli.run("search", "--kb", "search", "--mode", "fuzzy", "vacuum");
        assertThat(badMode.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(badMode.err()).contains("--mode must be vector, text or hybrid");

        CliRunner.Result filtered = cli.run("search", "--kb", "search", "--filter", "document=routine-vacuuming.html",
                "advisory locks");
        assertThat(filtered.out().lines().filter(l -> l.matches("\\s*\\d+\\. .*")))
                .isNotEmpty().allMatch(l -> l.contains("routine-vacuuming.html"));

        CliRunner.Result mmr = cli.run("search", "--kb", "search", "--mmr", "--k", "4", "index concurrently locks");
        assertThat(mmr.exitCode()).isZero();
        assertThat(mmr.out().lines().filter(l -> l.matches("\\s*\\d+\\. .*"))).hasSize(4);

        CliRunner.Result exact = cli.run("search", "--kb", "search", "--exact", "--k", "3", "advisory locks application-defined meanings");
        assertThat(exact.out().lines().findFirst().orElseThrow()).contains("explicit-locking.html");
    }

    @Test
    void searchOfAnEmptyKnowledgeBaseOrWithABadFilterSaysWhatToDo() {
        cli.embedder(FakeEmbedder::new);
        CliRunner.Result empty = cli.run("search", "--kb", "nothing_here", "vacuum");
        assertThat(empty.exitCode()).isEqualTo(ExitCodes.CORPUS);
        assertThat(empty.err()).contains("knowledge base nothing_here is empty").contains("agentstore ingest --kb nothing_here");

        CliRunner.Result bad = cli.run("search", "--kb", "search", "--filter", "color=red", "vacuum");
        assertThat(bad.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains("document=PAGE");
    }

    @Test
    void anEmptyOrMissingCorpusExitsWithTheCorpusCode(@TempDir Path dir) throws IOException {
        CliRunner.Result missing = cli.run("ingest", "--no-progress", dir.resolve("missing").toString());
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.CORPUS);
        assertThat(missing.err()).contains("does not exist").contains("hint:");

        CliRunner.Result none = cli.run("ingest", "--no-progress", dir.toString());
        assertThat(none.exitCode()).isEqualTo(ExitCodes.CORPUS);

        Files.writeString(dir.resolve("blank.html"), "<html><body><div class=\"navheader\">Prev Next</div></body></html>");
        CliRunner.Result blank = cli.run("ingest", "--no-progress", dir.toString());
        assertThat(blank.exitCode()).isEqualTo(ExitCodes.CORPUS);
        assertThat(blank.err()).contains("holds no text");
    }
}
