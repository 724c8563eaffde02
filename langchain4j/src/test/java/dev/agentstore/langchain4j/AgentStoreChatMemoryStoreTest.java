package dev.agentstore.langchain4j;

import dev.agentstore.domain.memory.MemoryMessage;
import dev.agentstore.domain.memory.MessageQuery;
import dev.agentstore.domain.memory.MessageRole;
import dev.agentstore.persistence.AgentStore;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentStoreChatMemoryStoreTest {

    private static AgentStore store;
    private static AgentStoreChatMemoryStore memory;

    @BeforeAll
    static void open() {
        store = TestStores.open(AgentStoreChatMemoryStoreTest.class);
        memory = AgentStoreChatMemoryStore.of(store);
    }

    @AfterAll
    static void close() {
        TestStores.close(store);
    }

    private static List<MemoryMessage> stored(String memoryId) {
        return store.memories().listAllMessages(MessageQuery.of(memoryId)).page().items();
    }

    private static List<String> ids(List<MemoryMessage> messages) {
        return messages.stream().map(MemoryMessage::id).toList();
    }

    private static ToolExecutionRequest weather() {
        return ToolExecutionRequest.builder().id("call_1").name("weather")
                .arguments("{\"city\":\"Zürich\",\"days\":[1,2]}").build();
    }

    private static List<ChatMessage> conversation() {
        return List.of(
                SystemMessage.from("You are a helpful assistant."),
                UserMessage.from(TextContent.from("What is in this picture, and the weather?"),
                        ImageContent.from("https://example.com/cat.png")),
                AiMessage.from("Let me check.", List.of(weather(),
                        ToolExecutionRequest.builder().id("call_2").name("time").arguments("{}").build())),
                ToolExecutionResultMessage.from(weather(), "{\"temperature\":21.5}"),
                ToolExecutionResultMessage.from("call_2", "time", "12:00"),
                AiMessage.from("A cat; 21.5 °C at noon."));
    }

    @Nested
    class RoundTrips {

        @Test
        void everyMessageTypeReadsBackEqual() {
            memory.updateMessages("round-trip", conversation());

            List<ChatMessage> read = memory.getMessages("round-trip");

            assertThat(read).isEqualTo(conversation());
            AiMessage ai = (AiMessage) read.get(2);
            assertThat(ai.toolExecutionRequests()).containsExactly(weather(),
                    ToolExecutionRequest.builder().id("call_2").name("time").arguments("{}").build());
            assertThat(((ToolExecutionResultMessage) read.get(3)).id()).isEqualTo("call_1");
            assertThat(((UserMessage) read.get(1)).contents().get(1)).isInstanceOf(ImageContent.class);
        }

        @Test
        void rolesAreAgentstoresAndContentIsLangChain4jsJson() {
            memory.updateMessages("roles", conversation());

            List<MemoryMessage> rows = stored("roles");

            assertThat(rows).extracting(MemoryMessage::role).containsExactly(MessageRole.SYSTEM, MessageRole.USER,
                    MessageRole.ASSISTANT, MessageRole.TOOL, MessageRole.TOOL, MessageRole.ASSISTANT);
            assertThat(rows.get(2).content().path("toolExecutionRequests").get(0).path("name").asText())
                    .isEqualTo("weather");
        }

        @Test
        void unknownMemoryHasNoMessages() {
            assertThat(memory.getMessages("nobody")).isEmpty();
        }

        @Test
        void memoryIdIsItsToString() {
            memory.updateMessages(42, List.of(UserMessage.from("hi")));

            assertThat(memory.getMessages("42")).containsExactly(UserMessage.from("hi"));
        }
    }

    @Nested
    class Updates {

        @Test
        void appendingWritesOnlyTheNewMessages() {
            List<ChatMessage> messages = new ArrayList<>(conversation().subList(0, 2));
            memory.updateMessages("append", messages);
            List<String> before = ids(stored("append"));

            messages.add(AiMessage.from("Hello"));
            memory.updateMessages("append", messages);

            List<MemoryMessage> after = stored("append");
            assertThat(ids(after)).hasSize(3).startsWith(before.toArray(String[]::new));
            assertThat(memory.getMessages("append")).isEqualTo(messages);
        }

        @Test
        void evictionDeletesTheDroppedMessagesAndKeepsTheOthers() {
            List<ChatMessage> messages = new ArrayList<>(conversation());
            memory.updateMessages("window", messages);
            List<String> before = ids(stored("window"));

            // a window that keeps the system message and drops the oldest others, then adds one
            messages.remove(1);
            messages.remove(1);
            messages.add(UserMessage.from("And tomorrow?"));
            memory.updateMessages("window", messages);

            List<String> after = ids(stored("window"));
            assertThat(after).hasSize(5);
            assertThat(after.subList(0, 4)).containsExactly(before.get(0), before.get(3), before.get(4), before.get(5));
            assertThat(after.get(4)).isNotIn(before);
            assertThat(memory.getMessages("window")).isEqualTo(messages);
        }

        @Test
        void aMessageInsertedFirstReappendsTheKeptOnes() {
            List<ChatMessage> messages = new ArrayList<>(List.of(UserMessage.from("a"), AiMessage.from("b")));
            memory.updateMessages("insert", messages);

            messages.add(0, SystemMessage.from("Be brief."));
            memory.updateMessages("insert", messages);

            assertThat(memory.getMessages("insert")).isEqualTo(messages);
            assertThat(stored("insert")).extracting(MemoryMessage::role)
                    .containsExactly(MessageRole.SYSTEM, MessageRole.USER, MessageRole.ASSISTANT);
        }

        @Test
        void equalMessagesTwiceAreKeptTwice() {
            List<ChatMessage> messages = List.of(UserMessage.from("again"), UserMessage.from("again"));
            memory.updateMessages("twice", messages);
            memory.updateMessages("twice", List.of(UserMessage.from("again")));

            assertThat(memory.getMessages("twice")).containsExactly(UserMessage.from("again"));
            memory.updateMessages("twice", messages);
            assertThat(memory.getMessages("twice")).isEqualTo(messages);
        }

        @Test
        void theSameListAgainWritesNothing() {
            memory.updateMessages("same", conversation());
            List<MemoryMessage> before = stored("same");

            memory.updateMessages("same", conversation());

            assertThat(stored("same")).isEqualTo(before);
        }

        @Test
        void anEmptyListEmptiesTheMemory() {
            memory.updateMessages("empty", conversation());

            memory.updateMessages("empty", List.of());

            assertThat(memory.getMessages("empty")).isEmpty();
        }

        @Test
        void concurrentUpdatesOfOneMemoryLeaveOneOfTheListsWhole() throws Exception {
            memory.updateMessages("race", List.of(UserMessage.from("start")));
            List<ChatMessage> first = List.of(UserMessage.from("start"), AiMessage.from("one"), UserMessage.from("1"));
            List<ChatMessage> second = List.of(UserMessage.from("start"), AiMessage.from("two"));
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                for (int round = 0; round < 10; round++) {
                    CountDownLatch go = new CountDownLatch(1);
                    Future<?> a = pool.submit(() -> {
                        go.await();
                        memory.updateMessages("race", first);
                        return null;
                    });
                    Future<?> b = pool.submit(() -> {
                        go.await();
                        memory.updateMessages("race", second);
                        return null;
                    });
                    go.countDown();
                    a.get(30, TimeUnit.SECONDS);
                    b.get(30, TimeUnit.SECONDS);

                    assertThat(memory.getMessages("race")).isIn(first, second);
                }
            } finally {
                pool.shutdownNow();
            }
        }

        @Test
        void nullsAreRejected() {
            assertThatThrownBy(() -> memory.updateMessages(null, List.of()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("memoryId");
            assertThatThrownBy(() -> memory.updateMessages("x", null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("messages");
        }
    }

    @Nested
    class Deletes {

        @Test
        void deleteMessagesEmptiesTheMemory() {
            memory.updateMessages("gone", conversation());

            memory.deleteMessages("gone");

            assertThat(memory.getMessages("gone")).isEmpty();
            assertThat(store.memories().findThread("gone")).isEmpty();
            memory.updateMessages("gone", List.of(UserMessage.from("back")));
            assertThat(memory.getMessages("gone")).containsExactly(UserMessage.from("back"));
        }
    }
}
