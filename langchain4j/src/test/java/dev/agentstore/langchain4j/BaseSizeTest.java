package dev.agentstore.langchain4j;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongUnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/** The cached bounded count: when it counts again and how writes keep it an upper bound. */
class BaseSizeTest {

    private final AtomicLong chunks = new AtomicLong();
    private final AtomicInteger counts = new AtomicInteger();
    private final LongUnaryOperator counter = limit -> {
        counts.incrementAndGet();
        return Math.min(limit, chunks.get());
    };

    @Test
    void countsOnceWithinItsLifetime() {
        BaseSize size = new BaseSize();
        chunks.set(99);

        assertThat(size.below(100, counter)).isTrue();
        chunks.set(500); // another writer
        assertThat(size.below(100, counter)).isTrue();
        assertThat(counts).hasValue(1);
    }

    @Test
    void ownAddsCountAtOnce() {
        BaseSize size = new BaseSize();
        chunks.set(99);
        size.below(100, counter);

        size.added(1);

        assertThat(size.below(100, counter)).isFalse();
        assertThat(counts).hasValue(1);
    }

    @Test
    void aRemovalCountsAgain() {
        BaseSize size = new BaseSize();
        chunks.set(100);
        assertThat(size.below(100, counter)).isFalse();

        chunks.set(10);
        size.forget();

        assertThat(size.below(100, counter)).isTrue();
        assertThat(counts).hasValue(2);
    }

    @Test
    void aHigherThresholdThanTheSaturatedCountCountsAgain() {
        BaseSize size = new BaseSize();
        chunks.set(150);
        assertThat(size.below(100, counter)).isFalse();

        assertThat(size.below(200, counter)).isTrue();
        assertThat(counts).hasValue(2);
    }
}
