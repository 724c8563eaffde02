package dev.agentstore.migrations;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code docs/scale-out.md} against the schema the migrations create: every table (partitioned tables once, without
 * their partitions; without Liquibase's own tables) has a row in the document's table of distribution keys, and the
 * document names no table that the migrations no longer create.
 */
class ScaleOutDocumentTest {

    /** The heading of the section whose Markdown table lists every table, first column the name in backticks. */
    static final String SECTION = "## Every table";

    private static final Path DOCUMENT = Path.of("..", "docs", "scale-out.md");
    private static final Pattern ROW = Pattern.compile("^\\|\\s*`([a-z_][a-z0-9_]*)`\\s*\\|");
    private static final Set<String> LIQUIBASE = Set.of("databasechangelog", "databasechangeloglock");

    private static TestSchemas schemas;
    private static Set<String> tables;
    private static Set<String> documented;

    @BeforeAll
    static void migrateAndRead() throws SQLException, IOException {
        schemas = new TestSchemas();
        Migrations migrations = new Migrations(schemas.dataSource, schemas.fresh("t_scaleout"));
        migrations.up();
        tables = tables(migrations.schema());
        documented = documentedTables(Files.readAllLines(DOCUMENT));
    }

    @AfterAll
    static void close() throws SQLException {
        schemas.close();
    }

    @Nested
    class EveryTable {

        @Test
        void hasARowInTheDocument() {
            Set<String> missing = new TreeSet<>(tables);
            missing.removeAll(documented);

            assertThat(missing).as("tables the migrations create without a row in docs/scale-out.md, section \""
                    + SECTION + "\": add one per table (name in backticks, distribution column or 'reference',"
                    + " co-location group, the queries that stay single-shard and those that fan out, what its"
                    + " keys would need), and the table to the co-location and schema-change sections if it"
                    + " joins one").isEmpty();
        }

        @Test
        void theSchemaHasTheTablesOfEveryDomain() {
            // guards the query above: a wrong catalog filter would list nothing and pass the other tests
            assertThat(tables).contains("flow_runs", "flow_events", "chunks", "spans", "scheduler_jobs")
                    .doesNotContain("databasechangelog", "flow_events_default");
        }
    }

    @Nested
    class TheDocument {

        @Test
        void namesNoTableThatNoLongerExists() {
            Set<String> stale = new TreeSet<>(documented);
            stale.removeAll(tables);

            assertThat(stale).as("docs/scale-out.md, section \"" + SECTION + "\", lists tables the migrations no"
                    + " longer create: remove their rows (and their mentions in the co-location groups)").isEmpty();
        }

        @Test
        void listsEachTableOnce() throws IOException {
            List<String> rows = rows(Files.readAllLines(DOCUMENT));

            assertThat(rows).as("rows of the section \"" + SECTION + "\"").doesNotHaveDuplicates();
        }
    }

    @Nested
    class Parsing {

        @Test
        void readsOnlyTheFirstColumnOfTheSectionsTableInOrder() {
            List<String> lines = List.of("# Title", "| `outside` | before the section |", SECTION, "",
                    "| table | kind |", "|---|---|", "| `flows` | reference |", "| `flow_runs` | distributed |",
                    "| see `chunks` | not a first column |", "## Co-location groups", "| `spans` | after it |");

            assertThat(rows(lines)).containsExactly("flows", "flow_runs");
        }
    }

    /** @return the names in the first column of the section's Markdown table, in order */
    static List<String> rows(List<String> lines) {
        List<String> names = new ArrayList<>();
        boolean inSection = false;
        for (String line : lines) {
            if (line.startsWith("## ")) {
                inSection = line.strip().equals(SECTION);
                continue;
            }
            Matcher m = ROW.matcher(line);
            if (inSection && m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    private static Set<String> documentedTables(List<String> lines) {
        List<String> names = rows(lines);
        assertThat(names).as("docs/scale-out.md has a section \"" + SECTION + "\" with a Markdown table").isNotEmpty();
        return new TreeSet<>(names);
    }

    /** @return the ordinary and partitioned tables of {@code schema}, without partitions and Liquibase's tables */
    private static Set<String> tables(String schema) throws SQLException {
        Set<String> names = new TreeSet<>();
        try (Connection c = schemas.dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE n.nspname = ? AND c.relkind IN ('r', 'p') AND NOT c.relispartition")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        }
        names.removeAll(LIQUIBASE);
        return names;
    }
}
