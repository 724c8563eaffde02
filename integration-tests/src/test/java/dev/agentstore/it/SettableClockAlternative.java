package dev.agentstore.it;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;
import jakarta.enterprise.inject.Produces;
import jakarta.interceptor.Interceptor;

import java.time.Clock;
import java.time.Instant;

/**
 * Replaces agentstore's {@code ClockProducer} in the deployments that contain it: an alternative enabled by its
 * priority (no {@code beans.xml} entry), producing one {@link SettableClock} for the whole deployment, so every
 * repository bean and the test read the same movable time.
 */
@ApplicationScoped
@Alternative
@Priority(Interceptor.Priority.APPLICATION)
public class SettableClockAlternative {

    private final SettableClock clock = new SettableClock(Instant.now());

    /** @return the deployment's one settable clock */
    @Produces
    public Clock clock() {
        return clock;
    }
}
