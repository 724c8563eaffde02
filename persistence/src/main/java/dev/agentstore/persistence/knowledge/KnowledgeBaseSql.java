package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.IndexType;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.VectorType;
import dev.agentstore.persistence.support.Sql;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.SqlStatement;

import java.util.Optional;

/**
 * The statements on the {@code knowledge_bases} table and the mapping of its rows to {@link KnowledgeBase}s, shared
 * by {@link KnowledgeRepository} (which writes the table) and {@link ChunkRepository} (which reads a base before its
 * chunk statements). Every value is a named parameter.
 */
final class KnowledgeBaseSql {

    /** Every column of a {@code knowledge_bases} row, as {@link #ROW} reads them. */
    static final String COLUMNS = """
            name, dimension, distance, vector_type, index_type, hnsw_m, hnsw_ef_construction, ivfflat_lists,
                   text_config, created_at, updated_at, version""";

    static final String FIND = "SELECT " + COLUMNS + "\n  FROM knowledge_bases\n WHERE name = :name";

    /** {@link #FIND} with the row locked until the transaction ends. */
    static final String FIND_FOR_UPDATE = FIND + "\n   FOR UPDATE";

    static final String LIST = "SELECT " + COLUMNS + "\n  FROM knowledge_bases\n ORDER BY name";

    static final String INSERT = """
            INSERT INTO knowledge_bases (name, dimension, distance, vector_type, index_type, hnsw_m,
                                         hnsw_ef_construction, ivfflat_lists, text_config, created_at, updated_at,
                                         version)
            VALUES (:name, :dimension, :distance, :vectorType, :indexType, :m, :efConstruction, :lists, :textConfig,
                    :createdAt, :updatedAt, 0)""";

    /** Whether the database has the text-search configuration {@code :textConfig} (visible on the search path). */
    static final String TEXT_CONFIG_EXISTS = """
            SELECT EXISTS (SELECT FROM pg_catalog.pg_ts_config
                            WHERE cfgname = :textConfig AND pg_catalog.pg_ts_config_is_visible(oid))""";

    /** A new index, checked against the version the row had when it was locked; the changed row. */
    static final String UPDATE_INDEX = """
            UPDATE knowledge_bases
               SET index_type = :indexType,
                   hnsw_m = :m,
                   hnsw_ef_construction = :efConstruction,
                   ivfflat_lists = :lists,
                   updated_at = :updatedAt,
                   version = version + 1
             WHERE name = :name
               AND version = :version
            RETURNING\s""" + COLUMNS;

    /** A base's chunks, deleted before its row. */
    static final String DELETE_CHUNKS = "DELETE FROM chunks WHERE knowledge_base = :name";

    static final String DELETE = "DELETE FROM knowledge_bases WHERE name = :name";

    /** Maps a row of {@link #COLUMNS}. */
    static final RowMapper<KnowledgeBase> ROW = (rs, ctx) -> KnowledgeBase.of(rs.getString("name"),
            rs.getInt("dimension"), Distance.valueOf(rs.getString("distance")),
            VectorType.valueOf(rs.getString("vector_type")),
            new IndexSpec(IndexType.valueOf(rs.getString("index_type")), rs.getObject("hnsw_m", Integer.class),
                    rs.getObject("hnsw_ef_construction", Integer.class), rs.getObject("ivfflat_lists", Integer.class)),
            rs.getString("text_config"), Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"), rs.getLong("version"));

    private KnowledgeBaseSql() {
    }

    /**
     * @param handle the call's handle
     * @param sql    {@link #FIND} or {@link #FIND_FOR_UPDATE}
     * @param name   the base's name
     * @return the base, or empty
     */
    static Optional<KnowledgeBase> find(Handle handle, String sql, String name) {
        return handle.createQuery(sql).bind("name", name).map(ROW).findOne();
    }

    /**
     * @param handle the call's handle
     * @param name   the base's name
     * @return the base
     * @throws NotFoundException when there is none of that name
     */
    static KnowledgeBase get(Handle handle, String name) {
        return find(handle, FIND, name).orElseThrow(() -> new NotFoundException("KnowledgeBase", name));
    }

    /** Binds the index columns of {@code kb}: {@code :indexType}, {@code :m}, {@code :efConstruction}, {@code :lists}. */
    static <S extends SqlStatement<S>> S bindIndex(S statement, KnowledgeBase kb) {
        IndexSpec index = kb.index();
        return statement.bind("indexType", index.type().name())
                .bind("m", index.m())
                .bind("efConstruction", index.efConstruction())
                .bind("lists", index.lists());
    }
}
