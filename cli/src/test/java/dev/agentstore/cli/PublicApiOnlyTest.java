package dev.agentstore.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CLI is a plain user of the library's public API: its main code names no JDBC type (no {@code java.sql} or
 * {@code javax.sql}, imported or written out), no driver class ({@code org.postgresql}, {@code com.pgvector}) and
 * imports no Hibernate type (JPA query hints by name are fine); whatever it needs from the database, the library
 * provides.
 */
class PublicApiOnlyTest {

    private static final Path MAIN = Path.of("src", "main", "java");
    private static final Pattern FORBIDDEN = Pattern.compile("\\b(java\\.sql|javax\\.sql|org\\.postgresql|com\\.pgvector)\\."
            + "|\\bimport\\s+(static\\s+)?org\\.hibernate\\.");

    @Test
    void noMainFileUsesJdbcTheDriverOrHibernate() throws IOException {
        assertThat(MAIN).isDirectory();
        List<String> offenders;
        try (Stream<Path> files = Files.walk(MAIN)) {
            offenders = files.filter(f -> f.toString().endsWith(".java"))
                    .flatMap(f -> lines(f).stream().filter(l -> FORBIDDEN.matcher(l).find()).map(l -> f + ": " + l.trim()))
                    .toList();
        }
        assertThat(offenders).as("main code that reaches the database beside the library").isEmpty();
    }

    @Test
    void theScanFindsAForbiddenImport() {
        assertThat(FORBIDDEN.matcher("import java.sql.Connection;").find()).isTrue();
        assertThat(FORBIDDEN.matcher("import javax.sql.DataSource;").find()).isTrue();
        assertThat(FORBIDDEN.matcher("var ds = new org.postgresql.ds.PGSimpleDataSource();").find()).isTrue();
        assertThat(FORBIDDEN.matcher("import org.hibernate.Session;").find()).isTrue();
        assertThat(FORBIDDEN.matcher("import dev.agentstore.persistence.AgentStore;").find()).isFalse();
        assertThat(FORBIDDEN.matcher(".setHint(\"org.hibernate.fetchSize\", 500)").find()).isFalse();
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
