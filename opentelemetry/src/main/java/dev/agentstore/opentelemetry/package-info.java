/**
 * OpenTelemetry into agentstore's spans. {@link dev.agentstore.opentelemetry.AgentStoreSpanExporter} is a
 * {@code SpanExporter} for the OpenTelemetry Java SDK; {@link dev.agentstore.opentelemetry.OtlpJson} reads OTLP/JSON
 * files (what {@code agentstore traces import} imports). Both map a span the same way, in one place
 * ({@code SpanMapping}): the span type and entity from the GenAI semantic conventions ({@code gen_ai.*}), links to
 * agentstore's runs, threads, resources and users from {@link dev.agentstore.opentelemetry.AgentStoreAttributes}, the
 * resource, scope, kind, events and links into the span's metadata. See {@code docs/observability.md}.
 */
package dev.agentstore.opentelemetry;
