package dev.agentstore.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a tiny manual-like corpus (DocBook-style HTML pages, a Markdown and a text file, and a book index). */
final class TestCorpus {

    private TestCorpus() {
    }

    static String page(String title, String body) {
        return """
                <html><head><title>%s</title></head><body>
                <div class="navheader"><table><tr><td><a href="prev.html">Prev</a></td><td>Navigation Home Up</td></tr></table></div>
                <div class="sect1"><h2 class="title">%s</h2>%s</div>
                <div class="navfooter"><a href="next.html">Next</a> footer boilerplate</div>
                </body></html>""".formatted(title, title, body);
    }

    static Path write(Path dir) throws IOException {
        Files.writeString(dir.resolve("explicit-locking.html"), page("Explicit Locking", """
                <p>PostgreSQL provides advisory locks, a means for creating locks that have application-defined meanings.
                Advisory locks are called advisory because the system does not enforce their use.</p>
                <h3>Row-Level Locks</h3><p>Row-level locks do not affect data querying; they block only writers and lockers
                to the same row. FOR UPDATE causes the rows retrieved by the SELECT statement to be locked.</p>
                <pre class="programlisting">SELECT pg_advisory_lock(42);</pre>"""));
        Files.writeString(dir.resolve("routine-vacuuming.html"), page("Routine Vacuuming", """
                <p>PostgreSQL databases require periodic maintenance known as vacuuming. The autovacuum daemon automates
                the execution of VACUUM and ANALYZE commands.</p>
                <h3>Preventing Transaction ID Wraparound Failures</h3><p>Vacuum freezes old transaction identifiers so that
                wraparound does not make old rows invisible.</p>"""));
        Files.writeString(dir.resolve("sql-createindex.html"), page("CREATE INDEX", """
                <p>CREATE INDEX constructs an index on the specified column of a table. Indexes are primarily used to
                enhance database performance.</p>
                <h3>Building Indexes Concurrently</h3><p>When the CONCURRENTLY option is used, PostgreSQL builds the index
                without taking any locks that prevent concurrent inserts, updates, or deletes on the table.</p>"""));
        Files.writeString(dir.resolve("notes.md"), """
                # Release notes

                The JSONB type stores binary JSON documents; GIN indexes make containment queries fast.

                ## Tablespaces

                Tablespaces let administrators define locations in the file system for database objects.
                """);
        Files.writeString(dir.resolve("readme.txt"), "Streaming replication ships write-ahead log records to standby servers.\n");
        Files.writeString(dir.resolve("bookindex.html"), """
                <html><head><title>Index</title></head><body><div class="index"><div class="indexdiv"><h3>A</h3><dl>
                <dt id="a1">advisory lock, <a class="indexterm" href="explicit-locking.html#ADVISORY-LOCKS">Advisory Locks</a></dt>
                <dt id="a2">autovacuum</dt><dd><dl><dt>general information, <a class="indexterm" href="routine-vacuuming.html#AUTOVACUUM">The Autovacuum Daemon</a></dt></dl></dd>
                </dl></div><div class="indexdiv"><h3>C</h3><dl>
                <dt id="c1">CREATE INDEX concurrently, <a class="indexterm" href="sql-createindex.html">CREATE INDEX</a></dt>
                <dt id="c2">cross reference only</dt>
                </dl></div><div class="indexdiv"><h3>W</h3><dl>
                <dt id="w1">wraparound of transaction IDs, <a class="indexterm" href="routine-vacuuming.html#VACUUM-FOR-WRAPAROUND">Preventing Transaction ID Wraparound Failures</a></dt>
                </dl></div></div></body></html>""");
        return dir;
    }
}
