package dev.agentstore.persistence.observability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.DuplicateException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.observability.NewSpan;
import dev.agentstore.domain.observability.Span;
import dev.agentstore.domain.observability.SpanEntity;
import dev.agentstore.domain.observability.SpanStatus;
import dev.agentstore.domain.observability.SpanType;
import dev.agentstore.domain.observability.SpanUpdate;
import dev.agentstore.domain.observability.Trace;
import dev.agentstore.domain.observability.TraceCursor;
import dev.agentstore.domain.observability.TracePage;
import dev.agentstore.domain.observability.TraceQuery;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class SpanRepositoryTest {

    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00.123456Z");

    static String traceId() {
        byte[] b = new byte[16];
        ThreadLocalRandom.current().nextBytes(b);
        b[0] |= 1;
        return HexFormat.of().formatHex(b);
    }

    static String spanId() {
        byte[] b = new byte[8];
        ThreadLocalRandom.current().nextBytes(b);
        b[0] |= (byte) 0x81; // high bit set: a negative bigint
        return HexFormat.of().formatHex(b);
    }

    static NewSpan.Builder span(String traceId, String spanId, String parent, Instant startedAt) {
        return NewSpan.builder(traceId, spanId, parent == null ? "agent.run" : "step",
                        parent == null ? SpanType.AGENT_RUN : SpanType.TOOL_CALL, startedAt)
                .parentSpanId(parent);
    }

    /** A root with three children and one grandchild, started out of order. */
    static List<NewSpan> tree(String traceId, String entityName, Instant start) {
        String root = spanId();
        String a = spanId();
        String b = spanId();
        String c = spanId();
        String a1 = spanId();
        return List.of(
                span(traceId, c, root, start.plusMillis(30)).build(),
                span(traceId, a1, a, start.plusMillis(15)).build(),
                span(traceId, root, null, start).entity(SpanEntity.of("agent", "id-" + entityName, entityName))
                        .input(Json.parse("input", "{\"text\":\"hi\"}")).build(),
                span(traceId, b, root, start.plusMillis(20)).build(),
                span(traceId, a, root, start.plusMillis(10)).build());
    }

    @Nested
    class Create {

        @Test
        void aSpanReadsBackWithEveryValue(AgentStore store) {
            String t = traceId();
            String s = spanId();
            JsonNode attributes = Json.parse("a", "{\"gen_ai.request.model\":\"m\",\"n\":1.50,\"tab\":\"a\\tb\\\\n\"}");
            NewSpan span = span(t, s, spanId(), T0).entity(SpanEntity.of("agent", "a1", "Agent One"))
                    .runId("run-1").threadId("thread-1").resourceId("res-1").userId("user-1")
                    .endedAt(T0.plusMillis(5)).status(SpanStatus.ERROR)
                    .error(Json.parse("e", "{\"message\":\"line1\\nline2\"}"))
                    .input(Json.parse("i", "[1,\"x\"]")).output(Json.parse("o", "\"text\""))
                    .attributes(attributes).metadata(Json.parse("m", "{\"k\":null}")).build();

            Span created = store.spans().create(span);
            Span read = store.spans().getSpan(t, s).orElseThrow();

            assertThat(created).isEqualTo(read);
            assertThat(read.traceId()).isEqualTo(t);
            assertThat(read.spanId()).isEqualTo(s);
            assertThat(read.parentSpanId()).isEqualTo(span.parentSpanId());
            assertThat(read.type()).isEqualTo(SpanType.TOOL_CALL);
            assertThat(read.entity()).isEqualTo(SpanEntity.of("agent", "a1", "Agent One"));
            assertThat(List.of(read.runId(), read.threadId(), read.resourceId(), read.userId()))
                    .containsExactly("run-1", "thread-1", "res-1", "user-1");
            assertThat(read.startedAt()).isEqualTo(T0);
            assertThat(read.endedAt()).isEqualTo(T0.plusMillis(5));
            assertThat(read.status()).isEqualTo(SpanStatus.ERROR);
            assertThat(read.error()).isEqualTo(span.error());
            assertThat(read.input()).isEqualTo(span.input());
            assertThat(read.output()).isEqualTo(span.output());
            assertThat(read.attributes()).isEqualTo(attributes);
            assertThat(read.metadata()).isEqualTo(span.metadata());
            assertThat(read.createdAt()).isEqualTo(created.createdAt());
            assertThat(read.updatedAt()).isNull();
        }

        @Test
        void aBatchIsCopiedWithEscapesAndNullsIntact(AgentStore store) {
            String t = traceId();
            List<NewSpan> spans = new ArrayList<>(tree(t, "batch-agent", T0));
            String odd = spanId();
            spans.add(span(t, odd, spans.get(2).spanId(), T0.plusMillis(40))
                    .entity(SpanEntity.of("tool", "back\\slash", "tab\there\nnew\rline"))
                    .attributes(Json.parse("a", "{\"q\":\"\\\\N\",\"u\":\"\u00e9\u4e2d\ud83d\ude00\"}")).build());

            assertThat(store.spans().createAll(spans)).isEqualTo(6);

            Span read = store.spans().getSpan(t, odd).orElseThrow();
            assertThat(read.entity()).isEqualTo(SpanEntity.of("tool", "back\\slash", "tab\there\nnew\rline"));
            assertThat(read.attributes()).isEqualTo(spans.get(5).attributes());
            assertThat(read.input()).isNull();
            assertThat(read.endedAt()).isNull();
            assertThat(store.spans().getTrace(t).orElseThrow().spans()).hasSize(6);
        }

        @Test
        void anUpsertCreatesNewSpansAndReplacesStoredOnesKeepingTheirCreationTime(AgentStore store) {
            String t = traceId();
            List<NewSpan> spans = tree(t, "upsert", T0);
            store.spans().createAll(spans.subList(0, 2));
            Span before = store.spans().getSpan(t, spans.get(0).spanId()).orElseThrow();
            NewSpan changed = span(t, spans.get(0).spanId(), spans.get(0).parentSpanId(), T0.plusMillis(30))
                    .endedAt(T0.plusSeconds(3)).status(SpanStatus.OK).output(Json.parse("o", "{\"v\":1}"))
                    .attributes(Json.parse("a", "{\"x\":\"tab\\tnew\\nline\"}")).build();
            List<NewSpan> batch = new ArrayList<>(spans);
            batch.set(0, changed);

            assertThat(store.spans().upsertAll(batch)).isEqualTo(5);

            Span after = store.spans().getSpan(t, changed.spanId()).orElseThrow();
            assertThat(after.status()).isEqualTo(SpanStatus.OK);
            assertThat(after.endedAt()).isEqualTo(T0.plusSeconds(3));
            assertThat(after.output()).isEqualTo(changed.output());
            assertThat(after.attributes()).isEqualTo(changed.attributes());
            assertThat(after.createdAt()).isEqualTo(before.createdAt());
            assertThat(after.updatedAt()).isNotNull();
            Span root = store.spans().getRootSpan(t).orElseThrow();
            assertThat(root.entity()).isEqualTo(spans.get(2).entity());
            assertThat(root.input()).isEqualTo(spans.get(2).input());
            assertThat(root.parentSpanId()).isNull();
            assertThat(store.spans().getTrace(t).orElseThrow().spans()).hasSize(5);
        }

        @Test
        void anUpsertWithTheSameSpanTwiceIsRefused(AgentStore store) {
            String t = traceId();
            NewSpan s = span(t, spanId(), null, T0).build();

            assertThatThrownBy(() -> store.spans().upsertAll(List.of(s, s))).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("spans[1]");
            assertThat(store.spans().getTrace(t)).isEmpty();
        }

        @Test
        void anEmptyBatchWritesNothing(AgentStore store) {
            assertThat(store.spans().createAll(List.of())).isZero();
        }

        @Test
        void aBatchWithADuplicateWritesNothing(AgentStore store) {
            String t = traceId();
            List<NewSpan> spans = tree(t, "dup", T0);
            store.spans().create(spans.get(0));

            assertThatThrownBy(() -> store.spans().createAll(spans)).isInstanceOf(DuplicateException.class);
            assertThat(store.spans().getTrace(t).orElseThrow().spans()).hasSize(1);
        }

        @Test
        void aBatchIsPartOfTheUnitOfWork(AgentStore store) {
            String t = traceId();
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.spans().createAll(tree(t, "tx", T0));
                assertThat(uow.spans().getTrace(t)).isPresent();
                throw new IllegalStateException("roll back");
            })).isInstanceOf(IllegalStateException.class);

            assertThat(store.spans().getTrace(t)).isEmpty();
        }
    }

    @Nested
    class BadInput {

        @Test
        void idsMustBeW3cLowerCaseHexAndNotZero() {
            String s = spanId();
            for (String bad : new String[]{null, "", "ABCDEFABCDEFABCDEFABCDEFABCDEFAB", "0".repeat(32), "g".repeat(32),
                    "a".repeat(31), "a".repeat(33)}) {
                assertThatThrownBy(() -> span(bad, s, null, T0).build()).isInstanceOf(InvalidInputException.class)
                        .hasMessageContaining("traceId");
            }
            for (String bad : new String[]{"0".repeat(16), "A".repeat(16), "a".repeat(15)}) {
                assertThatThrownBy(() -> span(traceId(), bad, null, T0).build())
                        .isInstanceOf(InvalidInputException.class).hasMessageContaining("spanId");
                assertThatThrownBy(() -> span(traceId(), s, bad, T0).build())
                        .isInstanceOf(InvalidInputException.class).hasMessageContaining("parentSpanId");
            }
        }

        @Test
        void valuesAreCheckedBeforeAnythingIsWritten(AgentStore store) {
            String t = traceId();
            assertThatThrownBy(() -> span(t, spanId(), null, T0).endedAt(T0.minusMillis(1)).build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("endedAt");
            assertThatThrownBy(() -> span(t, spanId(), null, T0).attributes(Json.parse("a", "[1]")).build())
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("attributes");
            List<NewSpan> withNull = new ArrayList<>(tree(t, "x", T0));
            withNull.add(null);
            assertThatThrownBy(() -> store.spans().createAll(withNull)).isInstanceOf(InvalidInputException.class);
            assertThat(store.spans().getTrace(t)).isEmpty();
        }

        @Test
        void anEndBeforeTheStartIsRefusedOnUpdate(AgentStore store) {
            String t = traceId();
            String s = spanId();
            store.spans().create(span(t, s, null, T0).build());

            assertThatThrownBy(() -> store.spans().update(SpanUpdate.of(t, s).ended(T0.minusSeconds(1), SpanStatus.OK)))
                    .isInstanceOf(InvalidInputException.class);
            assertThat(store.spans().getSpan(t, s).orElseThrow().endedAt()).isNull();
        }
    }

    @Nested
    class Update {

        @Test
        void endingASpanSetsItsEndStatusAndOutputAndMergesAttributes(AgentStore store) {
            String t = traceId();
            String s = spanId();
            store.spans().create(span(t, s, null, T0)
                    .attributes(Json.parse("a", "{\"keep\":1,\"replace\":\"old\"}")).build());

            store.spans().update(SpanUpdate.of(t, s).ended(T0.plusSeconds(2), SpanStatus.OK)
                    .withOutput(Json.parse("o", "{\"text\":\"done\"}"))
                    .withAttributes(Json.parse("a", "{\"replace\":\"new\",\"added\":true}")));

            Span read = store.spans().getSpan(t, s).orElseThrow();
            assertThat(read.endedAt()).isEqualTo(T0.plusSeconds(2));
            assertThat(read.status()).isEqualTo(SpanStatus.OK);
            assertThat(read.output()).isEqualTo(Json.parse("o", "{\"text\":\"done\"}"));
            assertThat(read.attributes()).isEqualTo(Json.parse("a", "{\"keep\":1,\"replace\":\"new\",\"added\":true}"));
            assertThat(read.updatedAt()).isNotNull();
        }

        @Test
        void manySpansInOneStatementAndUnknownOnesAreSkipped(AgentStore store) {
            String t = traceId();
            List<NewSpan> spans = tree(t, "upd", T0);
            store.spans().createAll(spans);
            List<SpanUpdate> updates = new ArrayList<>();
            for (NewSpan s : spans) {
                updates.add(SpanUpdate.of(t, s.spanId()).failed(T0.plusSeconds(1), Json.parse("e", "{\"m\":\"x\"}")));
            }
            updates.add(SpanUpdate.of(t, spanId()).withMetadata(Json.parse("m", "{\"a\":1}")));

            assertThat(store.spans().updateAll(updates)).isEqualTo(5);
            assertThat(store.spans().getTrace(t).orElseThrow().spans())
                    .allSatisfy(s -> assertThat(s.status()).isEqualTo(SpanStatus.ERROR))
                    .allSatisfy(s -> assertThat(s.endedAt()).isEqualTo(T0.plusSeconds(1)));
        }

        @Test
        void anUnknownSpanIsNotFound(AgentStore store) {
            assertThatThrownBy(() -> store.spans().update(SpanUpdate.of(traceId(), spanId()).withOutput(Json.object())))
                    .isInstanceOf(NotFoundException.class);
        }

        @Test
        void aSpanTwiceInOneCallIsRefused(AgentStore store) {
            String t = traceId();
            String s = spanId();
            assertThatThrownBy(() -> store.spans().updateAll(List.of(SpanUpdate.of(t, s), SpanUpdate.of(t, s))))
                    .isInstanceOf(InvalidInputException.class);
        }
    }

    @Nested
    class Traces {

        @Test
        void aTraceIsATreeInStartOrderRootFirstChildrenAfterTheirParent(AgentStore store) {
            String t = traceId();
            List<NewSpan> spans = tree(t, "tree", T0);
            store.spans().createAll(spans);
            Map<String, String> parents = new HashMap<>();
            spans.forEach(s -> parents.put(s.spanId(), s.parentSpanId()));

            Trace trace = store.spans().getTrace(t).orElseThrow();

            // root, a (10 ms), a1 (15 ms, child of a), b (20 ms), c (30 ms)
            assertThat(trace.spans()).extracting(Span::spanId).containsExactly(spans.get(2).spanId(),
                    spans.get(4).spanId(), spans.get(1).spanId(), spans.get(3).spanId(), spans.get(0).spanId());
            assertThat(trace.root().isRoot()).isTrue();
            assertThat(trace.root().input()).isEqualTo(Json.parse("input", "{\"text\":\"hi\"}"));
            assertThat(trace.children(spans.get(2).spanId())).hasSize(3);
            assertThat(trace.light()).isFalse();
        }

        @Test
        void theLightFormHasNoInputOutputAttributesOrMetadata(AgentStore store) {
            String t = traceId();
            store.spans().createAll(tree(t, "light", T0));

            Trace light = store.spans().getTraceLight(t).orElseThrow();

            assertThat(light.light()).isTrue();
            assertThat(light.spans()).hasSize(5).allSatisfy(s -> {
                assertThat(s.isLight()).isTrue();
                assertThat(s.input()).isNull();
                assertThat(s.attributes()).isNull();
            });
            assertThat(light.spans()).extracting(Span::spanId)
                    .containsExactlyElementsOf(store.spans().getTrace(t).orElseThrow().spans().stream()
                            .map(Span::spanId).toList());
        }

        @Test
        void theRootSpanAndUnknownTraces(AgentStore store) {
            String t = traceId();
            List<NewSpan> spans = tree(t, "root", T0);
            store.spans().createAll(spans);

            assertThat(store.spans().getRootSpan(t).orElseThrow().spanId()).isEqualTo(spans.get(2).spanId());
            String unknown = traceId();
            assertThat(store.spans().getTrace(unknown)).isEmpty();
            assertThat(store.spans().getRootSpan(unknown)).isEmpty();
            assertThat(store.spans().getSpan(unknown, spanId())).isEmpty();
        }

        @Test
        void aSpanWhoseParentIsMissingIsListedAsAFurtherRoot(AgentStore store) {
            String t = traceId();
            String orphan = spanId();
            List<NewSpan> spans = new ArrayList<>(tree(t, "partial", T0));
            spans.add(span(t, orphan, spanId(), T0.minusSeconds(1)).build());
            store.spans().createAll(spans);

            List<Span> ordered = store.spans().getTrace(t).orElseThrow().spans();

            assertThat(ordered).hasSize(6);
            assertThat(ordered.get(0).spanId()).isEqualTo(orphan); // earliest start
            assertThat(ordered.get(1).isRoot()).isTrue();
        }

        @Test
        void deletingTracesRemovesEverySpanOfThem(AgentStore store) {
            String a = traceId();
            String b = traceId();
            String keep = traceId();
            store.spans().createAll(tree(a, "del", T0));
            store.spans().createAll(tree(b, "del", T0));
            store.spans().createAll(tree(keep, "del", T0));

            assertThat(store.spans().deleteTraces(List.of(a, b, traceId()))).isEqualTo(10);
            assertThat(store.spans().getTrace(a)).isEmpty();
            assertThat(store.spans().getTrace(b)).isEmpty();
            assertThat(store.spans().getTrace(keep)).isPresent();
        }
    }

    @Nested
    class Listing {

        /** Ten traces of one entity a minute apart, the newest last; every other one in error. */
        private List<String> seed(AgentStore store, String entity, Instant start) {
            List<String> ids = new ArrayList<>();
            List<SpanUpdate> errors = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                String t = traceId();
                ids.add(t);
                List<NewSpan> spans = new ArrayList<>(tree(t, entity, start.plusSeconds(60L * i)));
                NewSpan root = spans.get(2);
                spans.set(2, span(t, root.spanId(), null, root.startedAt())
                        .entity(SpanEntity.of("agent", "id-" + entity, entity)).runId("run-" + entity + "-" + i)
                        .userId(i % 3 == 0 ? "u-" + entity : null)
                        .attributes(Json.parse("a", "{\"gen_ai.request.model\":\"model-" + (i % 2) + "\"}")).build());
                store.spans().createAll(spans);
                if (i % 2 == 1) {
                    errors.add(SpanUpdate.of(t, root.spanId()).failed(root.startedAt().plusSeconds(1), Json.object()));
                }
            }
            store.spans().updateAll(errors);
            return ids;
        }

        private static List<String> ids(TracePage page) {
            return page.roots().stream().map(Span::traceId).toList();
        }

        @Test
        void rootsOfAnEntityNewestFirstPagedByCursorEachOnce(AgentStore store) {
            List<String> ids = seed(store, "list-a", T0);
            seed(store, "list-b", T0);
            List<String> newestFirst = new ArrayList<>(ids);
            java.util.Collections.reverse(newestFirst);

            TracePage first = store.spans().listTraces(TraceQuery.builder().entityName("list-a").limit(4).build());
            TracePage second = store.spans().listTraces(TraceQuery.builder().entityName("list-a").limit(4)
                    .after(first.next()).build());
            TracePage third = store.spans().listTraces(TraceQuery.builder().entityName("list-a").limit(4)
                    .after(TraceCursor.decode(second.next().encode())).build());

            assertThat(ids(first)).containsExactlyElementsOf(newestFirst.subList(0, 4));
            assertThat(ids(second)).containsExactlyElementsOf(newestFirst.subList(4, 8));
            assertThat(ids(third)).containsExactlyElementsOf(newestFirst.subList(8, 10));
            assertThat(third.nextCursor()).isEmpty();
            assertThat(first.roots()).allSatisfy(s -> assertThat(s.isRoot()).isTrue());
        }

        @Test
        void filtersCombine(AgentStore store) {
            Instant start = T0.plusSeconds(86_400);
            List<String> ids = seed(store, "list-c", start);
            TraceQuery.Builder base = TraceQuery.builder().entityType("agent").entityId("id-list-c").limit(100);

            assertThat(ids(store.spans().listTraces(base.build()))).hasSize(10);
            assertThat(ids(store.spans().listTraces(TraceQuery.builder().entityName("list-c").errorsOnly(true)
                    .limit(100).build()))).containsExactly(ids.get(9), ids.get(7), ids.get(5), ids.get(3), ids.get(1));
            assertThat(ids(store.spans().listTraces(TraceQuery.builder().entityName("list-c")
                    .between(start.plusSeconds(60), start.plusSeconds(180)).build())))
                    .containsExactly(ids.get(2), ids.get(1));
            assertThat(ids(store.spans().listTraces(TraceQuery.builder().runId("run-list-c-4").build())))
                    .containsExactly(ids.get(4));
            assertThat(ids(store.spans().listTraces(TraceQuery.builder().userId("u-list-c").build())))
                    .containsExactly(ids.get(9), ids.get(6), ids.get(3), ids.get(0));
            assertThat(ids(store.spans().listTraces(TraceQuery.builder().entityName("list-c").limit(100)
                    .attributes(Json.parse("a", "{\"gen_ai.request.model\":\"model-1\"}")).build())))
                    .containsExactly(ids.get(9), ids.get(7), ids.get(5), ids.get(3), ids.get(1));
            assertThat(ids(store.spans().listTraces(TraceQuery.builder().entityName("list-c").name("agent.run")
                    .type(SpanType.AGENT_RUN).limit(100).build()))).hasSize(10);
            assertThat(ids(store.spans().listTraces(TraceQuery.builder().entityName("list-c")
                    .type(SpanType.WORKFLOW_RUN).build()))).isEmpty();
        }
    }

    @Nested
    class Prune {

        @Test
        void prunesSpansStartedBeforeTheCutoffInBatches(AgentStore store) {
            Instant old = Instant.parse("2001-01-01T00:00:00Z");
            String a = traceId();
            String b = traceId();
            store.spans().createAll(tree(a, "old", old));
            store.spans().createAll(tree(b, "old", old.plusSeconds(3600)));

            long removed = store.fromTransaction(uow -> uow.spans().prune(old.plusSeconds(1), 2));

            assertThat(removed).isEqualTo(5);
            assertThat(store.spans().getTrace(a)).isEmpty();
            assertThat(store.spans().getTrace(b).orElseThrow().spans()).hasSize(5);
            assertThat(store.spans().prune(old.plusSeconds(7200))).isEqualTo(5);
        }

        @Test
        void aTraceAcrossTheCutoffKeepsItsNewerSpansAndSmallBatchesRemoveEverythingOlder(AgentStore store) {
            Instant old = Instant.parse("2002-01-01T00:00:00Z");
            List<String> traces = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String t = traceId();
                traces.add(t);
                store.spans().createAll(tree(t, "old", old.plusSeconds(i)));
            }
            String straddling = traceId();
            store.spans().createAll(tree(straddling, "old", old.plusSeconds(9).plusMillis(985))); // 2 of 5 before +10 s

            long removed = store.fromTransaction(uow -> uow.spans().prune(old.plusSeconds(10), 1));

            assertThat(removed).isEqualTo(17);

            traces.forEach(t -> assertThat(store.spans().getTrace(t)).isEmpty());
            assertThat(store.spans().getTrace(straddling).orElseThrow().spans()).hasSize(3)
                    .allSatisfy(s -> assertThat(s.startedAt()).isAfterOrEqualTo(old.plusSeconds(10)));
            assertThat(store.spans().pruneBatch(old.plusSeconds(10), 1)).isZero();
        }
    }
}
