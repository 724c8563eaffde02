package dev.agentstore.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agentstore.domain.json.Json;
import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MessageQuery;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.domain.memory.NewMessage;
import dev.agentstore.persistence.AgentStore;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ChatMessageDeserializer;
import dev.langchain4j.data.message.ChatMessageSerializer;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * LangChain4j's {@link ChatMemoryStore} over agentstore memory: one memory id is one agentstore thread
 * ({@code memoryId.toString()}), one {@link ChatMessage} one message of it.
 *
 * <pre>{@code
 * ChatMemoryStore messages = AgentStoreChatMemoryStore.of(store);
 * ChatMemory memory = MessageWindowChatMemory.builder()
 *         .id("user-42").maxMessages(20).chatMemoryStore(messages).build();
 * }</pre>
 *
 * <p><b>Content.</b> A message's content is LangChain4j's own JSON for it ({@link ChatMessageSerializer}), stored as
 * a JSON value and read back with {@link ChatMessageDeserializer}, so every message type and part survives: system,
 * user (text, images, audio, video, PDF; name and attributes), AI (text, thinking, tool execution requests with their
 * ids and arguments, attributes), tool execution results (id, tool name, text) and custom messages. The role is
 * agentstore's: {@code SYSTEM}, {@code USER}, {@code ASSISTANT} (AI messages), {@code TOOL} (tool execution results);
 * a custom message is stored as {@code USER}.
 *
 * <p><b>Updates write only what changed.</b> LangChain4j hands the whole list to {@link #updateMessages} after every
 * change. Agentstore memory is ordered by an append sequence, so the update, in one transaction with the thread's row
 * locked (concurrent updates of one memory queue, none is lost): reads the stored messages; walks the new list,
 * matching each message, in order, to the next equal stored one (equal as LangChain4j messages); stored messages it
 * passes over are deleted (what an eviction policy such as {@code MessageWindowChatMemory} dropped); from the first
 * new message that has no equal stored one after the last match, the rest of the list is appended. A window that
 * drops its oldest messages and adds new ones therefore deletes the dropped and appends the added, writing nothing
 * for the messages it kept; a message inserted before kept ones (a new system message put first) makes the kept
 * messages after it be deleted and appended again, as the order can only be expressed by appending. Evicted messages
 * are deleted, so {@link #getMessages} returns exactly the list last given.
 *
 * <p><b>Transactions.</b> {@link #getMessages} and {@link #deleteMessages} are one statement each;
 * {@link #updateMessages} one transaction (in a Jakarta EE container built on {@link JtaStoreAccess}, the caller's JTA
 * transaction when there is one). Thread-safe.
 */
public class AgentStoreChatMemoryStore implements ChatMemoryStore {

    private final StoreAccess access;

    /** @param access how to reach the repositories */
    public AgentStoreChatMemoryStore(StoreAccess access) {
        if (access == null) {
            throw new IllegalArgumentException("access cannot be null");
        }
        this.access = access;
    }

    /**
     * @param store an open store
     * @return the chat memory store
     */
    public static AgentStoreChatMemoryStore of(AgentStore store) {
        return new AgentStoreChatMemoryStore(StoreAccess.of(store));
    }

    /**
     * @param memoryId the memory's id; its {@code toString()} is the thread id, 1–255 characters
     * @return the messages, oldest first; empty for an unknown memory
     */
    @Override
    public List<ChatMessage> getMessages(Object memoryId) {
        List<MemoryMessage> stored = access.perCall().memories()
                .listAllMessages(MessageQuery.of(threadId(memoryId))).page().items();
        List<ChatMessage> messages = new ArrayList<>(stored.size());
        for (MemoryMessage m : stored) {
            messages.add(message(m));
        }
        return messages;
    }

    /**
     * Makes the memory's messages {@code messages}, writing only the difference (see the class comment).
     *
     * @param memoryId the memory's id; its {@code toString()} is the thread id, 1–255 characters
     * @param messages the whole list, oldest first
     */
    @Override
    public void updateMessages(Object memoryId, List<ChatMessage> messages) {
        String thread = threadId(memoryId);
        if (messages == null) {
            throw new IllegalArgumentException("messages cannot be null");
        }
        List<JsonNode> contents = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            if (m == null) {
                throw new IllegalArgumentException("messages cannot contain null");
            }
            contents.add(Json.parse("messages[" + contents.size() + "]", ChatMessageSerializer.messageToJson(m)));
        }
        access.inTransaction(r -> {
            r.memories().ensureMemory(thread);
            r.memories().findThreadForUpdate(thread); // queue concurrent updates of this memory
            List<MemoryMessage> stored = r.memories().listAllMessages(MessageQuery.of(thread)).page().items();
            List<String> delete = new ArrayList<>();
            int next = 0; // first stored message not yet matched or deleted
            int kept = 0; // messages of the new list matched to stored ones
            for (; kept < messages.size(); kept++) {
                int match = indexOf(stored, next, messages.get(kept));
                if (match < 0) {
                    break;
                }
                for (int i = next; i < match; i++) {
                    delete.add(stored.get(i).id());
                }
                next = match + 1;
            }
            for (int i = next; i < stored.size(); i++) {
                delete.add(stored.get(i).id());
            }
            if (!delete.isEmpty()) {
                r.memories().deleteMessages(delete);
            }
            if (kept < messages.size()) {
                List<NewMessage> append = new ArrayList<>(messages.size() - kept);
                for (int i = kept; i < messages.size(); i++) {
                    append.add(NewMessage.of(UUID.randomUUID().toString(), role(messages.get(i)), contents.get(i)));
                }
                r.memories().saveMessages(thread, append);
            }
            return null;
        });
    }

    /**
     * Deletes the memory's thread with its messages.
     *
     * @param memoryId the memory's id; its {@code toString()} is the thread id
     */
    @Override
    public void deleteMessages(Object memoryId) {
        access.perCall().memories().deleteThread(threadId(memoryId));
    }

    private static int indexOf(List<MemoryMessage> stored, int from, ChatMessage message) {
        for (int i = from; i < stored.size(); i++) {
            if (message.equals(message(stored.get(i)))) {
                return i;
            }
        }
        return -1;
    }

    private static ChatMessage message(MemoryMessage m) {
        return ChatMessageDeserializer.messageFromJson(Json.print(m.content()));
    }

    private static MessageRole role(ChatMessage m) {
        switch (m.type()) {
            case SYSTEM:
                return MessageRole.SYSTEM;
            case AI:
                return MessageRole.ASSISTANT;
            case TOOL_EXECUTION_RESULT:
                return MessageRole.TOOL;
            default:
                return MessageRole.USER;
        }
    }

    private static String threadId(Object memoryId) {
        if (memoryId == null) {
            throw new IllegalArgumentException("memoryId cannot be null");
        }
        return memoryId.toString();
    }
}
