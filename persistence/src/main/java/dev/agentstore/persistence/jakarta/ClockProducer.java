package dev.agentstore.persistence.jakarta;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

import java.time.Clock;

/**
 * The container's {@link Clock}: every repository bean reads the time (expiry, due times, timestamps it writes) from the
 * {@code Clock} injected here, as a standalone repository reads the one passed to its constructor. By default
 * {@link Clock#systemUTC()}.
 *
 * <p>An application (or a test deployment) replaces it with an enabled alternative producer of {@code Clock}: a bean
 * class annotated {@code @Alternative @Priority(...)} whose {@code @Produces} method returns the clock. The priority
 * enables it for the whole deployment, so no {@code beans.xml} entry is needed. A repository is
 * {@code @ApplicationScoped} and takes its clock once, when the container creates it: a test clock must be one
 * object whose time moves (not a new {@code Clock.fixed} per call).
 *
 * <pre>{@code
 * @ApplicationScoped @Alternative @Priority(Interceptor.Priority.APPLICATION)
 * public class TestClock {
 *     static final SettableClock CLOCK = new SettableClock(); // a Clock subclass whose instant() the test moves
 *     @Produces Clock clock() { return CLOCK; }
 * }
 * }</pre>
 *
 * <p>Because this bean produces the plain type {@code Clock}, an application that declares its own non-alternative
 * {@code Clock} producer gets an ambiguous dependency at deployment; declaring it {@code @Alternative @Priority} as
 * above resolves that, and then the application and agentstore read the same clock.
 */
@ApplicationScoped
public class ClockProducer {

    /** For CDI. */
    protected ClockProducer() {
    }

    /**
     * @return {@link Clock#systemUTC()}, immutable and thread-safe (the producer is {@code @Dependent}: no proxy)
     */
    @Produces
    public Clock clock() {
        return Clock.systemUTC();
    }
}
