package dev.agentstore.persistence.support;

import dev.agentstore.domain.ConcurrencyConflictException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.TransientDataAccessException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

class RetryPolicyTest {

    private final RetryPolicy fast = new RetryPolicy(5, Duration.ZERO, Duration.ZERO);

    @Test
    void backoffIsJitteredWithinTheExponentialBoundAndCapped() {
        RetryPolicy policy = new RetryPolicy(10, Duration.ofMillis(4), Duration.ofMillis(20));
        for (int i = 0; i < 200; i++) {
            assertThat(policy.backoff(1)).isBetween(Duration.ZERO, Duration.ofMillis(4));
            assertThat(policy.backoff(2)).isBetween(Duration.ZERO, Duration.ofMillis(8));
            assertThat(policy.backoff(9)).isBetween(Duration.ZERO, Duration.ofMillis(20));
            assertThat(policy.backoff(60)).isBetween(Duration.ZERO, Duration.ofMillis(20));
        }
    }

    @Test
    void invalidPoliciesAreRejected() {
        assertThatThrownBy(() -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("maxAttempts");
        assertThatThrownBy(() -> new RetryPolicy(3, Duration.ofMillis(-1), Duration.ZERO))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("initialBackoff");
        assertThatThrownBy(() -> new RetryPolicy(3, Duration.ZERO, null))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("maxBackoff");
    }

    @Nested
    class Retried {

        @Test
        void retriesConflictsUntilAnAttemptSucceeds() {
            AtomicInteger calls = new AtomicInteger();
            String result = fast.execute("work", () -> {
                if (calls.incrementAndGet() < 3) {
                    throw new ConcurrencyConflictException("lost race", null);
                }
                return "done";
            });
            assertThat(result).isEqualTo("done");
            assertThat(calls).hasValue(3);
        }

        @Test
        void givesUpAfterMaxAttemptsWithTheLastConflictAsCause() {
            AtomicInteger calls = new AtomicInteger();
            assertThatThrownBy(() -> fast.execute("FlowRun etl/1", () -> {
                calls.incrementAndGet();
                throw new ConcurrencyConflictException("lost race " + calls.get(), null);
            }))
                    .isInstanceOf(ConcurrencyConflictException.class)
                    .hasMessage("FlowRun etl/1: still conflicting after 5 attempts")
                    .hasRootCauseMessage("lost race 5");
            assertThat(calls).hasValue(5);
        }

        @Test
        void retriesRetrySafeTransientFailuresUntilAnAttemptSucceeds() {
            AtomicInteger calls = new AtomicInteger();
            String result = fast.execute("work", () -> {
                if (calls.incrementAndGet() < 4) {
                    throw new TransientDataAccessException("get Record r1", "get Record r1: connection lost", true, null);
                }
                return "done";
            });
            assertThat(result).isEqualTo("done");
            assertThat(calls).hasValue(4);
        }

        @Test
        void givesUpAfterMaxAttemptsNamingTheOperationAndTheAttempts() {
            AtomicInteger calls = new AtomicInteger();
            Throwable thrown = catchThrowable(() -> fast.execute("unit of work", () -> {
                calls.incrementAndGet();
                throw new TransientDataAccessException("get Record r1", "get Record r1: lock timeout " + calls.get(), true,
                        null);
            }));
            assertThat(thrown).isExactlyInstanceOf(TransientDataAccessException.class)
                    .hasMessage("unit of work: still failing after 5 attempts; last: get Record r1: lock timeout 5")
                    .hasCauseExactlyInstanceOf(TransientDataAccessException.class);
            assertThat(((TransientDataAccessException) thrown).operation()).isEqualTo("get Record r1");
            assertThat(((TransientDataAccessException) thrown).retrySafe()).isTrue();
            assertThat(calls).hasValue(5);
        }
    }

    @Nested
    class NotRetried {

        @Test
        void aFailureWithAnUnknownOutcomeIsNotRetried() {
            AtomicInteger calls = new AtomicInteger();
            TransientDataAccessException unknown = new TransientDataAccessException("commit of unit of work",
                    "commit of unit of work: connection lost; the outcome is unknown: check before retrying", false, null);
            assertThatThrownBy(() -> fast.execute("work", () -> {
                calls.incrementAndGet();
                throw unknown;
            })).isSameAs(unknown);
            assertThat(calls).hasValue(1);
        }

        @Test
        void otherFailuresAreNotRetried() {
            AtomicInteger calls = new AtomicInteger();
            assertThatThrownBy(() -> fast.execute("work", () -> {
                calls.incrementAndGet();
                throw new InvalidInputException("bad");
            })).isInstanceOf(InvalidInputException.class);
            assertThat(calls).hasValue(1);
        }
    }
}
