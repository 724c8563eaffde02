package dev.agentstore.opentelemetry;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.observability.NewSpan;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.observability.SpanRepository;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An OpenTelemetry Java SDK {@link SpanExporter} that writes spans into agentstore's {@code spans} table, mapped as
 * {@code docs/observability.md} describes (GenAI semantic conventions, {@link AgentStoreAttributes}). Register it with
 * a span processor, a {@code BatchSpanProcessor} for production:
 *
 * <pre>{@code
 * SdkTracerProvider tracing = SdkTracerProvider.builder()
 *         .addSpanProcessor(BatchSpanProcessor.builder(AgentStoreSpanExporter.create(store)).build())
 *         .build();
 * }</pre>
 *
 * <p>Each {@link #export} writes its batch in one transaction and one round trip (the repository's {@code COPY} batch
 * create, up to {@value SpanRepository#MAX_BATCH} spans per round trip) and returns a result that is already complete:
 * success when every span was written; failure when the database refused the batch (nothing of it is written: a span
 * already stored, the database unreachable) or when a span broke one of {@link NewSpan}'s rules or the store's JSON
 * limits (that span is dropped, the others are written; after a JSON-limit refusal, one by one). Failures are logged through SLF4J at {@code WARN} with the count and the exception's type
 * (and agentstore's own message, which names ids and fields only), never with span contents. The SDK does not retry a
 * failed export.
 *
 * <p>Thread-safe: concurrent exports each use their own transaction. {@link #flush()} has nothing to do (an export is
 * written before it returns) and succeeds. After {@link #shutdown()} every export fails without writing; shutting down
 * does not close the {@link AgentStore}, which belongs to the caller.
 */
public final class AgentStoreSpanExporter implements SpanExporter {

    private static final Logger LOG = LoggerFactory.getLogger(AgentStoreSpanExporter.class);

    private final AgentStore store;
    private final AtomicBoolean shutdown = new AtomicBoolean();

    private AgentStoreSpanExporter(AgentStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    /**
     * @param store the open store to write into; it must stay open while the exporter is in use
     * @return an exporter writing into {@code store}
     * @throws NullPointerException when {@code store} is {@code null}
     */
    public static AgentStoreSpanExporter create(AgentStore store) {
        return new AgentStoreSpanExporter(store);
    }

    /**
     * Writes the spans in one transaction.
     *
     * @param spans the finished spans of one batch
     * @return a completed result: success, or failure as the class describes
     */
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        if (shutdown.get()) {
            LOG.warn("agentstore span exporter is shut down: {} span(s) not written", spans.size());
            return CompletableResultCode.ofFailure();
        }
        List<NewSpan> batch = new ArrayList<>(spans.size());
        int dropped = 0;
        String firstProblem = null;
        for (SpanData span : spans) {
            try {
                batch.add(SpanMapping.toNewSpan(SdkSpans.of(span)));
            } catch (InvalidInputException e) {
                dropped++;
                firstProblem = firstProblem == null ? e.getMessage() : firstProblem;
            }
        }
        if (dropped > 0) {
            // InvalidInputException messages name the field and the rule, never the value
            LOG.warn("agentstore span exporter dropped {} of {} span(s) it cannot store; first: {}", dropped,
                    spans.size(), firstProblem);
        }
        if (batch.isEmpty()) {
            return dropped == 0 ? CompletableResultCode.ofSuccess() : CompletableResultCode.ofFailure();
        }
        try {
            try {
                write(batch);
            } catch (InvalidInputException e) {
                // a span's JSON exceeds the store's limits: write the others one by one
                int refused = writeEach(batch);
                LOG.warn("agentstore span exporter dropped {} of {} span(s) over the store's JSON limits; first: {}",
                        refused, spans.size(), e.getMessage());
                dropped += refused;
            }
        } catch (RuntimeException e) {
            // agentstore's exceptions name the entity and key only; any other message may quote a row's values
            LOG.warn("agentstore span exporter could not write {} span(s): {}", batch.size(),
                    e instanceof AgentStoreException ? e.getClass().getSimpleName() + ": " + e.getMessage()
                            : e.getClass().getName());
            return CompletableResultCode.ofExceptionalFailure(e);
        }
        return dropped == 0 ? CompletableResultCode.ofSuccess() : CompletableResultCode.ofFailure();
    }

    private void write(List<NewSpan> batch) {
        store.inTransaction(uow -> {
            for (int from = 0; from < batch.size(); from += SpanRepository.MAX_BATCH) {
                uow.spans().createAll(batch.subList(from, Math.min(batch.size(), from + SpanRepository.MAX_BATCH)));
            }
        });
    }

    /** Writes each span in its own transaction; returns how many the store refused as invalid. */
    private int writeEach(List<NewSpan> batch) {
        int refused = 0;
        for (NewSpan span : batch) {
            try {
                store.spans().create(span);
            } catch (InvalidInputException e) {
                refused++;
            }
        }
        return refused;
    }

    /**
     * Nothing is buffered here: each export is written before it returns.
     *
     * @return a completed success
     */
    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    /**
     * Stops accepting exports; later ones fail without writing. Does not close the store. Idempotent.
     *
     * @return a completed success
     */
    @Override
    public CompletableResultCode shutdown() {
        shutdown.set(true);
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public String toString() {
        return "AgentStoreSpanExporter";
    }
}
