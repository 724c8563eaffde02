package dev.agentstore.persistence.experiment;

import dev.agentstore.persistence.support.AbstractRepository;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.dataset.Dataset;
import dev.agentstore.domain.dataset.DatasetItem;
import dev.agentstore.domain.experiment.Experiment;
import dev.agentstore.domain.experiment.ExperimentResult;
import dev.agentstore.domain.experiment.ExperimentStatus;
import dev.agentstore.domain.experiment.ExperimentSummary;
import dev.agentstore.domain.experiment.ExperimentSummary.ScoreStatistics;
import dev.agentstore.domain.experiment.ExperimentTarget;
import dev.agentstore.domain.experiment.ResultValues;
import dev.agentstore.domain.json.Json;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Experiments: a target ({@link ExperimentTarget}) run over one dataset version. Create, read, list by dataset,
 * move through {@link ExperimentStatus} ({@link #start}, {@link #complete}, {@link #fail}), record one result per
 * item ({@link #upsertResult}, idempotent), read results, compute the review {@link #summary} in SQL, delete and
 * {@link #prune}.
 *
 * <p>Status moves are guarded updates ({@code UPDATE ... WHERE status = ANY(:from)}): of two concurrent moves from
 * the same status one wins, the other fails with {@link InvalidInputException} naming the status it found. Results
 * are upserted on the key (experiment, item), so recording an item twice, concurrently or not, leaves one row with
 * the last values.
 *
 * <p>Each result's scores are also rows of the observability {@code scores} table, written in the same transaction:
 * one per scorer id, source {@code TEST}, entity type {@code EXPERIMENT} and entity id the experiment's id, run id
 * the experiment's id, trace id the result's (or {@code null}), {@code metadata} {@code {"itemId": <item id>}},
 * {@code createdAt} the result's {@code updatedAt}. So {@code scores().listByEntity("EXPERIMENT", id, page)} and
 * {@code scores().listByRun(id, page)} list them. Re-upserting a result replaces its item's rows; deleting or
 * pruning an experiment deletes every score of entity {@code EXPERIMENT}/its id. The results' {@code scores}
 * objects stay the source of {@link #summary}, which agrees with those rows until the scores' own retention
 * ({@code ScoreRepository.prune}, dropped partitions) removes some of them.
 *
 * <p>Runs in the caller's transaction; never begins or commits one. The statements run through {@link Sql};
 * the entities handed out are immutable and attached to no persistence context. Standalone:
 * {@code store.experiments()} or {@code store.fromTransaction(uow -> uow.experiments()...)}; in a container inject it.
 */
@ApplicationScoped
public class ExperimentRepository extends AbstractRepository {

    /** Largest accepted {@code limit} of {@link #results}. */
    public static final int MAX_LIMIT = 1000;

    /**
     * Creates a {@link ExperimentStatus#PENDING} experiment. One statement.
     *
     * @param id             the experiment's id, 1–255 characters, or {@code null} for a random UUID
     * @param name           a name, 1–255 characters, or {@code null}
     * @param datasetId      the dataset it runs over
     * @param datasetVersion the dataset version, 1 to the dataset's current version
     * @param target         what it runs
     * @param metadata       a JSON object, or {@code null} for {@code {}}
     * @return the experiment as stored
     * @throws InvalidInputException when a value is invalid; nothing is written
     * @throws NotFoundException     when the dataset does not exist or has not reached {@code datasetVersion}
     * @throws DuplicateException    when an experiment with this id exists
     */
    public Experiment create(String id, String name, String datasetId, int datasetVersion, ExperimentTarget target,
                             JsonNode metadata) {
        String experimentId = id == null ? UUID.randomUUID().toString() : Dataset.requireId("id", id);
        if (name != null) {
            Check.name("name", name);
        }
        Dataset.requireId("datasetId", datasetId);
        Check.range("datasetVersion", datasetVersion, 1, Integer.MAX_VALUE);
        Check.notNull("target", target);
        JsonNode meta = DatasetItem.requireObject("metadata", JsonWrites.check(em, "metadata", metadata));
        Instant now = now();
        int inserted = Sql.call(em, "create Experiment " + experimentId, h -> h.createUpdate(ExperimentSql.INSERT)
                .bindMap(Sql.parameters("id", experimentId, "name", name, "datasetId", datasetId,
                        "datasetVersion", datasetVersion, "targetKind", target.kind(), "targetId", target.id(),
                        "targetVersion", target.version(), "metadata", Json.print(meta), "now", now))
                .execute());
        if (inserted == 0) {
            throw new NotFoundException("DatasetVersion", datasetId + " version " + datasetVersion);
        }
        return Experiment.recorded(experimentId, name, datasetId, datasetVersion, target, ExperimentStatus.PENDING,
                meta, null, now, null, null, now, 0);
    }

    /**
     * Reads an experiment. One query.
     *
     * @param id the experiment's id
     * @return the experiment, or empty when there is none
     * @throws InvalidInputException when the id is invalid
     */
    public Optional<Experiment> get(String id) {
        Dataset.requireId("id", id);
        return Sql.call(em, "get Experiment " + id, h -> h.createQuery(ExperimentSql.GET).bind("id", id)
                .map(ExperimentSql.EXPERIMENT).findOne());
    }

    /**
     * Moves a pending experiment to {@link ExperimentStatus#RUNNING} and sets {@code startedAt}. One statement.
     *
     * @param id the experiment's id
     * @return the experiment as stored
     * @throws InvalidInputException when the id is invalid or the experiment is not pending
     * @throws NotFoundException     when there is no such experiment
     */
    public Experiment start(String id) {
        return move(id, ExperimentStatus.RUNNING, null, ExperimentStatus.PENDING);
    }

    /**
     * Moves a running experiment to {@link ExperimentStatus#COMPLETED} and sets {@code completedAt}. One statement.
     *
     * @param id the experiment's id
     * @return the experiment as stored
     * @throws InvalidInputException when the id is invalid or the experiment is not running
     * @throws NotFoundException     when there is no such experiment
     */
    public Experiment complete(String id) {
        return move(id, ExperimentStatus.COMPLETED, null, ExperimentStatus.RUNNING);
    }

    /**
     * Moves a pending or running experiment to {@link ExperimentStatus#FAILED} with the run's error and sets
     * {@code completedAt}. One statement.
     *
     * @param id    the experiment's id
     * @param error what went wrong, 1–10,000 characters
     * @return the experiment as stored
     * @throws InvalidInputException when a value is invalid or the experiment already completed or failed
     * @throws NotFoundException     when there is no such experiment
     */
    public Experiment fail(String id, String error) {
        Experiment.requireError(Check.notNull("error", error));
        JsonWrites.text(em, "error", error);
        return move(id, ExperimentStatus.FAILED, error, ExperimentStatus.PENDING, ExperimentStatus.RUNNING);
    }

    /**
     * Lists the experiments run over a dataset, newest first (ties by id). Two queries (count, page).
     *
     * @param datasetId the dataset's id
     * @param page      the page
     * @return the page, with the total count
     * @throws InvalidInputException when a value is invalid
     */
    public Page<Experiment> listByDataset(String datasetId, PageRequest page) {
        return Sql.page(em, "list Experiments of Dataset " + datasetId, ExperimentSql.COUNT_BY_DATASET,
                ExperimentSql.LIST_BY_DATASET, Sql.parameters("datasetId", Dataset.requireId("datasetId", datasetId)),
                page, ExperimentSql.EXPERIMENT);
    }

    /**
     * Deletes an experiment, its results and its scores (every {@code scores} row of entity {@code EXPERIMENT}/id).
     * Two statements.
     *
     * @param id the experiment's id
     * @return whether there was such an experiment
     * @throws InvalidInputException when the id is invalid
     */
    public boolean delete(String id) {
        Dataset.requireId("id", id);
        return deleteWithScores("delete Experiment " + id, ExperimentSql.DELETE, Map.of("id", id)) > 0;
    }

    /**
     * Deletes the experiments that completed or failed before {@code olderThan}, with their results; pending and
     * running ones are kept whatever their age. Their scores (entity {@code EXPERIMENT}) go with them. Two
     * statements.
     *
     * @param olderThan the cut-off (exclusive)
     * @return how many experiments were deleted
     * @throws InvalidInputException when {@code olderThan} is {@code null} or outside PostgreSQL's range
     */
    public int prune(Instant olderThan) {
        Check.instant("olderThan", Check.notNull("olderThan", olderThan));
        return deleteWithScores("prune Experiments", ExperimentSql.PRUNE, Map.of("olderThan", olderThan));
    }

    /**
     * Records the result of an item, replacing the one recorded before (the last write wins; a retried call leaves
     * the same one row). The item must belong to the experiment's dataset version. The result's scores replace the
     * item's rows in the {@code scores} table (see the class comment for the mapping), in the same transaction. Two
     * statements.
     *
     * @param experimentId the experiment's id
     * @param itemId       the dataset item's id
     * @param values       output, latency, error, trace id, scores
     * @return the result as stored
     * @throws InvalidInputException when a value is invalid; nothing is written
     * @throws NotFoundException     when the experiment does not exist or the item is not in its dataset version
     */
    public ExperimentResult upsertResult(String experimentId, String itemId, ResultValues values) {
        Dataset.requireId("experimentId", experimentId);
        Dataset.requireId("itemId", itemId);
        Check.notNull("values", values);
        JsonWrites.check(em, "output", values.output());
        JsonWrites.check(em, "scores", values.scores());
        JsonWrites.text(em, "error", values.error());
        Instant now = now();
        String key = experimentId + "/" + itemId;
        String scores = Json.print(values.scores());
        return Sql.call(em, "upsert ExperimentResult " + key, h -> {
            ExperimentResult result = h.createQuery(ExperimentSql.UPSERT_RESULT)
                    .bindMap(Sql.parameters("experimentId", experimentId, "itemId", itemId,
                            "output", values.output() == null ? null : Json.print(values.output()),
                            "latencyMs", values.latencyMs(), "error", values.error(), "traceId", values.traceId(),
                            "scores", scores, "now", now))
                    .map((rs, ctx) -> ExperimentResult.recorded(rs.getLong("id"), experimentId, itemId, values,
                            Sql.instant(rs, "created_at"), now))
                    .findOne()
                    .orElseThrow(() -> new NotFoundException("ExperimentResult",
                            key + " (no such experiment, or the item is not in its dataset version)"));
            h.createUpdate(ExperimentSql.REPLACE_SCORES)
                    .bindMap(Sql.parameters("experimentId", experimentId, "itemId", itemId,
                            "traceId", values.traceId(), "scores", scores, "now", now))
                    .execute();
            return result;
        });
    }

    /**
     * Reads the result of an item. One query.
     *
     * @param experimentId the experiment's id
     * @param itemId       the item's id
     * @return the result, or empty when none is recorded
     * @throws InvalidInputException when an id is invalid
     */
    public Optional<ExperimentResult> result(String experimentId, String itemId) {
        Dataset.requireId("experimentId", experimentId);
        Dataset.requireId("itemId", itemId);
        return Sql.call(em, "get ExperimentResult " + experimentId + "/" + itemId, h -> h
                .createQuery(ExperimentSql.RESULT).bind("experimentId", experimentId).bind("itemId", itemId)
                .map(ExperimentSql.RESULT_ROW).findOne());
    }

    /**
     * Lists an experiment's results by item id (code point order), one keyset page at a time: pass {@code null} for
     * the first page and the last item id of a page for the next. One query.
     *
     * @param experimentId the experiment's id
     * @param afterItemId  the last item id of the previous page (exclusive), or {@code null}
     * @param limit        the most results to return, 1 to {@value #MAX_LIMIT}
     * @return the results; unmodifiable
     * @throws InvalidInputException when a value is invalid
     */
    public List<ExperimentResult> results(String experimentId, String afterItemId, int limit) {
        Dataset.requireId("experimentId", experimentId);
        String after = afterItemId == null ? "" : Dataset.requireId("afterItemId", afterItemId);
        Check.range("limit", limit, 1, MAX_LIMIT);
        return Sql.call(em, "list ExperimentResults " + experimentId, h -> h.createQuery(ExperimentSql.RESULTS)
                .bind("experimentId", experimentId).bind("after", after).bind("limit", limit)
                .map(ExperimentSql.RESULT_ROW).collect(Collectors.toUnmodifiableList()));
    }

    /**
     * Computes the review summary of an experiment in SQL: item and result counts by outcome, latency p50 and p90
     * (continuous percentiles over the results with a latency), and per scorer the count, mean, min and max of the
     * scores in the results' {@code scores} objects. Two queries.
     *
     * @param experimentId the experiment's id
     * @return the summary
     * @throws InvalidInputException when the id is invalid
     * @throws NotFoundException     when there is no such experiment
     */
    public ExperimentSummary summary(String experimentId) {
        Dataset.requireId("experimentId", experimentId);
        return Sql.call(em, "summarise Experiment " + experimentId, h -> {
            Map<String, ScoreStatistics> scores = new LinkedHashMap<>();
            h.createQuery(ExperimentSql.SCORES).bind("experimentId", experimentId).map((rs, ctx) -> {
                scores.put(rs.getString("scorer_id"), new ScoreStatistics(rs.getLong("n"), rs.getDouble("mean"),
                        rs.getDouble("min"), rs.getDouble("max")));
                return null;
            }).list();
            return h.createQuery(ExperimentSql.SUMMARY).bind("experimentId", experimentId).map((rs, ctx) -> {
                long items = rs.getLong("items");
                long results = rs.getLong("results");
                double p50 = rs.getDouble("p50");
                Double latencyP50 = rs.wasNull() ? null : p50;
                double p90 = rs.getDouble("p90");
                Double latencyP90 = rs.wasNull() ? null : p90;
                return new ExperimentSummary(experimentId, items, results, rs.getLong("succeeded"),
                        rs.getLong("failed"), Math.max(0, items - results), latencyP50, latencyP90, scores);
            }).findOne().orElseThrow(() -> new NotFoundException("Experiment", experimentId));
        });
    }

    /** Runs a {@code DELETE ... RETURNING id} of experiments, then deletes the scores of the experiments it hit. */
    private int deleteWithScores(String context, String delete, Map<String, Object> values) {
        return Sql.call(em, context, h -> {
            String[] ids = h.createQuery(delete).bindMap(values).mapTo(String.class).list().toArray(String[]::new);
            if (ids.length > 0) {
                h.createUpdate(ExperimentSql.DELETE_SCORES).bind("ids", ids).execute();
            }
            return ids.length;
        });
    }

    private Experiment move(String id, ExperimentStatus to, String error, ExperimentStatus... from) {
        Dataset.requireId("id", id);
        String[] fromNames = java.util.Arrays.stream(from).map(Enum::name).toArray(String[]::new);
        Instant now = now();
        return Sql.call(em, "move Experiment " + id + " to " + to, h -> h.createQuery(ExperimentSql.MOVE)
                .bindMap(Sql.parameters("id", id, "to", to.name(), "error", error, "now", now, "from", fromNames))
                .map(ExperimentSql.EXPERIMENT).findOne()
                .orElseGet(() -> {
                    Experiment current = h.createQuery(ExperimentSql.GET).bind("id", id)
                            .map(ExperimentSql.EXPERIMENT).findOne()
                            .orElseThrow(() -> new NotFoundException("Experiment", id));
                    throw new InvalidInputException("Experiment " + id + " cannot move from " + current.status()
                            + " to " + to);
                }));
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
