package dev.agentstore.migrations;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Custom indexes reconciled against the real PostgreSQL, on one migrated schema per test class. */
class IndexesTest {

    private static TestSchemas schemas;
    private static String schema;

    @BeforeAll
    static void migrate() {
        schemas = new TestSchemas();
        schema = schemas.fresh("t_indexes");
        new Migrations(schemas.dataSource, schema).up();
    }

    @AfterAll
    static void close() throws SQLException {
        schemas.close();
    }

    private static Indexes indexes() {
        return new Indexes(schemas.dataSource, schema);
    }

    private static IndexDefinition tenant(String name) {
        return IndexDefinition.builder(name, "memories").column("metadata->>'tenant'").column("created_at DESC")
                .where("resource_id IS NOT NULL AND metadata->>'tier' IN ('gold', 'silver')").build();
    }

    private static IndexInfo info(String name) {
        return indexes().list().stream().filter(i -> i.name().equals(name)).findFirst().orElseThrow();
    }

    @Nested
    class Ensure {

        @Test
        void aMissingIndexIsCreatedAsDeclaredThenFoundPresent() {
            IndexDefinition d = tenant("memories_tenant_idx");

            assertThat(indexes().ensure(d)).extracting(IndexStatus::state).containsExactly(IndexStatus.State.CREATED);
            assertThat(indexes().ensure(d)).extracting(IndexStatus::state).containsExactly(IndexStatus.State.PRESENT);

            IndexInfo created = info("memories_tenant_idx");
            assertThat(created.kind()).isEqualTo(IndexInfo.Kind.CUSTOM);
            assertThat(created.valid()).isTrue();
            assertThat(created.definition()).contains("((metadata ->> 'tenant'::text)), created_at DESC")
                    .contains("WHERE ((resource_id IS NOT NULL)");
        }

        @Test
        void everyMethodUniqueAndNonConcurrentBuildsWork() throws SQLException {
            List<IndexStatus> statuses = indexes().ensure(
                    IndexDefinition.builder("records_kind_hash_idx", "records").column("data->>'kind'")
                            .method(IndexMethod.HASH).build(),
                    IndexDefinition.builder("records_tags_gin_idx", "records").column("data->'tags'")
                            .method(IndexMethod.GIN).concurrently(false).build(),
                    IndexDefinition.builder("flow_events_ts_brin_custom", "flow_events").column("ts")
                            .method(IndexMethod.BRIN).build(),
                    IndexDefinition.builder("records_external_key", "records").column("data->>'externalId'")
                            .unique(true).where("data->>'externalId' IS NOT NULL").build());

            assertThat(statuses).extracting(IndexStatus::state).containsOnly(IndexStatus.State.CREATED);
            assertThat(info("records_kind_hash_idx").method()).isEqualTo("hash");
            assertThat(info("records_tags_gin_idx").method()).isEqualTo("gin");
            assertThat(info("flow_events_ts_brin_custom").method()).isEqualTo("brin");
            assertThat(info("records_external_key").unique()).isTrue();

            schemas.execute("INSERT INTO " + schema + ".records (id, data, created_at, updated_at) VALUES"
                    + " ('r1', '{\"externalId\": \"e1\"}', now(), now())");
            assertThatThrownBy(() -> schemas.execute("INSERT INTO " + schema + ".records (id, data, created_at,"
                    + " updated_at) VALUES ('r2', '{\"externalId\": \"e1\"}', now(), now())"))
                    .hasMessageContaining("records_external_key");
        }

        @Test
        void aDifferentDefinitionUnderTheSameNameIsReportedNotReplaced() {
            indexes().ensure(IndexDefinition.builder("memories_title_idx", "memories").column("title").build());
            String before = info("memories_title_idx").definition();

            List<IndexStatus> statuses = indexes().ensure(
                    IndexDefinition.builder("memories_title_idx", "memories").column("title DESC").build());

            assertThat(statuses.get(0).state()).isEqualTo(IndexStatus.State.DIFFERENT);
            assertThat(statuses.get(0).detail()).contains("another declaration").contains(before);
            assertThat(info("memories_title_idx").definition()).isEqualTo(before);
        }

        @Test
        void anIndexCreatedOutsideEnsureUnderADeclaredNameIsReported() throws SQLException {
            schemas.execute("CREATE INDEX kv_value_idx ON " + schema + ".kv_entries (updated_at)");

            List<IndexStatus> statuses = indexes().ensure(
                    IndexDefinition.builder("kv_value_idx", "kv_entries").column("updated_at").build());

            assertThat(statuses.get(0).state()).isEqualTo(IndexStatus.State.DIFFERENT);
            assertThat(statuses.get(0).detail()).contains("not created from a declaration");
            assertThat(info("kv_value_idx").kind()).isEqualTo(IndexInfo.Kind.OTHER);
        }

        @Test
        void anUnknownTableOrColumnFailsBeforeAnyIndexIsBuilt() {
            IndexDefinition good = IndexDefinition.builder("triggers_scope_idx", "triggers").column("scope").build();

            assertThatThrownBy(() -> indexes().ensure(good,
                    IndexDefinition.builder("nope_idx", "no_such_table").column("id").build()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("indexes[nope_idx].table").hasMessageContaining("memories");
            assertThatThrownBy(() -> indexes().ensure(good,
                    IndexDefinition.builder("memories_x_idx", "memories").column("id").where("tenant = 'a'").build()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("has no column tenant");
            assertThatThrownBy(() -> indexes().ensure(
                    IndexDefinition.builder("x_idx", "databasechangeloglock").column("id").build()))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> indexes().ensure(good, good)).hasMessageContaining("declared twice");

            assertThat(indexes().list()).extracting(IndexInfo::name).doesNotContain("triggers_scope_idx");
        }

        @Test
        void aFailedConcurrentBuildLeavesNoInvalidIndexBehind() throws SQLException {
            schemas.execute("INSERT INTO " + schema + ".kv_entries (key, value) VALUES ('k1', '1'), ('k2', '1')");

            assertThatThrownBy(() -> indexes().ensure(IndexDefinition.builder("kv_value_unique", "kv_entries")
                    .column("value").unique(true).build()))
                    .isInstanceOf(MigrationException.class)
                    .hasMessageContaining("kv_value_unique");

            assertThat(indexes().list()).extracting(IndexInfo::name).doesNotContain("kv_value_unique");
        }
    }

    @Nested
    class ListIndexes {

        @Test
        void everyIndexOfTheAgentstoreTablesIsListedWithItsKind() {
            List<IndexInfo> all = indexes().list();

            assertThat(all).extracting(IndexInfo::table).doesNotContain("databasechangelog", "databasechangeloglock");
            assertThat(info("flows_pkey").kind()).isEqualTo(IndexInfo.Kind.CONSTRAINT);
            assertThat(info("definition_versions_number_uq").kind()).isEqualTo(IndexInfo.Kind.CONSTRAINT);
            assertThat(info("flows_last_run_at_idx").kind()).isEqualTo(IndexInfo.Kind.DEFAULT);
            assertThat(all).filteredOn(i -> i.kind() == IndexInfo.Kind.DEFAULT).extracting(IndexInfo::name)
                    .containsExactlyInAnyOrderElementsOf(Migrations.defaultIndexNames());
            assertThat(info("flows_pkey").sizeBytes()).isPositive();
        }
    }
}
