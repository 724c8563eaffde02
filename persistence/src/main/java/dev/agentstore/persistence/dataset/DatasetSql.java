package dev.agentstore.persistence.dataset;

import dev.agentstore.domain.dataset.Dataset;
import dev.agentstore.domain.dataset.DatasetItem;
import dev.agentstore.domain.dataset.DatasetVersion;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.Sql;
import org.jdbi.v3.core.mapper.RowMapper;

/**
 * The statements and row mappers of {@link DatasetRepository}. An item belongs to version {@code :version} when
 * {@code valid_from <= :version AND (valid_to IS NULL OR valid_to > :version)}.
 */
final class DatasetSql {

    static final String DATASET_COLUMNS = """
            id, name, description, CAST(metadata AS text) AS metadata, version, created_at, updated_at
            """;

    static final String INSERT_DATASET = """
            INSERT INTO datasets (id, name, description, metadata, version, created_at, updated_at)
            VALUES (:id, :name, :description, CAST(:metadata AS jsonb), 0, :now, :now)
            RETURNING""" + " " + DATASET_COLUMNS;

    static final String GET_DATASET = "SELECT " + DATASET_COLUMNS + " FROM datasets WHERE id = :id";

    static final String LIST_DATASETS = "SELECT " + DATASET_COLUMNS + """
              FROM datasets
             WHERE id > :after
             ORDER BY id
             LIMIT :limit
            """;

    static final String UPDATE_DATASET = """
            UPDATE datasets
               SET name = :name, description = :description, metadata = CAST(:metadata AS jsonb), updated_at = :now
             WHERE id = :id
            RETURNING""" + " " + DATASET_COLUMNS;

    static final String DELETE_DATASET = "DELETE FROM datasets WHERE id = :id";

    /** The experiments of a dataset, deleted before it so that their scores can be deleted by id. */
    static final String DELETE_EXPERIMENTS = "DELETE FROM experiments WHERE dataset_id = :id RETURNING id";

    /** The {@code scores} rows of deleted experiments (entity type {@code EXPERIMENT}). */
    static final String DELETE_EXPERIMENT_SCORES = """
            DELETE FROM scores WHERE entity_id = ANY(:ids) AND entity_type = 'EXPERIMENT'
            """;

    /** Serialises the changes of one dataset until the transaction ends; reads the version they start from. */
    static final String LOCK_DATASET = "SELECT version FROM datasets WHERE id = :id FOR UPDATE";

    static final String NEXT_VERSION = """
            UPDATE datasets SET version = version + 1, updated_at = :now WHERE id = :id RETURNING version
            """;

    static final String INSERT_VERSION = """
            INSERT INTO dataset_versions (dataset_id, version, changes, created_at)
            VALUES (:datasetId, :version, :changes, :now)
            RETURNING id
            """;

    static final String CURRENT_ITEM_IDS = """
            SELECT item_id FROM dataset_items
             WHERE dataset_id = :datasetId AND valid_to IS NULL AND item_id = ANY(:ids)
            """;

    /** Closes the current revisions of the items; never a revision written by this version (an id given twice). */
    static final String CLOSE_ITEMS = """
            UPDATE dataset_items SET valid_to = :version
             WHERE dataset_id = :datasetId AND valid_to IS NULL AND item_id = ANY(:ids) AND valid_from < :version
            """;

    static final String INSERT_ITEMS = """
            INSERT INTO dataset_items (dataset_id, item_id, valid_from, input, expected_output, metadata, created_at)
            SELECT :datasetId, t.item_id, :version, CAST(t.input AS jsonb), CAST(t.expected_output AS jsonb),
                   CAST(t.metadata AS jsonb), :now
              FROM unnest(CAST(:ids AS text[]), CAST(:inputs AS text[]), CAST(:expectedOutputs AS text[]),
                          CAST(:metadatas AS text[])) AS t(item_id, input, expected_output, metadata)
            """;

    static final String ITEM_COLUMNS = """
            id, dataset_id, item_id, valid_from, valid_to, CAST(input AS text) AS input,
                   CAST(expected_output AS text) AS expected_output, CAST(metadata AS text) AS metadata, created_at
            """;

    static final String VALID_AT = " valid_from <= :version AND (valid_to IS NULL OR valid_to > :version) ";

    /** Keyset page of the items as of a version, by item id. */
    static final String ITEMS_AT = "SELECT " + ITEM_COLUMNS + """
              FROM dataset_items
             WHERE dataset_id = :datasetId AND item_id > :after AND""" + VALID_AT + """
             ORDER BY item_id
             LIMIT :limit
            """;

    /** Every item as of a version, by item id, for the export's cursor. */
    static final String ALL_ITEMS_AT = "SELECT " + ITEM_COLUMNS + """
              FROM dataset_items
             WHERE dataset_id = :datasetId AND""" + VALID_AT + """
             ORDER BY item_id
            """;

    static final String ITEM_AT = "SELECT " + ITEM_COLUMNS + """
              FROM dataset_items
             WHERE dataset_id = :datasetId AND item_id = :itemId AND""" + VALID_AT;

    static final String COUNT_AT = """
            SELECT count(*) FROM dataset_items WHERE dataset_id = :datasetId AND""" + VALID_AT;

    static final String HISTORY = "SELECT " + ITEM_COLUMNS + """
              FROM dataset_items
             WHERE dataset_id = :datasetId AND item_id = :itemId
             ORDER BY valid_from
            """;

    static final String VERSIONS = """
            SELECT id, dataset_id, version, changes, created_at
              FROM dataset_versions
             WHERE dataset_id = :datasetId AND version < :before
             ORDER BY version DESC
             LIMIT :limit
            """;

    static final RowMapper<Dataset> DATASET = (rs, ctx) -> Dataset.recorded(rs.getString("id"),
            rs.getString("name"), rs.getString("description"), Json.parse("metadata", rs.getString("metadata")),
            rs.getInt("version"), Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"));

    static final RowMapper<DatasetItem> ITEM = (rs, ctx) -> {
        int validTo = rs.getInt("valid_to");
        Integer to = rs.wasNull() ? null : validTo;
        String expected = rs.getString("expected_output");
        return DatasetItem.recorded(rs.getLong("id"), rs.getString("dataset_id"), rs.getString("item_id"),
                rs.getInt("valid_from"), to, Json.parse("input", rs.getString("input")),
                expected == null ? null : Json.parse("expectedOutput", expected),
                Json.parse("metadata", rs.getString("metadata")), Sql.instant(rs, "created_at"));
    };

    static final RowMapper<DatasetVersion> VERSION = (rs, ctx) -> DatasetVersion.recorded(rs.getLong("id"),
            rs.getString("dataset_id"), rs.getInt("version"), rs.getInt("changes"), Sql.instant(rs, "created_at"));

    private DatasetSql() {
    }
}
