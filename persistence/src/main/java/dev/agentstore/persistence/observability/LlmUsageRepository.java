package dev.agentstore.persistence.observability;

import dev.agentstore.domain.Check;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.observability.LlmUsage;
import dev.agentstore.domain.observability.LlmUsageTotals;
import dev.agentstore.domain.observability.NewLlmUsage;
import dev.agentstore.persistence.support.AbstractRepository;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import dev.agentstore.persistence.support.SingleStatement;
import dev.agentstore.persistence.support.Sql;
import dev.agentstore.persistence.support.UnnestColumns;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * LLM token usage (table {@code llm_usage}, range-partitioned by {@code created_at}): record the usage of a call (one
 * or a batch in one statement), list a run's or a span's usage (newest first, paged), sum tokens and costs per day,
 * flow, model and currency in SQL, and prune old usage.
 *
 * <p>Usage is append-only. Each record gets a random UUID; its {@code createdAt} is the caller's time or the clock's
 * now (microseconds), and is the partition key. Costs are kept as {@code numeric} with their ISO 4217 currency and
 * summed per currency only, never converted.
 *
 * <p>Runs in the caller's transaction (standalone: {@code store.inTransaction(uow -> uow.llmUsage().record(u))}; in
 * a container: the current JTA transaction) and never begins or commits one itself; through {@code store.llmUsage()}
 * each call is its own unit of work, and the methods marked {@link SingleStatement} run in autocommit mode. Records
 * handed out are immutable values attached to no persistence context.
 *
 * <p>Transactions, standalone and in a Jakarta EE container: see {@link dev.agentstore.persistence}.
 */
@ApplicationScoped
public class LlmUsageRepository extends AbstractRepository {

    /** Largest accepted batch of {@link #recordAll}. */
    public static final int MAX_BATCH = 10_000;

    /**
     * Records one usage with one {@code INSERT}.
     *
     * @param usage the usage; without a {@code createdAt} it gets the clock's now, truncated to microseconds
     * @return the stored record, with its new random id and time
     * @throws InvalidInputException when {@code usage} is {@code null}; nothing is written
     */
    @SingleStatement
    public LlmUsage record(NewLlmUsage usage) {
        return recordAll(List.of(Check.notNull("usage", usage))).get(0);
    }

