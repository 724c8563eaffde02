package dev.agentstore.domain.observability;

/**
 * A span's status, OpenTelemetry's status codes (column {@code spans.status}): {@link #UNSET} until the span is ended
 * with a verdict, {@link #OK} or {@link #ERROR}. A trace is "in error" when its root span's status is {@link #ERROR}.
 */
public enum SpanStatus {
    /** No verdict (OpenTelemetry's default). */
    UNSET,
    /** The operation succeeded, as the instrumentation asserts. */
    OK,
    /** The operation failed; the span's {@code error} holds the details. */
    ERROR
}
