package dev.agentstore.cli.ingest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExtractionAndChunkingTest {

    private static final String PAGE = """
            <html><head><title>Explicit Locking</title><script>var x = 1;</script></head><body>
            <div class="navheader"><a href="prev.html">Prev</a> Up Home</div>
            <div class="toc"><dl><dt>13.3.1. Table-Level Locks</dt></dl></div>
            <h2>13.3. Explicit Locking</h2><p>PostgreSQL provides various lock modes.</p>
            <h3>13.3.5. Advisory Locks</h3><p>Advisory locks have <code>application-defined</code> meanings.</p>
            <pre>SELECT pg_advisory_lock(1);
            SELECT pg_advisory_unlock(1);</pre>
            <table><tr><th>Mode</th><th>Conflicts</th></tr><tr><td>ACCESS SHARE</td><td>ACCESS EXCLUSIVE</td></tr></table>
            <div class="navfooter">Next footer</div></body></html>""";

    @Test
    void htmlExtractionKeepsHeadingsParagraphsCodeAndTablesAndDropsNavigation() {
        SourceDocument doc = new HtmlExtractor().extract("explicit-locking.html", PAGE, "x.html");
        assertThat(doc.title()).isEqualTo("Explicit Locking");
        assertThat(doc.blocks()).extracting(Block::text).containsExactly(
                "PostgreSQL provides various lock modes.",
                "Advisory locks have application-defined meanings.",
                "SELECT pg_advisory_lock(1);\nSELECT pg_advisory_unlock(1);",
                "Mode | Conflicts",
                "ACCESS SHARE | ACCESS EXCLUSIVE");
        assertThat(doc.blocks()).extracting(Block::heading)
                .containsExactly("13.3. Explicit Locking", "13.3.5. Advisory Locks", "13.3.5. Advisory Locks",
                        "13.3.5. Advisory Locks", "13.3.5. Advisory Locks");
        assertThat(doc.blocks()).extracting(Block::text).noneMatch(t -> t.contains("Prev") || t.contains("footer")
                || t.contains("var x") || t.contains("Table-Level"));
    }

    @Test
    void markdownHeadingsStartSectionsAndFencesStayWhole() {
        SourceDocument doc = new TextExtractor().extract("n.md", """
                # Guide

                First paragraph
                continues here.

                ## Code

                ```sql
                SELECT 1;

                SELECT 2;
                ```
                """, true, "n.md");
        assertThat(doc.title()).isEqualTo("Guide");
        assertThat(doc.blocks()).containsExactly(new Block("Guide", "First paragraph continues here."),
                new Block("Code", "```sql\nSELECT 1;\n\nSELECT 2;\n```"));
    }

    @Test
    void chunksStayNearTheTargetSizeWithinOneSectionAndOverlap() {
        String sentence = "Vacuum reclaims storage occupied by dead tuples in every table of the database. ";
        List<Block> blocks = List.of(new Block("Vacuum", sentence.repeat(30)), new Block("Analyze", "ANALYZE collects statistics."));
        List<Chunk> chunks = new Chunker(800, 150).chunk(new SourceDocument("v.html", "Routine Vacuuming", blocks));
        List<Chunk> vacuum = chunks.stream().filter(c -> c.heading().equals("Vacuum")).toList();
        assertThat(vacuum).hasSizeGreaterThan(2);
        assertThat(vacuum).allSatisfy(c -> assertThat(c.content().length()).isLessThanOrEqualTo(800 + 150 + 60));
        assertThat(chunks.get(chunks.size() - 1).content()).isEqualTo("Routine Vacuuming — Analyze\nANALYZE collects statistics.");
        assertThat(chunks).extracting(Chunk::ordinal).containsExactly(
                java.util.stream.IntStream.range(0, chunks.size()).boxed().toArray(Integer[]::new));
        // the second chunk starts with the end of the first
        String firstBody = vacuum.get(0).content().substring(vacuum.get(0).content().indexOf('\n') + 1);
        String secondBody = vacuum.get(1).content().substring(vacuum.get(1).content().indexOf('\n') + 1);
        assertThat(secondBody.indexOf('\n')).isBetween(100, 151);
        assertThat(firstBody).endsWith(secondBody.substring(0, secondBody.indexOf('\n')));
    }

    @Test
    void contentHashIsStableAndChangesWithContent() {
        SourceDocument doc = new SourceDocument("a.txt", "a.txt", List.of(new Block("a.txt", "hello world")));
        Chunk a = new Chunker().chunk(doc).get(0);
        Chunk b = new Chunker().chunk(doc).get(0);
        Chunk c = new Chunker().chunk(new SourceDocument("a.txt", "a.txt", List.of(new Block("a.txt", "hello there")))).get(0);
        assertThat(a.contentHash()).isEqualTo(b.contentHash()).hasSize(64).isNotEqualTo(c.contentHash());
    }

    @Test
    void bookIndexTermsCarryTheirLinkedPagesWithoutFragments() {
        List<BookIndex.Entry> entries = BookIndex.parse("""
                <div class="index"><div class="indexdiv"><h3>A</h3><dl>
                <dt id="x">advisory lock, <a class="indexterm" href="explicit-locking.html#ADVISORY-LOCKS">Advisory Locks</a></dt>
                <dt id="y">aggregate function</dt><dd><dl>
                  <dt>built-in, <a class="indexterm" href="functions-aggregate.html">Aggregate Functions</a></dt>
                  <dt>invocation, <a class="indexterm" href="sql-expressions.html#SYNTAX-AGGREGATES">Aggregate Expressions</a></dt>
                </dl></dd>
                <dt id="z">see only</dt>
                </dl></div></div>""");
        assertThat(entries).containsExactly(
                new BookIndex.Entry("advisory lock", java.util.Set.of("explicit-locking.html")),
                new BookIndex.Entry("aggregate function", java.util.Set.of("functions-aggregate.html", "sql-expressions.html")));
    }

    @Test
    void corpusFindsSupportedFilesRecursivelyAndHonoursExcludes(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("a.html"), "<p>a</p>");
        Files.writeString(dir.resolve("bookindex.html"), "<p>index</p>");
        Files.writeString(dir.resolve("sub/b.md"), "b");
        Files.writeString(dir.resolve("c.pdf"), "binary");
        Corpus corpus = Corpus.of(List.of(dir), List.of("bookindex.html"));
        assertThat(corpus.files()).extracting(Corpus.SourceFile::id).containsExactly("a.html", "sub/b.md");
    }

    @Test
    void missingPathAndEmptyDirectoryAreCorpusErrors(@TempDir Path dir) {
        assertThatThrownBy(() -> Corpus.of(List.of(dir.resolve("nope")), List.of()))
                .isInstanceOf(Corpus.CorpusException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> Corpus.of(List.of(dir), List.of()))
                .isInstanceOf(Corpus.CorpusException.class).hasMessageContaining("no HTML, Markdown or text files");
    }
}
