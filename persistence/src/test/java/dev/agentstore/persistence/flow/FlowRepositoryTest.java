package dev.agentstore.persistence.flow;

import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.NotFoundException;
import dev.agentstore.domain.flow.Flow;
import dev.agentstore.domain.flow.FlowStat;
import dev.agentstore.domain.flow.FlowStats;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import dev.agentstore.persistence.MutableClock;
import dev.agentstore.persistence.support.Page;
import dev.agentstore.persistence.support.PageRequest;
import io.hypersistence.utils.jdbc.validator.SQLStatementCountValidator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(AgentStoreExtension.class)
class FlowRepositoryTest {

    private static final String LONG_NAME = "x".repeat(256);

    private static long count(AgentStore store, String sql) {
        return store.fromTransaction(uow -> ((Number) uow.entityManager().createNativeQuery(sql).getSingleResult())
                .longValue());
    }

    private static Optional<Flow> get(AgentStore store, String name) {
        return store.fromTransaction(uow -> uow.flows().get(name));
    }

    private static boolean delete(AgentStore store, String name) {
        return store.fromTransaction(uow -> uow.flows().delete(name));
    }

    private static long increment(AgentStore store, String name, FlowStat stat, long delta) {
        return store.fromTransaction(uow -> uow.flows().incrementStat(name, stat, delta));
    }

    @Test
    void flowsHandedOutAreDetachedSnapshots(AgentStore store) {
        Optional<Flow> flow = store.fromTransaction(uow -> {
            uow.flows().register("detached", "x", 1);
            Optional<Flow> f = uow.flows().get("detached");
            assertThat(uow.entityManager().contains(f.orElseThrow())).isFalse();
            return f;
        });
        assertThat(flow).isPresent();
    }

    @Nested
    class RegisterGetAndDelete {

        @Test
        void registerInsertsANewFlowWithZeroStats(AgentStore store, MutableClock clock) {
            Flow flow = store.fromTransaction(uow -> uow.flows().register("reg-new", "Nightly ETL", 2));

            assertThat(flow.name()).isEqualTo("reg-new");
            assertThat(flow.displayName()).isEqualTo("Nightly ETL");
            assertThat(flow.flowVersion()).isEqualTo(2);
            assertThat(flow.registeredAt()).isEqualTo(clock.instant());
            assertThat(flow.lastRunAt()).isNull();
            assertThat(flow.stats()).isEqualTo(new FlowStats(0, 0, 0, 0, 0, 0));
            assertThat(get(store, "reg-new")).get()
                    .extracting(Flow::displayName).isEqualTo("Nightly ETL");
        }

        @Test
        void reRegisteringUpdatesDisplayNameAndVersionButKeepsStatsAndRegistrationTime(AgentStore store,
                                                                                      MutableClock clock) {
            Instant registered = clock.instant();
            store.inTransaction(uow -> uow.flows().register("reg-again", "Old", 1));
            store.inTransaction(uow -> uow.flows().incrementStat("reg-again", FlowStat.SUCCESS, 3));
            clock.advance(Duration.ofMinutes(5));

            Flow flow = store.fromTransaction(uow -> uow.flows().register("reg-again", null, 7));

            assertThat(flow.displayName()).isNull();
            assertThat(flow.flowVersion()).isEqualTo(7);
            assertThat(flow.registeredAt()).isEqualTo(registered);
            assertThat(flow.stat(FlowStat.SUCCESS)).isEqualTo(3);
            assertThat(flow.version()).as("the re-registration, not the counter move").isEqualTo(1);
        }

