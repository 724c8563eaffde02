package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.knowledge.ChunkMatch;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.NewChunk;
import dev.agentstore.domain.knowledge.VectorType;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreConfig;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.ExtensionDatabases;
import dev.agentstore.migrations.MigrationException;
import dev.agentstore.migrations.Migrations;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * pgvector in a schema other than {@code public}, as Supabase installs it ({@code CREATE EXTENSION vector SCHEMA
 * extensions}): in a database of its own ({@value #DATABASE}), the migrations, knowledge bases with HNSW and IVFFlat
 * indexes over {@code vector} and {@code halfvec}, and vector and hybrid searches run with
 * {@code vectorSchema("extensions")}; without it the store refuses to open, naming the setting.
 */
class VectorSchemaTest {

    static final String DATABASE = "agentstore_ext";
    static final String VECTOR_SCHEMA = "extensions";

    private static String schema;
    private static AgentStore store;

    @BeforeAll
    static void openStoreOnADatabaseWithPgvectorInExtensions() throws Exception {
        ExtensionDatabases.ensure(DATABASE, VECTOR_SCHEMA);
        schema = AgentStoreExtension.uniqueSchema(VectorSchemaTest.class);
        store = AgentStore.open(config().build());
    }

    @AfterAll
    static void dropSchema() {
        if (store != null) {
            AgentStoreExtension.dropSchema(store.dataSource(), schema);
            store.close();
        }
    }

    private static AgentStoreConfig.Builder config() {
        return AgentStoreExtension.testConfig(schema).url(ExtensionDatabases.url(DATABASE))
                .vectorSchema(VECTOR_SCHEMA).poolMaxSize(4);
    }

    @Nested
    class TheExtensionLivesInItsOwnSchema {

        @Test
        void theChunksEmbeddingColumnHasTheVectorTypeOfTheExtensionsSchema() throws Exception {
            try (Connection c = store.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("""
                         SELECT t.typnamespace::regnamespace::text, e.extnamespace::regnamespace::text
                           FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid,
                                pg_extension e
                          WHERE a.attrelid = 'chunks'::regclass AND a.attname = 'embedding' AND e.extname = 'vector'
                         """)) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(VECTOR_SCHEMA);
                assertThat(rs.getString(2)).isEqualTo(VECTOR_SCHEMA);
            }
        }

        @Test
        void withoutVectorSchemaTheStoreRefusesToOpenNamingTheSetting() {
            assertThatThrownBy(() -> AgentStore.open(config().vectorSchema("public").autoMigrate(false).build())
                    .close())
                    .isInstanceOf(AgentStoreException.class)
                    .hasMessageContaining("vector")
                    .hasMessageContaining("AGENTSTORE_VECTOR_SCHEMA");
        }
    }

    @Nested
    class MigrationsPutTheVectorSchemaOnTheirSessionsPath {

        @Test
        void aDataSourceWithoutTheExtensionsSchemaOnItsPathMigratesOnlyWithVectorSchema() {
            String other = AgentStoreExtension.uniqueSchema(MigrationsPutTheVectorSchemaOnTheirSessionsPath.class);
            PGSimpleDataSource plain = new PGSimpleDataSource();
            plain.setURL(ExtensionDatabases.url(DATABASE));
            plain.setUser(System.getenv().getOrDefault("AGENTSTORE_TEST_DB_USER", "agentstore"));
            plain.setPassword(System.getenv().getOrDefault("AGENTSTORE_TEST_DB_PASSWORD", "agentstore"));
            plain.setCurrentSchema(other); // neither extensions nor public
            try {
                assertThatThrownBy(() -> new Migrations(plain, other).up()).isInstanceOf(MigrationException.class);
                AgentStoreExtension.dropSchema(store.dataSource(), other);
                assertThat(new Migrations(plain, other).vectorSchema(VECTOR_SCHEMA).up()).isNotEmpty();
                assertThat(new Migrations(plain, other).vectorSchema(VECTOR_SCHEMA).status()).isEmpty();
            } finally {
                AgentStoreExtension.dropSchema(store.dataSource(), other);
            }
        }
    }

    @Nested
    class SearchesUseTheExtensionsTypesAndOperators {

        @Test
        void hnswCosineOverVectorFindsTheNearestChunk() {
            assertNearestFound("docs_hnsw", Distance.COSINE, IndexSpec.hnsw(), VectorType.VECTOR);
        }

        @Test
        void ivfflatL2OverHalfvecFindsTheNearestChunk() {
            assertNearestFound("docs_ivf_half", Distance.L2, IndexSpec.ivfflat(2), VectorType.HALFVEC);
        }

        @Test
        void innerProductWithoutIndexAndAHybridSearchFindTheNearestChunk() {
            assertNearestFound("docs_ip", Distance.INNER_PRODUCT, IndexSpec.none(), VectorType.VECTOR);
            List<ChunkMatch> hybrid = store.chunks().search("docs_ip", "chunk number 7", new float[]{7, 1, 0, 1},
                    SearchOptions.top(3).withMode(SearchMode.HYBRID));
            assertThat(hybrid).isNotEmpty();
            assertThat(hybrid.get(0).content()).isEqualTo("chunk number 7");
        }

        private void assertNearestFound(String base, Distance distance, IndexSpec index, VectorType type) {
            store.inTransaction(uow -> uow.knowledge().create(base, 4, distance, index, type));
            List<NewChunk> chunks = new java.util.ArrayList<>();
            for (int i = 0; i < 20; i++) {
                chunks.add(NewChunk.of("d", i, "chunk number " + i, new float[]{i, 1, 0, 1}).withId("c" + i));
            }
            store.chunks().upsert(base, chunks);
            List<ChunkMatch> hits = store.chunks().search(base, new float[]{7, 1, 0, 1},
                    SearchOptions.top(3).withExactSearch());
            List<ChunkMatch> indexed = store.chunks().search(base, new float[]{7, 1, 0, 1}, SearchOptions.top(3));
            assertThat(hits).isNotEmpty();
            assertThat(indexed).isNotEmpty();
            if (distance != Distance.INNER_PRODUCT) { // inner product ranks the largest vector first, not the closest
                assertThat(hits.get(0).id()).isEqualTo("c7");
                assertThat(indexed.get(0).id()).isEqualTo("c7");
            }
        }
    }
}
