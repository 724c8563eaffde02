package dev.agentstore.persistence.experiment;

import dev.agentstore.domain.experiment.Experiment;
import dev.agentstore.domain.experiment.ExperimentResult;
import dev.agentstore.domain.experiment.ExperimentStatus;
import dev.agentstore.domain.experiment.ExperimentTarget;
import dev.agentstore.domain.experiment.ResultValues;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.Sql;
import org.jdbi.v3.core.mapper.RowMapper;

/** The statements and row mappers of {@link ExperimentRepository}. */
final class ExperimentSql {

    static final String COLUMNS = """
            id, name, dataset_id, dataset_version, target_kind, target_id, target_version, status,
                   CAST(metadata AS text) AS metadata, error, created_at, started_at, completed_at, updated_at, version
            """;

    /** Inserts only when the dataset has reached the version; the id is the caller's. */
    static final String INSERT = """
            INSERT INTO experiments (id, name, dataset_id, dataset_version, target_kind, target_id, target_version,
                                     status, metadata, created_at, updated_at)
            SELECT :id, :name, d.id, :datasetVersion, :targetKind, :targetId, :targetVersion, 'PENDING',
                   CAST(:metadata AS jsonb), :now, :now
              FROM datasets d
             WHERE d.id = :datasetId AND d.version >= :datasetVersion
            """;

    static final String GET = "SELECT " + COLUMNS + " FROM experiments WHERE id = :id";

    /** A guarded status move: only from the statuses given. */
    static final String MOVE = """
            UPDATE experiments
               SET status = :to,
                   error = CAST(:error AS text),
                   started_at = CASE WHEN :to = 'RUNNING' THEN :now ELSE started_at END,
                   completed_at = CASE WHEN :to IN ('COMPLETED', 'FAILED') THEN :now ELSE completed_at END,
                   updated_at = :now,
                   version = version + 1
             WHERE id = :id AND status = ANY(:from)
            RETURNING""" + " " + COLUMNS;

    static final String LIST_BY_DATASET = "SELECT " + COLUMNS + """
              FROM experiments
             WHERE dataset_id = :datasetId
             ORDER BY created_at DESC, id
             LIMIT :limit OFFSET :offset
            """;

    static final String COUNT_BY_DATASET = "SELECT count(*) FROM experiments WHERE dataset_id = :datasetId";

    static final String DELETE = "DELETE FROM experiments WHERE id = :id RETURNING id";

    /** Experiments that ended before the cut-off; their results go with them (foreign key cascade). */
    static final String PRUNE = "DELETE FROM experiments WHERE completed_at < :olderThan RETURNING id";

    /** The entity type of the {@code scores} rows that mirror experiment results; the entity id is the experiment's. */
    static final String SCORE_ENTITY_TYPE = "EXPERIMENT";

    /** Every score of the deleted experiments (entity {@value #SCORE_ENTITY_TYPE}, id among {@code :ids}). */
    static final String DELETE_SCORES = """
            DELETE FROM scores WHERE entity_id = ANY(:ids) AND entity_type = 'EXPERIMENT'
            """;

    /**
     * Replaces the {@code scores} rows of one result with its scores: deletes the rows written for the item before
     * (entity EXPERIMENT/experiment id, {@code metadata.itemId}) and inserts one TEST row per scorer id. Run after
     * the result's upsert, which holds the result row's lock, so this statement's snapshot sees the rows of any
     * upsert of the same item that committed before.
     */
    static final String REPLACE_SCORES = """
            WITH previous AS (
                DELETE FROM scores
                 WHERE entity_id = :experimentId AND entity_type = 'EXPERIMENT' AND source = 'TEST'
                   AND metadata @> jsonb_build_object('itemId', CAST(:itemId AS text))
            )
            INSERT INTO scores (id, scorer_id, value, source, entity_type, entity_id, run_id, trace_id, metadata,
                                created_at)
            SELECT gen_random_uuid(), s.key, CAST(s.value AS float8), 'TEST', 'EXPERIMENT', :experimentId,
                   :experimentId, CAST(:traceId AS varchar), jsonb_build_object('itemId', CAST(:itemId AS text)),
                   :now
              FROM jsonb_each(CAST(:scores AS jsonb)) s
            """;

