package dev.agentstore.persistence;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.migrations.IndexDefinition;
import dev.agentstore.migrations.IndexInfo;
import dev.agentstore.migrations.IndexMethod;
import dev.agentstore.migrations.Migrations;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The index settings of the configuration, and what opening a store does with them. */
class IndexOptionsTest {

    private static final IndexDefinition TENANT = IndexDefinition.builder("memories_tenant_idx", "memories")
            .column("metadata->>'tenant'").where("resource_id IS NOT NULL").build();

    @Nested
    class Configuration {

        @Test
        void byDefaultNoDefaultIndexIsSkippedAndNoCustomIndexDeclared() {
            AgentStoreConfig config = AgentStoreConfig.builder().url("jdbc:postgresql://h/db").user("u").build();

            assertThat(config.indexOptions()).isEqualTo(IndexOptions.DEFAULTS);
            assertThat(config.indexOptions().skipDefaultIndexes()).isFalse();
            assertThat(config.indexOptions().indexes()).isEmpty();
        }

        @Test
        void theEnvironmentDeclaresBothAsJsonAndBoolean() {
            AgentStoreConfig config = AgentStoreConfig.builder().url("jdbc:postgresql://h/db").user("u")
                    .applyEnvironment(Map.of("AGENTSTORE_SKIP_DEFAULT_INDEXES", "true", "AGENTSTORE_INDEXES",
                            "[{\"name\":\"memories_tenant_idx\",\"table\":\"memories\","
                                    + "\"columns\":[\"metadata->>'tenant'\"],\"where\":\"resource_id IS NOT NULL\"},"
                                    + "{\"name\":\"records_data_idx\",\"table\":\"records\",\"columns\":[\"data\"],"
                                    + "\"method\":\"gin\",\"concurrently\":false}]"))
                    .build();

            assertThat(config.indexOptions().skipDefaultIndexes()).isTrue();
            assertThat(config.indexOptions().indexes()).hasSize(2);
            assertThat(config.indexOptions().indexes().get(0)).isEqualTo(TENANT);
            assertThat(config.indexOptions().indexes().get(1).method()).isEqualTo(IndexMethod.GIN);
            assertThat(config.indexOptions().indexes().get(1).concurrently()).isFalse();
        }

        @Test
        void badDeclarationsFailNamingTheVariableOrTheIndex() {
            assertThatThrownBy(() -> env("AGENTSTORE_INDEXES", "{\"name\":1}"))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_INDEXES");
            assertThatThrownBy(() -> env("AGENTSTORE_INDEXES", "[{\"name\":\"a_idx\",\"table\":\"memories\","
                    + "\"columns\":[\"id\"],\"tablespace\":\"x\"}]"))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_INDEXES");
            assertThatThrownBy(() -> env("AGENTSTORE_INDEXES", "[{\"name\":\"a_idx\",\"table\":\"memories\","
                    + "\"columns\":[\"id\"],\"method\":\"gist\"}]"))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("btree, hash, gin or brin");
            assertThatThrownBy(() -> env("AGENTSTORE_INDEXES", "[{\"name\":\"a_idx\",\"table\":\"memories\","
                    + "\"columns\":[\"id\"],\"where\":\"id = '1' OR true\"}]"))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("indexes[a_idx].where");
            assertThatThrownBy(() -> env("AGENTSTORE_SKIP_DEFAULT_INDEXES", "yes"))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("AGENTSTORE_SKIP_DEFAULT_INDEXES");
        }

        @Test
        void aCustomIndexMustBeOnOneOfAgentstoresTables() {
            IndexDefinition elsewhere = IndexDefinition.builder("users_idx", "users").column("id").build();

            assertThatThrownBy(() -> IndexOptions.DEFAULTS.with(elsewhere))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("indexes[users_idx].table").hasMessageContaining("memories");
            assertThat(IndexOptions.agentStoreTables()).hasSize(AgentStore.ENTITY_CLASSES.size());
        }

        private static AgentStoreConfig env(String name, String value) {
            return AgentStoreConfig.builder().url("jdbc:postgresql://h/db").user("u")
                    .applyEnvironment(Map.of(name, value)).build();
        }
    }

    @Nested
    class Opening {

        @Test
        void aStoreOpenedWithTheOptionsSkipsTheDefaultIndexesAndCreatesTheCustomOnes() {
            String schema = AgentStoreExtension.uniqueSchema(IndexOptionsTest.class);
            AgentStoreConfig config = AgentStoreExtension.testConfig(schema)
                    .indexOptions(IndexOptions.DEFAULTS.withSkipDefaultIndexes(true).with(TENANT)).build();
            try (AgentStore store = AgentStore.open(config)) {
                try {
                    List<IndexInfo> indexes = store.indexes().list();
                    assertThat(indexes).filteredOn(i -> i.kind() == IndexInfo.Kind.DEFAULT).isEmpty();
                    assertThat(indexes).filteredOn(i -> i.kind() == IndexInfo.Kind.CUSTOM)
                            .extracting(IndexInfo::name).containsExactly("memories_tenant_idx");

                    store.memories().saveThread("t1", "r1", "title", JsonNodeFactory.instance.objectNode()
                            .put("tenant", "acme"));
                    assertThat(store.memories().findThread("t1")).isPresent();

                    assertThat(store.migrations().createDefaultIndexes())
                            .containsExactlyInAnyOrderElementsOf(Migrations.defaultIndexNames());
                    assertThat(store.indexes().list()).filteredOn(i -> i.kind() == IndexInfo.Kind.DEFAULT)
                            .hasSize(Migrations.defaultIndexNames().size());
                } finally {
                    AgentStoreExtension.dropSchema(store.dataSource(), schema);
                }
            }
        }

        @Test
        void aCustomIndexOnAMissingColumnFailsTheOpenAsBadInput() {
            String schema = AgentStoreExtension.uniqueSchema(IndexOptionsTest.class);
            AgentStoreConfig config = AgentStoreExtension.testConfig(schema)
                    .indexOptions(IndexOptions.DEFAULTS.with(IndexDefinition.builder("memories_x_idx", "memories")
                            .column("no_such_column").build())).build();
            PGSimpleDataSource admin = new PGSimpleDataSource();
            admin.setURL(AgentStoreExtension.testUrl());
            admin.setUser(config.user().orElseThrow());
            admin.setPassword(config.password().orElseThrow());
            try {
                assertThatThrownBy(() -> AgentStore.open(config))
                        .isInstanceOf(InvalidInputException.class).hasMessageContaining("no column no_such_column");
                assertThat(new dev.agentstore.migrations.Indexes(admin, schema).list())
                        .extracting(IndexInfo::name).doesNotContain("memories_x_idx");
            } finally {
                AgentStoreExtension.dropSchema(admin, schema);
            }
        }
    }
}
