package dev.agentstore.persistence.observability;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.observability.LlmUsage;
import dev.agentstore.domain.observability.LlmUsageTotals;
import dev.agentstore.domain.observability.NewLlmUsage;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class LlmUsageRepositoryTest {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN = "00f067aa0ba902b7";

    /** A flow name no other test uses: tests share the class's schema. */
    private static String flow() {
        return "flow-" + UUID.randomUUID();
    }

    private static NewLlmUsage full(String flow) {
        return NewLlmUsage.builder("openai", "gpt-4o-mini", 1200, 300)
                .totalTokens(1550)
                .reasoningTokens(50L)
                .cachedInputTokens(1000L)
                .cost(new BigDecimal("0.000123456789"), "USD")
                .run(flow, "run-1", "step-1")
                .span(TRACE, SPAN)
                .agentId("support-agent")
                .build();
    }

    @Nested
    class Record {

        @Test
        void everyValueReadsBackAsRecorded(AgentStore store, MutableClock clock) {
            String flow = flow();
            clock.set(Instant.parse("2026-05-01T08:00:00.123456789Z"));

            LlmUsage recorded = store.llmUsage().record(full(flow));
            LlmUsage read = store.llmUsage().listByRun(flow, "run-1", PageRequest.first()).items().get(0);

            assertThat(recorded.createdAt()).isEqualTo(Instant.parse("2026-05-01T08:00:00.123456Z"));
            for (LlmUsage u : List.of(recorded, read)) {
                assertThat(u.provider()).isEqualTo("openai");
                assertThat(u.model()).isEqualTo("gpt-4o-mini");
                assertThat(u.inputTokens()).isEqualTo(1200);
                assertThat(u.outputTokens()).isEqualTo(300);
                assertThat(u.totalTokens()).isEqualTo(1550);
                assertThat(u.reasoningTokens()).isEqualTo(50L);
                assertThat(u.cachedInputTokens()).isEqualTo(1000L);
                assertThat(u.cost()).isEqualTo(new BigDecimal("0.000123456789"));
                assertThat(u.currency()).isEqualTo("USD");
                assertThat(u.flowName()).isEqualTo(flow);
                assertThat(u.runId()).isEqualTo("run-1");
                assertThat(u.stepId()).isEqualTo("step-1");
                assertThat(u.traceId()).isEqualTo(TRACE);
                assertThat(u.spanId()).isEqualTo(SPAN);
                assertThat(u.agentId()).isEqualTo("support-agent");
            }
            assertThat(read.id()).isEqualTo(recorded.id());
            assertThat(read.createdAt()).isEqualTo(recorded.createdAt());
        }

        @Test
        void theTotalDefaultsToInputPlusOutputAndOptionalValuesStayEmpty(AgentStore store) {
            String flow = flow();
            LlmUsage u = store.llmUsage().record(NewLlmUsage.builder("anthropic", "claude", 10, 5).flowName(flow)
                    .build());

            assertThat(u.totalTokens()).isEqualTo(15);
            assertThat(u.cost()).isNull();
            assertThat(u.currency()).isNull();
            assertThat(u.reasoningTokens()).isNull();
            assertThat(store.llmUsage().dailyTotals(null, null, flow)).singleElement()
                    .satisfies(t -> assertThat(t.totalTokens()).isEqualTo(15));
        }

        @Test
        void theCallersTimeIsKept(AgentStore store) {
            String flow = flow();
            Instant at = Instant.parse("2020-02-29T23:59:59.999999Z");

            LlmUsage u = store.llmUsage().record(NewLlmUsage.builder("p", "m", 1, 1).run(flow, "r", null)
                    .createdAt(at).build());

            assertThat(u.createdAt()).isEqualTo(at);
            assertThat(store.llmUsage().listByRun(flow, "r", PageRequest.first()).items().get(0).createdAt())
                    .isEqualTo(at);
        }

        @Test
        void aBatchIsRecordedInInputOrderWithOneClockReading(AgentStore store, MutableClock clock) {
            String flow = flow();
            clock.set(Instant.parse("2026-05-02T00:00:00Z"));
            List<NewLlmUsage> batch = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                batch.add(NewLlmUsage.builder("p", "m-" + i, i, 1).run(flow, "run", "s" + i).build());
            }

            List<LlmUsage> recorded = store.llmUsage().recordAll(batch);

            assertThat(recorded).extracting(LlmUsage::model).containsExactlyElementsOf(
                    batch.stream().map(NewLlmUsage::model).toList());
            assertThat(recorded).extracting(LlmUsage::createdAt).containsOnly(clock.instant());
            assertThat(store.llmUsage().listByRun(flow, "run", PageRequest.of(0, 100)).items())
                    .containsExactlyInAnyOrderElementsOf(recorded);
            assertThat(store.llmUsage().recordAll(List.of())).isEmpty();
        }

        @Test
        void timesAtBothEndsOfPostgresqlsRangeReadBackExactly(AgentStore store) {
            String flow = flow();
            Instant min = dev.agentstore.domain.Check.MIN_TIMESTAMP;
            Instant max = dev.agentstore.domain.Check.MAX_TIMESTAMP;
            Instant beforeEpoch = Instant.parse("1969-12-31T23:59:59.000001Z");

            store.llmUsage().recordAll(List.of(
                    NewLlmUsage.builder("p", "m", 1, 0).run(flow, "r", null).createdAt(min).build(),
                    NewLlmUsage.builder("p", "m", 2, 0).run(flow, "r", null).createdAt(max).build(),
                    NewLlmUsage.builder("p", "m", 3, 0).run(flow, "r", null).createdAt(beforeEpoch).build()));

            assertThat(store.llmUsage().listByRun(flow, "r", PageRequest.first()).items())
                    .extracting(LlmUsage::createdAt).containsExactly(max, beforeEpoch, min);
        }

        @Test
        void aBatchInAUnitOfWorkIsRolledBackWithIt(AgentStore store) {
            String flow = flow();
            assertThatThrownBy(() -> store.inTransaction(uow -> {
                uow.llmUsage().recordAll(List.of(NewLlmUsage.builder("p", "m", 1, 1).run(flow, "run", null).build()));
                throw new IllegalStateException("abort");
            })).isInstanceOf(IllegalStateException.class);

            assertThat(store.llmUsage().listByRun(flow, "run", PageRequest.first()).total()).isZero();
        }

        @Test
        void aNullElementOrAnOversizedBatchIsRefused(AgentStore store) {
            List<NewLlmUsage> withNull = new ArrayList<>();
            withNull.add(null);
            assertThatThrownBy(() -> store.llmUsage().recordAll(withNull))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("usages");
            NewLlmUsage one = NewLlmUsage.builder("p", "m", 1, 1).build();
            assertThatThrownBy(() -> store.llmUsage().recordAll(java.util.Collections.nCopies(10_001, one)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("10000");
            assertThatThrownBy(() -> store.llmUsage().record(null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("usage");
        }
    }

    @Nested
    class Validation {

        @Test
        void tokensAndCostsAreChecked() {
            assertThatThrownBy(() -> NewLlmUsage.builder("p", "m", -1, 0).build()).hasMessageContaining("inputTokens");
            assertThatThrownBy(() -> NewLlmUsage.builder("p", "m", 0, 0).totalTokens(-1).build())
                    .hasMessageContaining("totalTokens");
            assertThatThrownBy(() -> NewLlmUsage.builder("p", "m", 0, 0).reasoningTokens(-1L).build())
                    .hasMessageContaining("reasoningTokens");
            assertThatThrownBy(() -> NewLlmUsage.builder("p", "m", 0, 0).cost(new BigDecimal("-0.01"), "USD").build())
                    .hasMessageContaining("cost");
            assertThatThrownBy(() -> NewLlmUsage.builder("p", "m", 0, 0).cost(new BigDecimal("1e18"), "USD").build())
                    .hasMessageContaining("cost");
            assertThatThrownBy(() -> NewLlmUsage.builder("p", "m", 0, 0).cost(new BigDecimal("1e-13"), "USD").build())
                    .hasMessageContaining("decimals");
        }

        @Test
        void aCostNeedsAnIso4217Currency() {
            assertThatThrownBy(() -> NewLlmUsage.builder("p", "m", 0, 0).cost(BigDecimal.ONE, null).build())
                    .hasMessageContaining("currency");
            assertThatThrownBy(() -> NewLlmUsage.builder("p", "m", 0, 0).cost(null, "USD").build())
                    .hasMessageContaining("currency");
            assertThatThrownBy(() -> NewLlmUsage.builder("p", "m", 0, 0).cost(BigDecimal.ONE, "usd").build())
                    .hasMessageContaining("currency");
            assertThatThrownBy(() -> NewLlmUsage.builder("p", "m", 0, 0).cost(BigDecimal.ONE, "ZZQ").build())
                    .hasMessageContaining("ISO 4217");
            assertThat(NewLlmUsage.builder("p", "m", 0, 0).cost(new BigDecimal("2.500"), "EUR").build().cost())
                    .isEqualTo(new BigDecimal("2.5"));
        }

        @Test
        void linksAndIdsAreChecked() {
            assertThatThrownBy(() -> NewLlmUsage.builder("", "m", 0, 0).build()).hasMessageContaining("provider");
            assertThatThrownBy(() -> NewLlmUsage.builder("p", null, 0, 0).build()).hasMessageContaining("model");
            assertThatThrownBy(() -> NewLlmUsage.builder("p", "m", 0, 0).run(null, "r", null).build())
                    .hasMessageContaining("flowName");
            assertThatThrownBy(() -> NewLlmUsage.builder("p", "m", 0, 0).run("f", null, "s").build())
                    .hasMessageContaining("runId");
            assertThatThrownBy(() -> NewLlmUsage.builder("p", "m", 0, 0).span(null, SPAN).build())
                    .hasMessageContaining("traceId");
            assertThatThrownBy(() -> NewLlmUsage.builder("p", "m", 0, 0).span("XYZ", null).build())
                    .hasMessageContaining("traceId");
            assertThatThrownBy(() -> NewLlmUsage.builder("p", "m", 0, 0).createdAt(Instant.MAX).build())
                    .hasMessageContaining("createdAt");
        }
    }

    @Nested
    class Listings {

        @Test
        void byRunNewestFirstInPages(AgentStore store, MutableClock clock) {
            String flow = flow();
            clock.set(Instant.parse("2026-05-03T00:00:00Z"));
            List<LlmUsage> recorded = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                clock.advance(Duration.ofMinutes(1));
                recorded.add(store.llmUsage().record(NewLlmUsage.builder("p", "m", i, 0).run(flow, "r", null).build()));
            }
            store.llmUsage().record(NewLlmUsage.builder("p", "m", 9, 0).run(flow, "other", null).build());

            Page<LlmUsage> first = store.llmUsage().listByRun(flow, "r", PageRequest.of(0, 2));
            Page<LlmUsage> second = store.llmUsage().listByRun(flow, "r", PageRequest.of(1, 2));

            assertThat(first.items()).containsExactly(recorded.get(2), recorded.get(1));
            assertThat(first.total()).isEqualTo(3);
            assertThat(first.hasMore()).isTrue();
            assertThat(second.items()).containsExactly(recorded.get(0));
        }

        @Test
        void bySpan(AgentStore store) {
            String trace = UUID.randomUUID().toString().replace("-", "");
            LlmUsage mine = store.llmUsage().record(NewLlmUsage.builder("p", "m", 1, 1).span(trace, SPAN).build());
            store.llmUsage().record(NewLlmUsage.builder("p", "m", 1, 1).span(trace, "2222222222222222").build());

            assertThat(store.llmUsage().listBySpan(trace, SPAN, PageRequest.first()).items()).containsExactly(mine);
        }

        @Test
        void badArgumentsAreRefused(AgentStore store) {
            assertThatThrownBy(() -> store.llmUsage().listByRun(null, "r", PageRequest.first()))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("flowName");
            assertThatThrownBy(() -> store.llmUsage().listByRun("f", "r", null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("page");
            assertThatThrownBy(() -> store.llmUsage().listBySpan(TRACE, "zz", PageRequest.first()))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("spanId");
        }
    }

    @Nested
    class Totals {

        private record Key(LocalDate day, String model, String currency) {
        }

        @Test
        void dailyTotalsPerModelAndCurrencyMatchJava(AgentStore store) {
            String flow = flow();
            Instant start = Instant.parse("2026-06-01T00:00:00Z");
            Random random = new Random(15);
            String[] models = {"gpt-4o", "claude"};
            String[] currencies = {"USD", "EUR", null};
            Map<Key, long[]> tokens = new TreeMap<>(java.util.Comparator.comparing((Key k) -> k.day)
                    .thenComparing(k -> k.model).thenComparing(k -> k.currency,
                            java.util.Comparator.nullsFirst(java.util.Comparator.naturalOrder())));
            Map<Key, BigDecimal> costs = new java.util.HashMap<>();
            List<NewLlmUsage> batch = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                Instant at = start.plusSeconds(random.nextInt(3 * 86_400));
                String model = models[random.nextInt(2)];
                String currency = currencies[random.nextInt(3)];
                long in = random.nextInt(5000);
                long out = random.nextInt(1000);
                BigDecimal cost = currency == null ? null
                        : BigDecimal.valueOf(random.nextInt(1_000_000), 9);
                batch.add(NewLlmUsage.builder("prov", model, in, out).cost(cost, currency).run(flow, "r" + i, null)
                        .createdAt(at).build());
                Key key = new Key(LocalDate.ofInstant(at, ZoneOffset.UTC), model, currency);
                long[] sums = tokens.computeIfAbsent(key, k -> new long[4]);
                sums[0]++;
                sums[1] += in;
                sums[2] += out;
                sums[3] += in + out;
                if (cost != null) {
                    costs.merge(key, cost, BigDecimal::add);
                }
            }
            store.llmUsage().recordAll(batch);
            store.llmUsage().record(NewLlmUsage.builder("prov", "gpt-4o", 1, 1).flowName(flow() + "-other")
                    .createdAt(start).build());

            List<LlmUsageTotals> totals = store.llmUsage().dailyTotals(start, start.plus(Duration.ofDays(3)), flow);

            assertThat(totals).hasSize(tokens.size());
            int i = 0;
            for (Map.Entry<Key, long[]> e : tokens.entrySet()) {
                LlmUsageTotals t = totals.get(i++);
                assertThat(new Key(t.day(), t.model(), t.currency())).isEqualTo(e.getKey());
                assertThat(t.flowName()).isEqualTo(flow);
                assertThat(t.provider()).isEqualTo("prov");
                assertThat(new long[] {t.calls(), t.inputTokens(), t.outputTokens(), t.totalTokens()})
                        .containsExactly(e.getValue());
                BigDecimal expected = costs.get(e.getKey());
                if (expected == null) {
                    assertThat(t.cost()).isNull();
                } else {
                    assertThat(t.cost()).isEqualByComparingTo(expected);
                }
            }
        }

        @Test
        void totalsPerCurrency(AgentStore store) {
            Instant t = Instant.parse("2003-01-01T00:00:00Z");
            store.llmUsage().recordAll(List.of(
                    NewLlmUsage.builder("p", "m", 10, 1).cost(new BigDecimal("0.10"), "USD").createdAt(t).build(),
                    NewLlmUsage.builder("p", "m", 20, 2).cost(new BigDecimal("0.25"), "USD").createdAt(t).build(),
                    NewLlmUsage.builder("p", "m", 30, 3).cost(new BigDecimal("1"), "EUR").createdAt(t).build(),
                    NewLlmUsage.builder("p", "m", 40, 4).createdAt(t).build()));

            List<LlmUsageTotals> totals = store.llmUsage().totals(t, t.plusSeconds(1));

            assertThat(totals).extracting(LlmUsageTotals::currency).containsExactly(null, "EUR", "USD");
            assertThat(totals.get(2).cost()).isEqualTo(new BigDecimal("0.35"));
            assertThat(totals.get(2).calls()).isEqualTo(2);
            assertThat(totals.get(2).totalTokens()).isEqualTo(33);
            assertThat(totals.get(0).cost()).isNull();
            assertThat(totals.get(0).day()).isNull();
            assertThat(totals.get(0).model()).isNull();
        }

        @Test
        void badRangesAreRefused(AgentStore store) {
            Instant t = Instant.parse("2026-01-01T00:00:00Z");
            assertThatThrownBy(() -> store.llmUsage().totals(t, t.minusSeconds(1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("from");
            assertThatThrownBy(() -> store.llmUsage().dailyTotals(null, null, ""))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("flowName");
        }
    }

    @Nested
    class Prune {

        @Test
        void deletesUsageOlderThanTheCutoffAndReturnsTheCount(AgentStore store) {
            String flow = flow();
            Instant t = Instant.parse("2002-01-01T00:00:00Z");
            List<NewLlmUsage> batch = new ArrayList<>();
            for (int day = 0; day < 4; day++) {
                batch.add(NewLlmUsage.builder("p", "m", day, 0).run(flow, "r", null)
                        .createdAt(t.plus(Duration.ofDays(day))).build());
            }
            store.llmUsage().recordAll(batch);
            Instant cutoff = t.plus(Duration.ofDays(2));
            long older = store.llmUsage().totals(null, cutoff).stream().mapToLong(LlmUsageTotals::calls).sum();

            assertThat(older).isGreaterThanOrEqualTo(2); // other tests of the class may have written older rows
            assertThat(store.llmUsage().prune(cutoff)).isEqualTo(older);
            assertThat(store.llmUsage().totals(null, cutoff)).isEmpty();
            assertThat(store.llmUsage().listByRun(flow, "r", PageRequest.first()).items())
                    .extracting(LlmUsage::inputTokens).containsExactly(3L, 2L);
            assertThat(store.llmUsage().prune(t.plus(Duration.ofDays(2)))).isZero();
        }

        @Test
        void aNullCutoffIsRefused(AgentStore store) {
            assertThatThrownBy(() -> store.llmUsage().prune(null))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("olderThan");
        }
    }
}
