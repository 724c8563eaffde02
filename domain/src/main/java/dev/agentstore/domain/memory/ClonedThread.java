package dev.agentstore.domain.memory;

import dev.agentstore.domain.Check;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code cloneThread} returns: the new thread and the ids its messages got.
 *
 * @param thread     the new thread, as stored
 * @param messageIds each copied message's source id mapped to its new id, in sequence order; unmodifiable
 */
public record ClonedThread(Memory thread, Map<String, String> messageIds) {

    /** Copies, keeping the order. */
    public ClonedThread {
        Check.notNull("thread", thread);
        messageIds = Collections.unmodifiableMap(new LinkedHashMap<>(Check.notNull("messageIds", messageIds)));
    }
}