    /**
     * Records a batch with ONE statement ({@code INSERT ... SELECT ... FROM unnest(<bound arrays>)}), whatever its
     * size; atomic: if the database refuses any element, none is written. Records without a time all get the same
     * clock reading.
     *
     * @param usages the usages, at most {@value #MAX_BATCH}; an empty list writes nothing and sends no statement
     * @return the stored records, in input order
     * @throws InvalidInputException when {@code usages} is {@code null}, holds a {@code null} or is larger than
     *                               {@value #MAX_BATCH}; nothing is written
     */
    @SingleStatement
    public List<LlmUsage> recordAll(List<NewLlmUsage> usages) {
        Check.batch("usages", usages, MAX_BATCH);
        if (usages.isEmpty()) {
            return List.of();
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        int n = usages.size();
        List<LlmUsage> stored = new ArrayList<>(n);
        for (NewLlmUsage usage : usages) {
            stored.add(LlmUsage.stored(UUID.randomUUID(), usage.at(now)));
        }
        Map<String, Object> values = UnnestColumns.rows(n)
                .column("ids", String.class, i -> stored.get(i).id().toString())
                .column("flowNames", String.class, i -> stored.get(i).flowName())
                .column("runIds", String.class, i -> stored.get(i).runId())
                .column("stepIds", String.class, i -> stored.get(i).stepId())
                .column("traceIds", String.class, i -> stored.get(i).traceId())
                .column("spanIds", String.class, i -> stored.get(i).spanId())
                .column("agentIds", String.class, i -> stored.get(i).agentId())
                .column("providers", String.class, i -> stored.get(i).provider())
                .column("models", String.class, i -> stored.get(i).model())
                .column("inputTokens", Long.class, i -> stored.get(i).inputTokens())
                .column("outputTokens", Long.class, i -> stored.get(i).outputTokens())
                .column("totalTokens", Long.class, i -> stored.get(i).totalTokens())
                .column("reasoningTokens", Long.class, i -> stored.get(i).reasoningTokens())
                .column("cachedInputTokens", Long.class, i -> stored.get(i).cachedInputTokens())
                .column("costs", String.class,
                        i -> stored.get(i).cost() == null ? null : stored.get(i).cost().toPlainString())
                .column("currencies", String.class, i -> stored.get(i).currency())
                .column("createdAts", String.class, i -> LlmUsageSql.timestamptz(stored.get(i).createdAt()))
                .values();
        Sql.run(em, "record " + n + " LlmUsage", h -> h.createUpdate(LlmUsageSql.INSERT_ALL).bindMap(values).execute());
        return List.copyOf(stored);
    }

    /**
     * Lists a run's usage, newest first, one page. Two queries (count, page).
     *
     * @param flowName the run's flow
     * @param runId    the run's id
     * @param page     the page
     * @return the page
     * @throws InvalidInputException when a name is blank or longer than 255 characters, or {@code page} is
     *                               {@code null}
     */
    @SingleStatement
    public Page<LlmUsage> listByRun(String flowName, String runId, PageRequest page) {
        Map<String, Object> run = Sql.parameters("flowName", Check.name("flowName", flowName),
                "runId", Check.name("runId", runId));
        return list("list LlmUsage of run " + flowName + "/" + runId, LlmUsageSql.BY_RUN, page, run);
    }

    /**
     * Lists a span's usage, newest first, one page. Two queries (count, page).
     *
     * @param traceId the trace's id, 32 lowercase hex characters
     * @param spanId  the span's id, 16 lowercase hex characters
     * @param page    the page
     * @return the page
     * @throws InvalidInputException when an id is {@code null} or not a W3C Trace Context id, or {@code page} is
     *                               {@code null}
     */
    @SingleStatement
    public Page<LlmUsage> listBySpan(String traceId, String spanId, PageRequest page) {
        return list("list LlmUsage of span " + traceId + "/" + spanId, LlmUsageSql.BY_SPAN, page,
                SpanSql.key(traceId, spanId));
    }

    /**
     * Sums usage per UTC day, flow, provider, model and currency, in SQL, one query. Usage without a flow forms its
     * own groups ({@code flowName} {@code null}); usage without a cost forms the {@code null} currency's groups.
     *
     * @param from     the first instant counted (inclusive), or {@code null} for no lower bound
     * @param to       the end (exclusive), or {@code null} for no upper bound
     * @param flowName one flow only, or {@code null} for all usage
     * @return the sums, by day, flow (usage without a flow first), provider, model, currency; unmodifiable
     * @throws InvalidInputException when an instant is outside PostgreSQL's range, {@code from} is not before
     *                               {@code to}, or {@code flowName} is blank or too long
     */
    @SingleStatement
    public List<LlmUsageTotals> dailyTotals(Instant from, Instant to, String flowName) {
        Check.optionalName("flowName", flowName);
        Map<String, Object> values = range(from, to);
        values.put("flowName", flowName);
        return totals("LlmUsage daily totals", LlmUsageSql.DAILY_TOTALS, values);
    }

    /**
     * Sums all usage per currency, in SQL, one query: {@code day}, {@code flowName}, {@code provider} and
     * {@code model} of each row are {@code null}.
     *
     * @param from the first instant counted (inclusive), or {@code null} for no lower bound
     * @param to   the end (exclusive), or {@code null} for no upper bound
     * @return one row per currency (usage without a cost first); empty when there is no usage; unmodifiable
     * @throws InvalidInputException when an instant is outside PostgreSQL's range or {@code from} is not before
     *                               {@code to}
     */
    @SingleStatement
    public List<LlmUsageTotals> totals(Instant from, Instant to) {
        return totals("LlmUsage totals", LlmUsageSql.TOTALS, range(from, to));
    }

    /**
     * Deletes every usage record whose {@code createdAt} is before {@code olderThan}, with one {@code DELETE}, in the
     * caller's transaction. Whole partitions older than a retention cutoff are better dropped by the partition
     * maintenance; this removes rows whatever partition holds them.
     *
     * @param olderThan the cutoff (exclusive)
     * @return how many records were deleted
     * @throws InvalidInputException when {@code olderThan} is {@code null} or outside PostgreSQL's range
     */
    @SingleStatement
    public long prune(Instant olderThan) {
        Instant cutoff = Check.instant("olderThan", Check.notNull("olderThan", olderThan));
        return Sql.call(em, "prune LlmUsage", h -> (long) h.createUpdate(LlmUsageSql.PRUNE).bind("cutoff", cutoff).execute());
    }

    private List<LlmUsageTotals> totals(String context, String sql, Map<String, Object> values) {
        return Sql.call(em, context, h -> h.createQuery(sql)
                .bindMap(values)
                .map(LlmUsageSql.TOTALS_ROW)
                .collect(Collectors.toUnmodifiableList()));
    }

    private static Map<String, Object> range(Instant from, Instant to) {
        Instant start = from == null ? Check.MIN_TIMESTAMP : Check.instant("from", from);
        Instant end = to == null ? Check.MAX_TIMESTAMP : Check.instant("to", to);
        if (!start.isBefore(end)) {
            throw new InvalidInputException("from must be before to");
        }
        return Sql.parameters("from", start, "to", end);
    }

    private Page<LlmUsage> list(String context, String filter, PageRequest page, Map<String, Object> values) {
        return Sql.page(em, context, LlmUsageSql.count(filter), LlmUsageSql.page(filter), values, page, LlmUsageSql.ROW);
    }
}
