package dev.agentstore.it;

import dev.agentstore.persistence.jakarta.ChangeFeedBean;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * Test-only resource added to {@link ExampleAppSseTest}'s deployment: {@code GET /api/test/feed/subscriptions} is
 * {@link ChangeFeedBean#openSubscriptions()} as plain text, so a test outside the server can see subscriptions close.
 */
@Path("test/feed/subscriptions")
@RequestScoped
public class FeedSubscriptionsProbe {

    @Inject
    ChangeFeedBean feed;

    /** @return the deployment's open subscriptions, as text */
    @GET
    @Produces(MediaType.TEXT_PLAIN)
    public String openSubscriptions() {
        return Integer.toString(feed.openSubscriptions());
    }
}
