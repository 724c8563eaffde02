package dev.agentstore.migrations;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Release 0.5's move of templates and configurations into the versioned definitions (kinds {@code template} and
 * {@code configuration}): the rows of 0.4's tables become versions with their numbers, times and ids, the views keep
 * the old columns, and rolling back to 0.4 restores the tables with every row, also rows written after the upgrade.
 */
class DefinitionKindsMigrationTest extends UpgradeFrom04Test {

    private static final String TEMPLATES = "SELECT id, identifier, revision, description, content,"
            + " CAST(variables AS text), CAST(meta AS text), created FROM %s.templates ORDER BY id";
    private static final String CONFIGURATIONS = "SELECT id, identifier, revision, CAST(content AS text), created"
            + " FROM %s.configurations ORDER BY id";

    @Override
    String prefix() {
        return "t_kindmig";
    }

    /** Two templates (three revisions) and one configuration (two snapshots). */
    @Override
    void seed(String s) throws SQLException {
        execute("INSERT INTO " + s + ".templates (identifier, revision, description, content, variables, meta,"
                + " created) VALUES ('greet', 1, NULL, 'Hello', '{}', '{}', '2026-01-01T00:00:00Z'),"
                + " ('greet', 2, 'a greeting', 'Hello {{name}}', '{\"name\": {\"type\": \"string\"}, \"n\": null}',"
                + " '{\"price\": 1.50}', '2026-01-02T00:00:00.123456Z'),"
                + " ('bye', 1, NULL, 'Bye', '{}', '{}', '2026-01-03T00:00:00Z')");
        execute("INSERT INTO " + s + ".configurations (identifier, revision, content, created) VALUES"
                + " ('llm', 1, '{\"model\": \"a\"}', '2026-01-01T00:00:00Z'),"
                + " ('llm', 2, '{\"model\": \"b\", \"t\": [1, null]}', '2026-01-02T00:00:00Z')");
    }

    @Nested
    class Up {

        @Test
        void carriesEveryRevisionIntoTheDefinitionsAndTheViewsShowTheSameRows() throws SQLException {
            List<String> templates = rows(TEMPLATES);
            List<String> configurations = rows(CONFIGURATIONS);

            migrations.up();

            assertThat(rows(TEMPLATES)).isEqualTo(templates);
            assertThat(rows(CONFIGURATIONS)).isEqualTo(configurations);
            assertThat(rows("SELECT relname, relkind FROM pg_class WHERE relname IN ('templates',"
                    + " 'configurations') AND relnamespace = '%s'::regnamespace ORDER BY relname"))
                    .containsExactly("configurations v", "templates v");
            assertThat(rows("SELECT kind, id, status, latest_version, published_version FROM %s.definitions"
                    + " ORDER BY kind, id"))
                    .containsExactly("configuration llm DRAFT 2 null", "template bye DRAFT 1 null",
                            "template greet DRAFT 2 null");
            assertThat(rows("SELECT CAST(content AS text) FROM %s.definition_versions"
                    + " WHERE kind = 'template' AND definition_id = 'greet' ORDER BY number"))
                    .containsExactly("{\"meta\": {}, \"content\": \"Hello\", \"variables\": {}}",
                            "{\"meta\": {\"price\": 1.50}, \"content\": \"Hello {{name}}\", \"variables\": {\"n\":"
                                    + " null, \"name\": {\"type\": \"string\"}}, \"description\": \"a greeting\"}");
        }

        @Test
        void newVersionsTakeTheirIdsFromTheKeptSequences() throws SQLException {
            long maxId = Long.parseLong(rows("SELECT max(id) FROM %s.templates").get(0));
            migrations.up();

            insertTemplateVersion("bye", 2, "Bye!");

            assertThat(rows("SELECT id, revision, content FROM %s.templates WHERE identifier = 'bye'"
                    + " ORDER BY revision")).containsExactly(rows("SELECT id FROM %s.templates WHERE identifier ="
                    + " 'bye' AND revision = 1").get(0) + " 1 Bye", (maxId + 1) + " 2 Bye!");
        }
    }

    @Nested
    class Rollback {

        @Test
        void restoresTheTablesWithEveryRowTheirIndexesAndOwnedSequences() throws SQLException {
            migrations.up();
            insertTemplateVersion("bye", 2, "Bye!");
            List<String> templates = rows(TEMPLATES);
            List<String> configurations = rows(CONFIGURATIONS);

            migrations.rollbackToTag("0.4");

            assertThat(rows("SELECT relname, relkind FROM pg_class WHERE relname IN ('templates',"
                    + " 'configurations') AND relnamespace = '%s'::regnamespace ORDER BY relname"))
                    .containsExactly("configurations r", "templates r");
            assertThat(rows(TEMPLATES)).hasSize(4).isEqualTo(templates);
            assertThat(rows(CONFIGURATIONS)).isEqualTo(configurations);
            assertThat(rows("SELECT indexname FROM pg_indexes WHERE schemaname = '%s' AND tablename IN"
                    + " ('templates', 'configurations') AND indexname LIKE '%%identifier_revision_idx'"
                    + " ORDER BY indexname")).containsExactly("configurations_identifier_revision_idx",
                    "templates_identifier_revision_idx");
            assertThat(rows("SELECT pg_get_serial_sequence('%1$s.templates', 'id'),"
                    + " pg_get_serial_sequence('%1$s.configurations', 'id')"))
                    .containsExactly(migrations.schema() + ".templates_seq " + migrations.schema()
                            + ".configurations_seq");

            migrations.up();
            assertThat(rows(TEMPLATES)).as("up again").isEqualTo(templates);
        }
    }

    /** Writes a version as the repositories do: the definition's number, then the version with its seq_id. */
    private void insertTemplateVersion(String id, int number, String content) throws SQLException {
        String s = migrations.schema();
        execute("UPDATE " + s + ".definitions SET latest_version = " + number
                + " WHERE kind = 'template' AND id = '" + id + "'");
        execute("INSERT INTO " + s + ".definition_versions (kind, definition_id, number, content, created, seq_id)"
                + " VALUES ('template', '" + id + "', " + number + ", jsonb_build_object('content', '" + content
                + "', 'variables', '{}'::jsonb, 'meta', '{}'::jsonb), '2026-02-01T00:00:00Z',"
                + " nextval('" + s + ".templates_seq'))");
    }
}
