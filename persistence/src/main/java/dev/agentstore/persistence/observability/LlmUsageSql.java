package dev.agentstore.persistence.observability;

import dev.agentstore.domain.observability.LlmUsage;
import dev.agentstore.domain.observability.LlmUsageTotals;
import dev.agentstore.domain.observability.NewLlmUsage;
import dev.agentstore.persistence.support.Sql;
import org.jdbi.v3.core.mapper.RowMapper;

import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.UUID;

/** The statements of {@link LlmUsageRepository} and the mapping of their rows; every value is a named parameter. */
final class LlmUsageSql {

    /**
     * A whole batch, one round trip: bound arrays (column-wise), unnested in input order. Times travel as
     * {@link #timestamptz} text.
     */
    static final String INSERT_ALL = """
            INSERT INTO llm_usage (id, flow_name, run_id, step_id, trace_id, span_id, agent_id, provider, model,
                                   input_tokens, output_tokens, total_tokens, reasoning_tokens, cached_input_tokens,
                                   cost, currency, created_at)
            SELECT u.id, u.flow_name, u.run_id, u.step_id, u.trace_id, u.span_id, u.agent_id, u.provider, u.model,
                   u.input_tokens, u.output_tokens, u.total_tokens, u.reasoning_tokens, u.cached_input_tokens,
                   u.cost, u.currency, u.created_at
              FROM unnest(CAST(:ids AS uuid[]), CAST(:flowNames AS varchar[]), CAST(:runIds AS varchar[]),
                          CAST(:stepIds AS varchar[]), CAST(:traceIds AS varchar[]), CAST(:spanIds AS varchar[]),
                          CAST(:agentIds AS varchar[]), CAST(:providers AS varchar[]), CAST(:models AS varchar[]),
                          CAST(:inputTokens AS bigint[]), CAST(:outputTokens AS bigint[]),
                          CAST(:totalTokens AS bigint[]), CAST(:reasoningTokens AS bigint[]),
                          CAST(:cachedInputTokens AS bigint[]), CAST(:costs AS numeric[]),
                          CAST(:currencies AS varchar[]), CAST(:createdAts AS timestamptz[]))
                   AS u(id, flow_name, run_id, step_id, trace_id, span_id, agent_id, provider, model, input_tokens,
                        output_tokens, total_tokens, reasoning_tokens, cached_input_tokens, cost, currency, created_at)
            """;

    private static final String SELECT = """
            SELECT id, flow_name, run_id, step_id, trace_id, span_id, agent_id, provider, model, input_tokens,
                   output_tokens, total_tokens, reasoning_tokens, cached_input_tokens, cost, currency, created_at
              FROM llm_usage
            """;

    /** Newest first; the id breaks ties. */
    private static final String PAGE = """
             ORDER BY created_at DESC, id DESC
             LIMIT :limit OFFSET :offset
            """;

    static final String BY_RUN = "flow_name = :flowName AND run_id = :runId";
    static final String BY_SPAN = "trace_id = :traceId AND span_id = :spanId";

    /** Sums per UTC day, flow, provider, model and currency; usage without a flow is its own group. */
    static final String DAILY_TOTALS = """
            SELECT CAST(created_at AT TIME ZONE 'UTC' AS date) AS day, flow_name, provider, model, currency,
                   count(*) AS calls, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
                   sum(total_tokens) AS total_tokens, sum(cost) AS cost
              FROM llm_usage
             WHERE created_at >= :from AND created_at < :to
               AND (CAST(:flowName AS varchar) IS NULL OR flow_name = :flowName)
             GROUP BY day, flow_name, provider, model, currency
             ORDER BY day, flow_name NULLS FIRST, provider, model, currency NULLS FIRST
            """;

    /** Sums per currency (usage without a cost is the {@code NULL} currency's group). */
    static final String TOTALS = """
            SELECT CAST(NULL AS date) AS day, CAST(NULL AS varchar) AS flow_name, CAST(NULL AS varchar) AS provider,
                   CAST(NULL AS varchar) AS model, currency, count(*) AS calls, sum(input_tokens) AS input_tokens,
                   sum(output_tokens) AS output_tokens, sum(total_tokens) AS total_tokens, sum(cost) AS cost
              FROM llm_usage
             WHERE created_at >= :from AND created_at < :to
             GROUP BY currency
             ORDER BY currency NULLS FIRST
            """;

    static final String PRUNE = "DELETE FROM llm_usage WHERE created_at < :cutoff";

    static final RowMapper<LlmUsage> ROW = (rs, ctx) -> LlmUsage.stored(rs.getObject("id", UUID.class),
            NewLlmUsage.builder(rs.getString("provider"), rs.getString("model"), rs.getLong("input_tokens"),
                            rs.getLong("output_tokens"))
                    .totalTokens(rs.getLong("total_tokens"))
                    .reasoningTokens(nullableLong(rs, "reasoning_tokens"))
                    .cachedInputTokens(nullableLong(rs, "cached_input_tokens"))
                    .cost(rs.getBigDecimal("cost"), rs.getString("currency"))
                    .run(rs.getString("flow_name"), rs.getString("run_id"), rs.getString("step_id"))
                    .span(rs.getString("trace_id"), rs.getString("span_id"))
                    .agentId(rs.getString("agent_id"))
                    .createdAt(Sql.instant(rs, "created_at"))
                    .build());

    static final RowMapper<LlmUsageTotals> TOTALS_ROW = (rs, ctx) -> {
        BigDecimal cost = rs.getBigDecimal("cost");
        return new LlmUsageTotals(rs.getObject("day", LocalDate.class), rs.getString("flow_name"),
                rs.getString("provider"), rs.getString("model"), rs.getString("currency"), rs.getLong("calls"),
                rs.getLong("input_tokens"), rs.getLong("output_tokens"), rs.getLong("total_tokens"),
                cost == null ? null : plain(cost));
    };

    private LlmUsageSql() {
    }

    /**
     * @param filter one of the listing filters
     * @return the page's statement
     */
    static String page(String filter) {
        return SELECT + " WHERE " + filter + PAGE;
    }

    /**
     * @param filter one of the listing filters
     * @return the count of the listing's rows
     */
    static String count(String filter) {
        return "SELECT count(*) FROM llm_usage WHERE " + filter;
    }

    /** A cost without trailing zeros (as {@code NewLlmUsage} keeps it), never in exponent form. */
    static BigDecimal plain(BigDecimal value) {
        BigDecimal stripped = value.stripTrailingZeros();
        return stripped.scale() < 0 ? stripped.setScale(0) : stripped;
    }

    /**
     * An instant as PostgreSQL {@code timestamptz} input text in UTC, exact to the microsecond over PostgreSQL's
     * whole range: {@code 2026-05-01 08:00:00.123456+00}, {@code 4713-01-01 00:00:00.000000+00 BC}. ISO-8601 text
     * ({@link Instant#toString}) is refused by PostgreSQL outside the years 1–9999 ({@code -4712-…}, {@code +10000-…}).
     */
    static String timestamptz(Instant instant) {
        LocalDateTime t = LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
        int year = t.getYear();
        return String.format(Locale.ROOT, "%04d-%02d-%02d %02d:%02d:%02d.%06d+00%s", year > 0 ? year : 1 - year,
                t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond(), t.getNano() / 1000,
                year > 0 ? "" : " BC");
    }

    private static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }
}
