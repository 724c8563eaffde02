package dev.agentstore.persistence.observability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.observability.NewScore;
import dev.agentstore.domain.observability.Score;
import dev.agentstore.domain.observability.ScoreSource;
import dev.agentstore.domain.observability.ScoreStatistics;
import dev.agentstore.persistence.support.AbstractRepository;
import dev.agentstore.persistence.support.JsonWrites;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.SingleStatement;
import dev.agentstore.persistence.support.Sql;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Evaluation scores (table {@code scores}, range-partitioned by {@code created_at}): save a score, read it by id, list
 * the scores of a scorer, a run, an entity or a span (newest first, paged), statistics per scorer over time buckets
 * computed in SQL, and prune old scores.
 *
 * <p>Scores are append-only. Each gets a random UUID and the clock's now (microseconds) as {@code created_at}, the
 * partition key. Listings are ordered by {@code (created_at DESC, id DESC)} over the indexes
 * {@code (scorer_id, created_at DESC, id DESC)}, {@code (run_id, …)}, {@code (entity_id, entity_type, …)} and
 * {@code (trace_id, span_id, …)}; a page costs a count and one indexed read. Reading by id alone probes each
 * partition's primary-key index ({@code (id, created_at)}).
 *
 * <p>Runs in the caller's transaction (standalone: {@code store.inTransaction(uow -> uow.scores().save(s))}; in a
 * container: the current JTA transaction) and never begins or commits one itself; through {@code store.scores()}
 * each call is its own unit of work, and the methods marked {@link SingleStatement} run in autocommit mode. Scores
 * handed out are immutable values attached to no persistence context. Thread-safe as far as its entity manager is.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class ScoreRepository extends AbstractRepository {

    /** The smallest statistics bucket: one second. */
    public static final Duration MIN_BUCKET = Duration.ofSeconds(1);

    /** The largest statistics bucket: 3,660 days (about ten years), a width {@code date_bin} takes in days. */
    public static final Duration MAX_BUCKET = Duration.ofDays(3660);

    /**
     * Saves a score with one {@code INSERT}. Every value is checked first (text and JSON against the store's
     * {@code JsonLimits}); an invalid call writes nothing.
     *
     * @param score the score
     * @return the stored score: a new random id, {@code createdAt} the clock's now truncated to microseconds
     * @throws InvalidInputException when {@code score} is {@code null}, or its reason or a JSON value breaks the
     *                               store's JSON limits (the message names the field); nothing is written
     */
    @SingleStatement
    public Score save(NewScore score) {
        Check.notNull("score", score);
        JsonWrites.text(em, "reason", score.reason());
        Map<String, Object> values = Sql.parameters("scorerId", score.scorerId(), "value", score.value(),
                "reason", score.reason(), "source", score.source().name(), "entityType", score.entityType(),
                "entityId", score.entityId(), "runId", score.runId(), "traceId", score.traceId(),
                "spanId", score.spanId(), "resourceId", score.resourceId(), "threadId", score.threadId(),
                "scorer", json("scorer", score.scorer()), "input", json("input", score.input()),
                "output", json("output", score.output()), "metadata", json("metadata", score.metadata()),
                "preprocessStepResult", json("preprocessStepResult", score.preprocessStepResult()),
                "analyzeStepResult", json("analyzeStepResult", score.analyzeStepResult()),
                "prompts", json("prompts", score.prompts()),
                "additionalContext", json("additionalContext", score.additionalContext()),
                "requestContext", json("requestContext", score.requestContext()));
        UUID id = UUID.randomUUID();
        Instant createdAt = clock.instant().truncatedTo(ChronoUnit.MICROS);
        values.put("id", id);
        values.put("createdAt", createdAt);
        Sql.run(em, "save Score scorer=" + score.scorerId(), h -> h.createUpdate(ScoreSql.INSERT)
                .bindMap(values)
                .execute());
        return Score.stored(id, createdAt, score);
    }

    /**
     * Reads a score. One query.
     *
     * @param id the score's id
     * @return the score, or empty when there is none (never saved, or pruned)
     * @throws InvalidInputException when {@code id} is {@code null}
     */
    @SingleStatement
    public Optional<Score> get(UUID id) {
        Check.notNull("id", id);
        return Sql.call(em, "get Score " + id, h -> h.createQuery(ScoreSql.BY_ID)
                .bind("id", id)
                .map(ScoreSql.ROW)
                .findOne());
    }

    /**
     * Lists a scorer's scores, newest first, one page. Two queries (count, page).
     *
     * @param scorerId the scorer's id
     * @param source   only scores of this source, or {@code null} for both
     * @param page     the page
     * @return the page
     * @throws InvalidInputException when {@code scorerId} is blank or longer than 255 characters, or {@code page}
     *                               is {@code null}
     */
    @SingleStatement
    public Page<Score> listByScorer(String scorerId, ScoreSource source, PageRequest page) {
        return list("list Scores of scorer " + scorerId, ScoreSql.BY_SCORER, page,
                Sql.parameters("scorerId", Check.name("scorerId", scorerId),
                        "source", source == null ? null : source.name()));
    }

    /**
     * Lists the scores of a run, newest first, one page. Two queries (count, page).
     *
     * @param runId the run's id
     * @param page  the page
     * @return the page
     * @throws InvalidInputException when {@code runId} is blank or longer than 255 characters, or {@code page} is
     *                               {@code null}
     */
    @SingleStatement
    public Page<Score> listByRun(String runId, PageRequest page) {
        return list("list Scores of run " + runId, ScoreSql.BY_RUN, page,
                Sql.parameters("runId", Check.name("runId", runId)));
    }

    /**
     * Lists the scores of an entity, newest first, one page. Two queries (count, page).
     *
     * @param entityType the entity's type, for example {@code AGENT}
     * @param entityId   the entity's id
     * @param page       the page
     * @return the page
     * @throws InvalidInputException when {@code entityType} or {@code entityId} is blank or longer than 255
     *                               characters, or {@code page} is {@code null}
     */
    @SingleStatement
    public Page<Score> listByEntity(String entityType, String entityId, PageRequest page) {
        return list("list Scores of entity " + entityType + "/" + entityId, ScoreSql.BY_ENTITY, page,
                Sql.parameters("entityType", Check.name("entityType", entityType),
                        "entityId", Check.name("entityId", entityId)));
    }

    /**
     * Lists the scores of a span, newest first, one page. Two queries (count, page).
     *
     * @param traceId the trace's id, 32 lowercase hex characters
     * @param spanId  the span's id, 16 lowercase hex characters
     * @param page    the page
     * @return the page
     * @throws InvalidInputException when an id is {@code null} or not a W3C Trace Context id, or {@code page} is
     *                               {@code null}
     */
    @SingleStatement
    public Page<Score> listBySpan(String traceId, String spanId, PageRequest page) {
        return list("list Scores of span " + traceId + "/" + spanId, ScoreSql.BY_SPAN, page,
                SpanSql.key(traceId, spanId));
    }

    /**
     * Statistics of scores per scorer and time bucket, computed in SQL in one query: count, mean, min, max and the
     * percentiles p50, p90 and p99 with PostgreSQL's {@code percentile_cont} (continuous, interpolated). Buckets
     * are fixed-width, {@code date_bin} aligned to 2000-01-01T00:00:00Z; only buckets holding scores are returned.
     *
     * @param scorerId one scorer, or {@code null} for every scorer
     * @param source   one source, or {@code null} for both
     * @param from     the first instant counted (inclusive), or {@code null} for no lower bound
     * @param to       the end (exclusive), or {@code null} for no upper bound
     * @param bucket   the bucket width, 1 second to 3,660 days, whole seconds; {@code null} for one bucket
     *                 per scorer over the whole range (its {@code bucketStart} is then {@code null})
     * @return the statistics, by scorer id then bucket start; unmodifiable
     * @throws InvalidInputException when {@code scorerId} is blank or too long, an instant is outside PostgreSQL's
     *                               range, {@code from} is not before {@code to}, or the bucket is out of range or
     *                               not whole seconds
     */
    @SingleStatement
    public List<ScoreStatistics> statistics(String scorerId, ScoreSource source, Instant from, Instant to,
                                            Duration bucket) {
        Check.optionalName("scorerId", scorerId);
        Instant start = from == null ? Check.MIN_TIMESTAMP : Check.instant("from", from);
        Instant end = to == null ? Check.MAX_TIMESTAMP : Check.instant("to", to);
        if (!start.isBefore(end)) {
            throw new InvalidInputException("from must be before to");
        }
        if (bucket != null && (bucket.compareTo(MIN_BUCKET) < 0 || bucket.compareTo(MAX_BUCKET) > 0
                || bucket.getNano() != 0)) {
            throw new InvalidInputException("bucket must be whole seconds from 1 second to 3660 days");
        }
        Map<String, Object> values = Sql.parameters("scorerId", scorerId, "source",
                source == null ? null : source.name(), "from", start, "to", end);
        if (bucket != null) {
            values.put("bucketSeconds", (double) bucket.getSeconds());
        }
        String sql = bucket == null ? ScoreSql.WHOLE_RANGE : ScoreSql.BUCKETS;
        return Sql.call(em, "Score statistics", h -> h.createQuery(sql)
                .bindMap(values)
                .map(ScoreSql.STATISTICS_ROW)
                .collect(Collectors.toUnmodifiableList()));
    }

    /**
     * Deletes every score saved before {@code olderThan}, with one {@code DELETE}. Whole partitions older than a
     * retention cutoff are better dropped by the partition maintenance; this removes rows whatever partition holds
     * them (the default one included), in the caller's transaction.
     *
     * @param olderThan the cutoff (exclusive): scores with {@code createdAt} before it go
     * @return how many scores were deleted
     * @throws InvalidInputException when {@code olderThan} is {@code null} or outside PostgreSQL's range
     */
    @SingleStatement
    public long prune(Instant olderThan) {
        Instant cutoff = Check.instant("olderThan", Check.notNull("olderThan", olderThan));
        return Sql.call(em, "prune Scores", h -> (long) h.createUpdate(ScoreSql.PRUNE).bind("cutoff", cutoff).execute());
    }

    private Page<Score> list(String context, String filter, PageRequest page, Map<String, Object> values) {
        return Sql.page(em, context, ScoreSql.count(filter), ScoreSql.page(filter), values, page, ScoreSql.ROW);
    }

    private String json(String field, JsonNode value) {
        return value == null ? null : JsonWrites.print(em, field, value);
    }
}
