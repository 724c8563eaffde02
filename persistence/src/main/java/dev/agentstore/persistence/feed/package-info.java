/**
 * The change feed: live subscriptions ({@link dev.agentstore.persistence.feed.ChangeFeed#subscribe}) and durable
 * consumers ({@link dev.agentstore.persistence.feed.ChangeFeed#consume}) over flow events, run status changes and
 * trigger events. The changelog's triggers notify in the writing transaction; readers always read by
 * {@link dev.agentstore.persistence.feed.FeedCursor} (writing transaction, kind, id) below the oldest running
 * transaction, so delivery has no gap and no duplicate whatever happens to the notifications. See
 * {@code docs/feed.md}.
 */
package dev.agentstore.persistence.feed;