        @Test
        void registerRejectsInvalidInputAndWritesNothing(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flows().register(" ", "x", 1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("name");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flows().register(LONG_NAME, "x", 1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("255");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flows().register("bad-display", LONG_NAME, 1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("displayName");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flows().register("bad-version", "x", 0)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("flowVersion");

            assertThat(count(store, "SELECT count(*) FROM flows WHERE name IN ('bad-display', 'bad-version')")).isZero();
        }

        @Test
        void getReturnsEmptyForAnUnknownFlowAndRejectsABlankName(AgentStore store) {
            assertThat(get(store, "never-registered")).isEmpty();
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.flows().get("")))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("name");
        }

        @Test
        void deleteRemovesTheFlowAndReportsWhetherOneExisted(AgentStore store) {
            store.inTransaction(uow -> uow.flows().register("del-me", "x", 1));

            assertThat(delete(store, "del-me")).isTrue();
            assertThat(delete(store, "del-me")).isFalse();
            assertThat(get(store, "del-me")).isEmpty();
        }
    }

    @Nested
    class IncrementStat {

        @Test
        void incrementStatAddsAtomicallyAndReturnsTheNewValue(AgentStore store) {
            store.inTransaction(uow -> uow.flows().register("inc", "x", 1));

            assertThat(increment(store, "inc", FlowStat.TOTAL, 1)).isEqualTo(1);
            assertThat(increment(store, "inc", FlowStat.TOTAL, 41)).isEqualTo(42);
            assertThat(increment(store, "inc", FlowStat.TOTAL, -2)).isEqualTo(40);

            Flow flow = store.fromTransaction(uow -> uow.flows().get("inc")).orElseThrow();
            assertThat(flow.stats()).isEqualTo(new FlowStats(40, 0, 0, 0, 0, 0));
            assertThat(flow.version()).as("counter moves leave the version alone").isZero();
        }

        @Test
        void incrementStatSeesItsOwnChangeWithinOneUnitOfWork(AgentStore store) {
            Flow seen = store.fromTransaction(uow -> {
                uow.flows().register("inc-same-uow", "x", 1);
                uow.flows().incrementStat("inc-same-uow", FlowStat.FAILURE, 2);
                return uow.flows().get("inc-same-uow").orElseThrow();
            });

            assertThat(seen.stat(FlowStat.FAILURE)).isEqualTo(2);
        }

        @Test
        void incrementStatTakesFieldNamesAsNventSpellsThem(AgentStore store) {
            store.inTransaction(uow -> uow.flows().register("inc-field", "x", 1));

            store.inTransaction(uow -> {
                uow.flows().incrementStat("inc-field", "stats.total", 1);
                uow.flows().incrementStat("inc-field", "stats.success", 2);
                uow.flows().incrementStat("inc-field", "failure", 3);
                uow.flows().incrementStat("inc-field", "stats.running", 4);
                uow.flows().incrementStat("inc-field", "stats.awaiting", 5);
                uow.flows().incrementStat("inc-field", "stats.cancel", 6);
            });

            assertThat(store.fromTransaction(uow -> uow.flows().get("inc-field")).orElseThrow().stats())
                    .isEqualTo(new FlowStats(1, 2, 3, 4, 5, 6));
        }

        @Test
        void incrementStatRejectsAFieldThatIsNotACounter(AgentStore store) {
            store.inTransaction(uow -> uow.flows().register("inc-bad-field", "x", 1));

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flows().incrementStat("inc-bad-field", "displayName", 1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("displayName");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flows().incrementStat("inc-bad-field", "stats.bogus", 1)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("stats.bogus");
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flows().incrementStat("inc-bad-field", (String) null, 1)))
                    .isInstanceOf(InvalidInputException.class);

            assertThat(store.fromTransaction(uow -> uow.flows().get("inc-bad-field")).orElseThrow().version()).isZero();
        }

