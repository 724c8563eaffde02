package dev.agentstore.migrations;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Custom index definitions: validated and rendered without a database. */
class IndexDefinitionTest {

    private static IndexDefinition.Builder memories() {
        return IndexDefinition.builder("memories_tenant_idx", "memories");
    }

    @Nested
    class Rendering {

        @Test
        void columnsAndJsonPathsBecomeKeyParts() {
            IndexDefinition d = memories().column("metadata->>'tenant'").column("created_at DESC").build();

            assertThat(d.createSql("s")).isEqualTo(
                    "CREATE INDEX memories_tenant_idx ON s.memories USING btree ((metadata ->> 'tenant'), created_at DESC)");
            assertThat(d.referencedColumns()).containsExactly("metadata", "created_at");
        }

        @Test
        void nestedPathsUniqueMethodsAndPartialPredicatesAreRenderedFromTheParsedForm() {
            IndexDefinition d = IndexDefinition.builder("records_kind_idx", "records")
                    .column("data -> 'a' -> 'b' ->> 'kind'").unique(true)
                    .where("metadata->>'tenant' = 'acme-1' and  created_at IS NOT NULL AND data->>'n' >= -1.5"
                            + " AND data->>'s' NOT IN ('x', 'y') AND NOT archived")
                    .build();

            assertThat(d.createSql(null)).isEqualTo("CREATE UNIQUE INDEX records_kind_idx ON records USING btree"
                    + " ((data -> 'a' -> 'b' ->> 'kind')) WHERE (metadata ->> 'tenant') = 'acme-1' AND created_at IS"
                    + " NOT NULL AND (data ->> 'n') >= -1.5 AND (data ->> 's') NOT IN ('x', 'y') AND NOT archived");
            assertThat(d.referencedColumns()).containsExactly("data", "metadata", "created_at", "archived");
        }

        @Test
        void aChunkPayloadPathBecomesATextKeyPerKnowledgeBase() {
            assertThat(IndexDefinition.chunkPayload("chunks_source_idx", "source").createSql("s")).isEqualTo(
                    "CREATE INDEX chunks_source_idx ON s.chunks USING btree (knowledge_base, (payload ->> 'source'))");
            assertThat(IndexDefinition.chunkPayload("chunks_ab_idx", "a.b_2").createSql(null)).isEqualTo(
                    "CREATE INDEX chunks_ab_idx ON chunks USING btree (knowledge_base, (payload -> 'a' ->> 'b_2'))");
        }

        @Test
        void theBuilderDefaultsToAConcurrentNonUniqueBtreeWithoutPredicate() {
            IndexDefinition d = memories().column("resource_id").method(IndexMethod.HASH).build();

            assertThat(d.concurrently()).isTrue();
            assertThat(d.unique()).isFalse();
            assertThat(d.where()).isEmpty();
            assertThat(d.createSql("s")).endsWith("USING hash (resource_id)");
        }
    }

    @Nested
    class Rejection {

        @ParameterizedTest
        @ValueSource(strings = {"Bad", "1idx", "pg_idx", "chunks_ann_docs", "select", "flows_last_run_at_idx",
                "a-b", "a; drop table x"})
        void namesOutsideThePatternOrReservedAreRejected(String name) {
            assertThatThrownBy(() -> IndexDefinition.builder(name, "memories").column("id").build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("indexes");
        }

        @ParameterizedTest
        @ValueSource(strings = {"memories; DROP TABLE x", "databasechangelog", "Memories", ""})
        void tablesOutsideThePatternAreRejected(String table) {
            assertThatThrownBy(() -> IndexDefinition.builder("x_idx", table).column("id").build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("indexes[x_idx].table");
        }

        @ParameterizedTest
        @ValueSource(strings = {"lower(title)", "metadata->>'a''b'", "metadata->>'te nant'", "metadata->>tenant",
                "id); DROP TABLE memories; --", "id COLLATE \"C\"", "metadata #>> '{a}'", "id ASC NULLS FIRST",
                "metadata->>'a'->'b'", "\"id\"", "id::text"})
        void keyPartsOutsideTheGrammarAreRejected(String keyPart) {
            assertThatThrownBy(() -> memories().column(keyPart).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("indexes[memories_tenant_idx].columns[0]");
        }

        @ParameterizedTest
        @ValueSource(strings = {"true", "id = 'a' OR id = 'b'", "id = 'it''s'", "id = 'a'; DROP TABLE x",
                "id = lower('a')", "id = (SELECT 1)", "id = 'x' --", "id = 'a\\b'", "metadata->>'k' = $1",
                "id IN ()", "metadata->>'k'", "id = 1e9", "id = 'a' AND", "id IS 'a'", "pg_sleep(1) IS NULL",
                "id = \"x\""})
        void predicatesOutsideTheGrammarAreRejected(String where) {
            assertThatThrownBy(() -> memories().column("id").where(where).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("indexes[memories_tenant_idx].where");
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "a-b", "a.", ".a", "a..b", "1a", "a'b", "a b", "payload->>'x'",
                "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q"})
        void chunkPayloadPathsOutsideThePatternAreRejected(String path) {
            assertThatThrownBy(() -> IndexDefinition.chunkPayload("chunks_x_idx", path))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("indexes[chunks_x_idx].path");
        }

        @Test
        void methodRulesAreCheckedBeforeTheDatabaseSeesThem() {
            assertThatThrownBy(() -> memories().column("metadata").method(IndexMethod.GIN).unique(true).build())
                    .hasMessageContaining("btree");
            assertThatThrownBy(() -> memories().column("id").column("title").method(IndexMethod.HASH).build())
                    .hasMessageContaining("one key part");
            assertThatThrownBy(() -> memories().column("created_at DESC").method(IndexMethod.BRIN).build())
                    .hasMessageContaining("btree");
            assertThatThrownBy(() -> memories().build()).hasMessageContaining("1 to 32");
        }
    }
}
