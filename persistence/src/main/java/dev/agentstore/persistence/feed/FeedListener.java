package dev.agentstore.persistence.feed;

/**
 * Receives the events of a subscription or a durable consumer, in feed order, one call at a time (never
 * concurrently for one subscription), on a thread of the feed's executor.
 */
@FunctionalInterface
public interface FeedListener {

    /**
     * @param event the next event
     * @throws Exception to stop: a subscription then closes ({@link Subscription#failure()} holds the exception);
     *                   a durable consumer rolls its batch back and gets the events again after the poll interval
     */
    void onEvent(FeedEvent event) throws Exception;
}