        @Test
        void incrementStatOfAnUnknownFlowIsNotFound(AgentStore store) {
            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flows().incrementStat("no-such-flow", FlowStat.TOTAL, 1)))
                    .isInstanceOf(NotFoundException.class)
                    .hasMessage("Flow not found: name=no-such-flow");
        }

        @Test
        void decrementBelowZeroIsRejectedAndLeavesTheCounterAlone(AgentStore store) {
            store.inTransaction(uow -> uow.flows().register("dec", "x", 1));
            store.inTransaction(uow -> uow.flows().incrementStat("dec", FlowStat.RUNNING, 2));

            assertThatThrownBy(() -> store.inTransaction(uow -> uow.flows().incrementStat("dec", FlowStat.RUNNING, -3)))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("stats.running")
                    .hasMessageContaining("below 0")
                    .hasMessageContaining("is 2");

            assertThat(increment(store, "dec", FlowStat.RUNNING, -2)).isZero();
        }

        @Test
        void incrementStatSendsExactlyOneStatement(AgentStore store) {
            store.inTransaction(uow -> uow.flows().register("inc-count", "x", 1));
            try (AgentStore counting = AgentStoreExtension.statementCountingStore(store)) {
                SQLStatementCountValidator.reset();

                long value = counting.fromTransaction(uow -> uow.flows().incrementStat("inc-count", FlowStat.TOTAL, 5));

                assertThat(value).isEqualTo(5);
                SQLStatementCountValidator.assertTotalCount(1);
                SQLStatementCountValidator.assertUpdateCount(1);
            }
        }
    }

    @Nested
    class ListFlows {

        @Test
        void listOrdersByLastRunNewestFirstWithNeverRunFlowsLastAndPages(AgentStore store, MutableClock clock) {
            // a schema of its own, so the other tests' flows do not interfere
            Instant t0 = clock.instant();
            store.inTransaction(uow -> {
                for (String name : List.of("list-b", "list-a", "list-old", "list-new")) {
                    uow.flows().register(name, name, 1);
                }
                uow.flowRuns().start("list-old", "r1", t0.minusSeconds(60), null, null);
                uow.flowRuns().start("list-new", "r1", t0, null, null);
            });

            Page<Flow> all = store.fromTransaction(uow -> uow.flows().list(PageRequest.of(0, 1000)));
            List<String> ours = all.items().stream().map(Flow::name).filter(n -> n.startsWith("list-")).toList();
            assertThat(ours).containsExactly("list-new", "list-old", "list-a", "list-b");
            Flow newest = all.items().stream().filter(f -> f.name().equals("list-new")).findFirst().orElseThrow();
            assertThat(newest.lastRunAt()).isEqualTo(t0);

            long total = all.total(); // at least our four, plus flows of other tests in this class
            Page<Flow> second = store.fromTransaction(uow -> uow.flows().list(PageRequest.of(1, 2)));
            assertThat(second.total()).isEqualTo(total);
            assertThat(second.hasMore()).isEqualTo(total > 4);
            assertThat(second.items()).extracting(Flow::name)
                    .containsExactlyElementsOf(all.items().subList(2, 4).stream().map(Flow::name).toList());
        }

        @Test
        void listSendsOneQueryForThePageAndOneForTheCount(AgentStore store) {
            store.inTransaction(uow -> {
                for (int i = 0; i < 5; i++) {
                    uow.flows().register("count-list-" + i, "x", 1);
                }
            });
            try (AgentStore counting = AgentStoreExtension.statementCountingStore(store)) {
                SQLStatementCountValidator.reset();

                Page<Flow> page = counting.fromTransaction(uow -> uow.flows().list(PageRequest.of(0, 3)));

                assertThat(page.items()).hasSize(3);
                SQLStatementCountValidator.assertTotalCount(2);
                SQLStatementCountValidator.assertSelectCount(2);
            }
        }

        @Test
        void listRejectsAMissingOrInvalidPageAndAnswersAnOversizedOneWithNoRows(AgentStore store) {
            assertThatThrownBy(() -> store.fromTransaction(uow -> uow.flows().list(null)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("page");
            assertThatThrownBy(() -> PageRequest.of(-1, 10)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> PageRequest.of(0, 0)).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> PageRequest.of(0, PageRequest.MAX_PER_PAGE + 1))
                    .isInstanceOf(InvalidInputException.class);
            store.inTransaction(uow -> uow.flows().register("list-far", "x", 1));

            Page<Flow> far = store.fromTransaction(uow -> uow.flows().list(PageRequest.of(Integer.MAX_VALUE, 1000)));

            assertThat(far.items()).isEmpty();
            assertThat(far.total()).isPositive();
            assertThat(far.hasMore()).isFalse();
        }
    }
}
