package dev.agentstore.it;

import dev.agentstore.persistence.kv.KvRepository;
import jakarta.inject.Inject;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Clock;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Time moves in WildFly as it does standalone: the deployment replaces agentstore's {@code ClockProducer} with
 * {@link SettableClockAlternative}, and the container's repositories read their time from it (KV expiry is judged by
 * the repository's clock, not the database's {@code now()}).
 */
@ExtendWith(ArquillianExtension.class)
class ContainerClockTest {

    @Deployment
    static WebArchive deployment() {
        return Deployments.withTests("clock-it.war", ContainerClockTest.class, SettableClock.class,
                SettableClockAlternative.class);
    }

    @Inject
    Clock clock;

    @Inject
    KvRepository kv;

    @Inject
    TxHelper tx;

    @Test
    void aKvEntryExpiresWhenTheInjectedClockPassesItsTtl() {
        assertThat(clock).as("the clock the deployment's beans get").isInstanceOf(SettableClock.class);
        SettableClock time = (SettableClock) clock;
        String key = "it-clock-ttl-" + System.nanoTime();
        kv.set(key, "v", Duration.ofMinutes(10));

        time.advance(Duration.ofMinutes(9));
        assertThat(kv.get(key)).as("9 minutes on").isPresent();

        time.advance(Duration.ofMinutes(1));
        assertThat(kv.get(key)).as("10 minutes on: expired by the repository's clock, long before the wall clock")
                .isEmpty();
        assertThat(tx.count("SELECT count(*) FROM kv_entries WHERE key = ?1", key)).as("row kept until purged")
                .isEqualTo(1);
        assertThat(kv.purgeExpired(100)).as("purge judges expiry by the same clock").isGreaterThanOrEqualTo(1);
        assertThat(tx.count("SELECT count(*) FROM kv_entries WHERE key = ?1", key)).as("purged").isZero();
    }
}