    /**
     * Inserts or replaces the result of an item, when the item belongs to the experiment's dataset version; returns
     * nothing when the experiment or the item is missing.
     */
    static final String UPSERT_RESULT = """
            INSERT INTO experiment_results (experiment_id, item_id, output, latency_ms, error, trace_id, scores,
                                            created_at, updated_at)
            SELECT e.id, :itemId, CAST(:output AS jsonb), CAST(:latencyMs AS bigint), CAST(:error AS text),
                   CAST(:traceId AS varchar), CAST(:scores AS jsonb), :now, :now
              FROM experiments e
             WHERE e.id = :experimentId
               AND EXISTS (SELECT 1 FROM dataset_items i
                            WHERE i.dataset_id = e.dataset_id AND i.item_id = :itemId
                              AND i.valid_from <= e.dataset_version
                              AND (i.valid_to IS NULL OR i.valid_to > e.dataset_version))
            ON CONFLICT (experiment_id, item_id) DO UPDATE
               SET output = EXCLUDED.output, latency_ms = EXCLUDED.latency_ms, error = EXCLUDED.error,
                   trace_id = EXCLUDED.trace_id, scores = EXCLUDED.scores, updated_at = EXCLUDED.updated_at
            RETURNING id, created_at
            """;

    static final String RESULT_COLUMNS = """
            id, experiment_id, item_id, CAST(output AS text) AS output, latency_ms, error, trace_id,
                   CAST(scores AS text) AS scores, created_at, updated_at
            """;

    static final String RESULT = "SELECT " + RESULT_COLUMNS + """
              FROM experiment_results
             WHERE experiment_id = :experimentId AND item_id = :itemId
            """;

    static final String RESULTS = "SELECT " + RESULT_COLUMNS + """
              FROM experiment_results
             WHERE experiment_id = :experimentId AND item_id > :after
             ORDER BY item_id
             LIMIT :limit
            """;

    /** Counts and latency percentiles of an experiment's results, with the item count of its dataset version. */
    static final String SUMMARY = """
            SELECT (SELECT count(*) FROM dataset_items i
                     WHERE i.dataset_id = e.dataset_id AND i.valid_from <= e.dataset_version
                       AND (i.valid_to IS NULL OR i.valid_to > e.dataset_version)) AS items,
                   r.results, r.succeeded, r.failed, r.p50, r.p90
              FROM experiments e,
                   LATERAL (SELECT count(*) AS results,
                                   count(*) FILTER (WHERE error IS NULL) AS succeeded,
                                   count(*) FILTER (WHERE error IS NOT NULL) AS failed,
                                   percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
                                   percentile_cont(0.9) WITHIN GROUP (ORDER BY latency_ms) AS p90
                              FROM experiment_results
                             WHERE experiment_id = e.id) r
             WHERE e.id = :experimentId
            """;

    /** Per scorer id: count, mean, min, max of the numbers stored in the results' {@code scores} objects. */
    static final String SCORES = """
            SELECT s.key AS scorer_id, count(*) AS n, CAST(avg(CAST(s.value AS numeric)) AS float8) AS mean,
                   CAST(min(CAST(s.value AS numeric)) AS float8) AS min,
                   CAST(max(CAST(s.value AS numeric)) AS float8) AS max
              FROM experiment_results r, jsonb_each(r.scores) s
             WHERE r.experiment_id = :experimentId
             GROUP BY s.key
             ORDER BY s.key
            """;

    static final RowMapper<Experiment> EXPERIMENT = (rs, ctx) -> Experiment.recorded(rs.getString("id"),
            rs.getString("name"), rs.getString("dataset_id"), rs.getInt("dataset_version"),
            new ExperimentTarget(rs.getString("target_kind"), rs.getString("target_id"), rs.getInt("target_version")),
            ExperimentStatus.valueOf(rs.getString("status")), Json.parse("metadata", rs.getString("metadata")),
            rs.getString("error"), Sql.instant(rs, "created_at"), Sql.instant(rs, "started_at"),
            Sql.instant(rs, "completed_at"), Sql.instant(rs, "updated_at"), rs.getLong("version"));

    static final RowMapper<ExperimentResult> RESULT_ROW = (rs, ctx) -> {
        long latency = rs.getLong("latency_ms");
        Long latencyMs = rs.wasNull() ? null : latency;
        String output = rs.getString("output");
        return ExperimentResult.recorded(rs.getLong("id"), rs.getString("experiment_id"), rs.getString("item_id"),
                new ResultValues(output == null ? null : Json.parse("output", output), latencyMs,
                        rs.getString("error"), rs.getString("trace_id"), Json.parse("scores", rs.getString("scores"))),
                Sql.instant(rs, "created_at"), Sql.instant(rs, "updated_at"));
    };

    private ExperimentSql() {
    }
}
