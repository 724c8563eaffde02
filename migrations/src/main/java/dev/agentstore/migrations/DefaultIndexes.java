package dev.agentstore.migrations;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The default indexes: every index the changelog creates that no constraint needs (not a primary key, not unique),
 * as the changelog leaves it after the last release. They serve the repositories' reads; the schema is correct
 * without them. {@link Migrations#skipDefaultIndexes(boolean)} drops the ones a migration creates, and
 * {@link Migrations#createDefaultIndexes()} creates the missing ones from this list.
 *
 * <p>A change set that adds, drops or redefines a non-unique index changes this list in the same commit:
 * {@code SchemaOptionsTest} compares a migrated schema with one migrated without default indexes and then given
 * them by {@code createDefaultIndexes()}, and fails when the two differ. Stateless.
 */
final class DefaultIndexes {

    /**
     * One default index.
     *
     * @param name       the index name, unique in the schema
     * @param table      its table
     * @param definition what follows {@code ON schema.table} in its {@code CREATE INDEX} statement, as the changelog
     *                   writes it
     */
    record DefaultIndex(String name, String table, String definition) {

        /** @return the statement that creates the index in {@code schema} when missing, without blocking writes */
        String createSql(String schema) {
            return "CREATE INDEX CONCURRENTLY IF NOT EXISTS " + name + " ON " + schema + "." + table + " " + definition;
        }
    }

    /** The list, in changelog order. */
    static final List<DefaultIndex> ALL = List.of(
            // 0.1
            new DefaultIndex("flows_last_run_at_idx", "flows", "(last_run_at DESC NULLS LAST, name)"),
            new DefaultIndex("flow_runs_flow_started_idx", "flow_runs", "(flow_name, started_at DESC, id DESC)"),
            new DefaultIndex("flow_runs_active_idx", "flow_runs",
                    "(flow_name, started_at DESC) WHERE status IN ('RUNNING', 'AWAITING')"),
            new DefaultIndex("flow_events_run_ts_idx", "flow_events", "(run_id, ts DESC, id DESC)"),
            new DefaultIndex("flow_events_flow_type_ts_idx", "flow_events", "(flow_name, type, ts DESC)"),
            new DefaultIndex("flow_events_ts_brin", "flow_events", "USING brin (ts)"),
            new DefaultIndex("trigger_events_trigger_ts_idx", "trigger_events", "(trigger_name, ts DESC, id DESC)"),
            new DefaultIndex("scheduler_jobs_due_idx", "scheduler_jobs",
                    "(next_run_at, id) WHERE status = 'PENDING' AND enabled"),
            new DefaultIndex("scheduler_jobs_lease_idx", "scheduler_jobs", "(lease_expires_at) WHERE status = 'RUNNING'"),
            new DefaultIndex("kv_entries_expires_at_idx", "kv_entries", "(expires_at) WHERE expires_at IS NOT NULL"),
            new DefaultIndex("kv_entries_key_pattern_idx", "kv_entries", "(key varchar_pattern_ops)"),
            // 0.2
            new DefaultIndex("memories_resource_created_idx", "memories", "(resource_id, created_at, id)"),
            new DefaultIndex("memories_resource_updated_idx", "memories", "(resource_id, updated_at, id)"),
            new DefaultIndex("memories_metadata_idx", "memories", "USING gin (metadata jsonb_path_ops)"),
            new DefaultIndex("records_data_gin_idx", "records", "USING gin (data jsonb_path_ops)"),
            new DefaultIndex("records_metadata_gin_idx", "records", "USING gin (metadata jsonb_path_ops)"),
            new DefaultIndex("records_created_at_idx", "records", "(created_at, id)"),
            new DefaultIndex("chunks_document_idx", "chunks", "(knowledge_base, document_id, ordinal)"),
            new DefaultIndex("chunks_content_hash_idx", "chunks", "(knowledge_base, content_hash)"),
            // 0.3
            new DefaultIndex("chunks_payload_idx", "chunks", "USING gin (payload jsonb_path_ops) WITH (fastupdate = off)"),
            new DefaultIndex("chunks_meta_idx", "chunks", "USING gin (meta jsonb_path_ops) WITH (fastupdate = off)"),
            // 0.4
            new DefaultIndex("memory_messages_resource_idx", "memory_messages",
                    "(resource_id, created_at, memory_id, seq)"),
            new DefaultIndex("flow_runs_run_id_idx", "flow_runs", "(run_id)"),
            new DefaultIndex("flow_runs_started_idx", "flow_runs", "(started_at DESC, id DESC)"),
            new DefaultIndex("flow_runs_resource_started_idx", "flow_runs",
                    "(resource_id, started_at DESC, id DESC) WHERE resource_id IS NOT NULL"),
            new DefaultIndex("flow_steps_parent_idx", "flow_steps",
                    "(flow_name, run_id, parent_step_id) WHERE parent_step_id IS NOT NULL"),
            new DefaultIndex("triggers_type_name_idx", "triggers", "(type, name)"),
            new DefaultIndex("triggers_status_name_idx", "triggers", "(status, name)"),
            new DefaultIndex("trigger_events_ts_brin_idx", "trigger_events", "USING brin (ts)"),
            // 0.5
            new DefaultIndex("blobs_hash_idx", "blobs", "(hash)"),
            new DefaultIndex("experiments_completed_idx", "experiments", "(completed_at) WHERE completed_at IS NOT NULL"),
            new DefaultIndex("experiments_dataset_created_idx", "experiments", "(dataset_id, created_at DESC, id)"),
            new DefaultIndex("definitions_metadata_idx", "definitions", "USING gin (metadata jsonb_path_ops)"),
            new DefaultIndex("scores_created_at_idx", "scores", "(created_at)"),
            new DefaultIndex("scores_entity_idx", "scores", "(entity_id, entity_type, created_at DESC, id DESC) WHERE entity_id IS NOT NULL"),
            new DefaultIndex("scores_run_idx", "scores", "(run_id, created_at DESC, id DESC) WHERE run_id IS NOT NULL"),
            new DefaultIndex("scores_scorer_idx", "scores", "(scorer_id, created_at DESC, id DESC)"),
            new DefaultIndex("scores_span_idx", "scores", "(trace_id, span_id, created_at DESC, id DESC) WHERE trace_id IS NOT NULL"),
            new DefaultIndex("llm_usage_created_at_idx", "llm_usage", "(created_at)"),
            new DefaultIndex("llm_usage_run_idx", "llm_usage", "(run_id, flow_name, created_at DESC, id DESC) WHERE run_id IS NOT NULL"),
            new DefaultIndex("llm_usage_span_idx", "llm_usage", "(trace_id, span_id, created_at DESC, id DESC) WHERE trace_id IS NOT NULL"),
            new DefaultIndex("spans_roots_entity_idx", "spans", "(entity_type, entity_id, started_at DESC, trace_id DESC) WHERE parent_span_id IS NULL"),
            new DefaultIndex("spans_roots_entity_name_idx", "spans", "(entity_name, started_at DESC, trace_id DESC) WHERE parent_span_id IS NULL"),
            new DefaultIndex("spans_roots_idx", "spans", "(started_at DESC, trace_id DESC) WHERE parent_span_id IS NULL"),
            new DefaultIndex("spans_run_idx", "spans", "(run_id, started_at) WHERE run_id IS NOT NULL"),
            new DefaultIndex("flow_checkpoints_run_idx", "flow_checkpoints", "(flow_name, run_id, id DESC)"),
            new DefaultIndex("chunks_text_search_idx", "chunks", "USING gin (text_search) WITH (fastupdate = off)"),
            new DefaultIndex("chunks_created_idx", "chunks", "(knowledge_base, created_at, id)"),
            new DefaultIndex("flow_events_feed_idx", "flow_events", "(tx, id)"),
            new DefaultIndex("trigger_events_feed_idx", "trigger_events", "(tx, id)"),
            new DefaultIndex("flow_run_status_changes_feed_idx", "flow_run_status_changes", "(tx, id)"),
            new DefaultIndex("flow_run_status_changes_run_idx", "flow_run_status_changes", "(flow_name, run_id, id)"),
            new DefaultIndex("spans_started_idx", "spans", "USING brin (started_at) WITH (autosummarize = on)"));

    /** The names of {@link #ALL}. */
    static final Set<String> NAMES = ALL.stream().map(DefaultIndex::name).collect(Collectors.toUnmodifiableSet());

    private DefaultIndexes() {
    }
}
