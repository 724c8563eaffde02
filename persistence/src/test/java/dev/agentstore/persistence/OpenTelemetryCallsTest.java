package dev.agentstore.persistence;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.agentstore.domain.ConcurrencyConflictException;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** OpenTelemetry spans of a store opened with {@code openTelemetry}: real calls, the SDK's in-memory exporter. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenTelemetryCallsTest {

    @RegisterExtension
    static final OpenTelemetryExtension OTEL = OpenTelemetryExtension.create();

    private AgentStore store;

    @BeforeAll
    void open() {
        store = AgentStore.open(AgentStoreExtension.testConfig(AgentStoreExtension.uniqueSchema(getClass()))
                .openTelemetry(OTEL.getOpenTelemetry()).build());
    }

    @AfterAll
    void close() {
        try {
            AgentStoreExtension.dropSchema(store.dataSource(), store.config().schema());
        } finally {
            store.close();
        }
    }

    private static String attribute(SpanData span, String key) {
        return span.getAttributes().get(AttributeKey.stringKey(key));
    }

    @Nested
    class Attributes {

        @Test
        void aRepositoryCallIsOneClientSpanWithTheDatabaseSemanticConventions() {
            store.kv().set("span:1", IntNode.valueOf(1));

            List<SpanData> spans = OTEL.getSpans();
            assertThat(spans).hasSize(1);
            SpanData span = spans.get(0);
            assertThat(span.getName()).isEqualTo("set kv_entries");
            assertThat(span.getKind()).isEqualTo(SpanKind.CLIENT);
            assertThat(span.getInstrumentationScopeInfo().getName()).isEqualTo(OpenTelemetryCalls.SCOPE);
            assertThat(attribute(span, "db.system.name")).isEqualTo("postgresql");
            assertThat(attribute(span, "db.operation.name")).isEqualTo("set");
            assertThat(attribute(span, "db.collection.name")).isEqualTo("kv_entries");
            assertThat(attribute(span, "db.namespace")).isEqualTo("agentstore|" + store.config().schema());
            assertThat(attribute(span, "agentstore.repository")).isEqualTo("KvRepository");
            assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        }

        @Test
        void aUnitOfWorkIsNamedAfterTheNamespaceAndHasNoCollection() {
            store.inTransaction(uow -> uow.kv().set("span:uow", IntNode.valueOf(1)));

            SpanData span = OTEL.getSpans().get(0);
            assertThat(span.getName()).isEqualTo("transaction agentstore|" + store.config().schema());
            assertThat(attribute(span, "db.operation.name")).isEqualTo("transaction");
            assertThat(attribute(span, "db.collection.name")).isNull();
        }

        @Test
        void noStatementTextKeyOrValueIsRecorded() {
            store.kv().set("secret-key-4711", TextNode.valueOf("secret-value-4711"));
            store.kv().get("secret-key-4711");

            assertThat(OTEL.getSpans()).hasSize(2).allSatisfy(span -> {
                assertThat(span.getName()).doesNotContain("4711");
                assertThat(span.getAttributes().asMap().values()).map(String::valueOf)
                        .noneMatch(v -> v.contains("4711"));
                assertThat(span.getAttributes().asMap().keySet()).map(AttributeKey::getKey)
                        .doesNotContain("db.query.text", "db.statement");
                assertThat(span.getEvents()).isEmpty();
            });
        }
    }

    @Nested
    class Failures {

        @Test
        void aConflictEndsTheSpanWithStatusErrorAndTheErrorTypeOnly() {
            store.kv().set("span:cas", IntNode.valueOf(1));
            long read = store.kv().getEntry("span:cas").orElseThrow().version();
            store.kv().set("span:cas", IntNode.valueOf(2), read);
            OTEL.clearSpans();

            assertThatThrownBy(() -> store.kv().set("span:cas", IntNode.valueOf(3), read))
                    .isInstanceOf(ConcurrencyConflictException.class);

            SpanData span = OTEL.getSpans().get(0);
            assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(attribute(span, "error.type")).isEqualTo(ConcurrencyConflictException.class.getName());
            assertThat(span.getEvents()).as("no exception event: its message names the key").isEmpty();
        }
    }

    @Nested
    class Context {

        @Test
        void aCallIsAChildOfTheCallersCurrentSpan() {
            Span parent = OTEL.getOpenTelemetry().getTracer("test").spanBuilder("agent step").startSpan();
            try (Scope ignored = parent.makeCurrent()) {
                store.kv().set("span:child", IntNode.valueOf(1));
            } finally {
                parent.end();
            }

            SpanData call = OTEL.getSpans().stream().filter(s -> s.getName().equals("set kv_entries")).findFirst()
                    .orElseThrow();
            assertThat(call.getParentSpanId()).isEqualTo(parent.getSpanContext().getSpanId());
            assertThat(call.getTraceId()).isEqualTo(parent.getSpanContext().getTraceId());
        }

        @Test
        void aPerCallRepositoryCalledInsideAUnitOfWorkNestsUnderIt() {
            store.inTransaction(uow -> store.kv().set("span:nested", IntNode.valueOf(1)));

            SpanData outer = OTEL.getSpans().stream().filter(s -> s.getName().startsWith("transaction")).findFirst()
                    .orElseThrow();
            SpanData inner = OTEL.getSpans().stream().filter(s -> s.getName().equals("set kv_entries")).findFirst()
                    .orElseThrow();
            assertThat(inner.getParentSpanId()).isEqualTo(outer.getSpanId());
        }
    }
}
