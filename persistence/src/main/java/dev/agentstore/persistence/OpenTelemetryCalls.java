package dev.agentstore.persistence;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;

import java.util.Map;
import java.util.function.Supplier;

/**
 * OpenTelemetry spans of a store's calls (loaded only when {@link AgentStoreConfig.Builder#openTelemetry} is set):
 * one {@link SpanKind#CLIENT} span per repository call or unit of work, from begin to commit, with the database
 * semantic conventions: {@code db.system.name=postgresql}, {@code db.operation.name} (the repository method, for
 * example {@code set}, or {@code transaction}), {@code db.collection.name} (the repository's table, when it has one
 * main table), {@code db.namespace} ({@code database|schema}), and {@code agentstore.repository}. The span is named
 * {@code "{db.operation.name} {db.collection.name or db.namespace}"}. A failed call sets the status to ERROR and
 * {@code error.type} to the exception's class name. No statement text, bound value, key or message is recorded.
 * Spans nest under the caller's current span. Thread-safe.
 */
final class OpenTelemetryCalls implements CallObserver {

    /** The instrumentation scope of the spans. */
    static final String SCOPE = "dev.agentstore.persistence";

    private static final AttributeKey<String> DB_SYSTEM_NAME = AttributeKey.stringKey("db.system.name");
    private static final AttributeKey<String> DB_OPERATION_NAME = AttributeKey.stringKey("db.operation.name");
    private static final AttributeKey<String> DB_COLLECTION_NAME = AttributeKey.stringKey("db.collection.name");
    private static final AttributeKey<String> DB_NAMESPACE = AttributeKey.stringKey("db.namespace");
    private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    private static final AttributeKey<String> REPOSITORY = AttributeKey.stringKey("agentstore.repository");

    /** The one table each repository works on; repositories over several tables have no entry. */
    private static final Map<String, String> TABLES = Map.ofEntries(
            Map.entry("FlowRepository", "flows"), Map.entry("FlowRunRepository", "flow_runs"),
            Map.entry("FlowStepRepository", "flow_steps"), Map.entry("CheckpointRepository", "flow_checkpoints"),
            Map.entry("FlowEventRepository", "flow_events"), Map.entry("TriggerRepository", "triggers"),
            Map.entry("SchedulerJobRepository", "scheduler_jobs"), Map.entry("KvRepository", "kv_entries"),
            Map.entry("TemplateRepository", "templates"), Map.entry("SpanRepository", "spans"),
            Map.entry("ConfigurationRepository", "configurations"), Map.entry("RecordRepository", "records"),
            Map.entry("KnowledgeRepository", "knowledge_bases"), Map.entry("ChunkRepository", "chunks"),
            Map.entry("ScoreRepository", "scores"), Map.entry("LlmUsageRepository", "llm_usage"));

    private final Tracer tracer;
    private final String namespace;

    private OpenTelemetryCalls(Tracer tracer, String namespace) {
        this.tracer = tracer;
        this.namespace = namespace;
    }

    /**
     * @param openTelemetry an {@link OpenTelemetry} (typed {@link Object}, see {@link Telemetry})
     * @param namespace     the {@code db.namespace} of every span
     */
    static CallObserver create(Object openTelemetry, String namespace) {
        return new OpenTelemetryCalls(((OpenTelemetry) openTelemetry).getTracer(SCOPE), namespace);
    }

    /**
     * @param jdbcUrl a {@code jdbc:postgresql://host:port,…/database?…} URL
     * @param schema  the store's schema
     * @return {@code database|schema}, PostgreSQL's {@code db.namespace}; the schema alone when the URL names no
     *         database
     */
    static String namespace(String jdbcUrl, String schema) {
        int hosts = jdbcUrl.indexOf("//");
        int slash = hosts < 0 ? -1 : jdbcUrl.indexOf('/', hosts + 2);
        if (slash < 0) {
            return schema;
        }
        int query = jdbcUrl.indexOf('?', slash);
        String database = jdbcUrl.substring(slash + 1, query < 0 ? jdbcUrl.length() : query);
        return database.isEmpty() ? schema : database + "|" + schema;
    }

    @Override
    public <T> T observe(Call call, Supplier<T> work) {
        String table = TABLES.get(call.repository());
        var builder = tracer.spanBuilder(call.method() + " " + (table != null ? table : namespace))
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute(DB_SYSTEM_NAME, "postgresql")
                .setAttribute(DB_OPERATION_NAME, call.method())
                .setAttribute(DB_NAMESPACE, namespace)
                .setAttribute(REPOSITORY, call.repository());
        if (table != null) {
            builder.setAttribute(DB_COLLECTION_NAME, table);
        }
        Span span = builder.startSpan();
        try (Scope ignored = span.makeCurrent()) {
            return work.get();
        } catch (RuntimeException | Error e) {
            span.setStatus(StatusCode.ERROR);
            span.setAttribute(ERROR_TYPE, e.getClass().getName());
            throw e;
        } finally {
            span.end();
        }
    }

    /** Each retried attempt has a span of its own already; nothing more to record. */
    @Override
    public void retried(Call call, int retries) {
    }
}
