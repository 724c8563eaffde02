package dev.agentstore.domain.memory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.domain.json.Json;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MemoryEntitiesTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void jsonHandedInOrOutIsCopied() {
        ObjectNode metadata = Json.object().put("k", 1);
        Memory m = Memory.create("t1", "user", null, metadata, T0);
        metadata.put("k", 2);
        ((ObjectNode) m.metadata()).put("k", 3);
        assertThat(m.metadata().get("k").asInt()).isEqualTo(1);

        ObjectNode content = Json.object().put("text", "hi");
        NewMessage n = NewMessage.of("m1", MessageRole.USER, content);
        content.put("text", "changed");
        assertThat(n.content().get("text").asText()).isEqualTo("hi");
    }

    @Test
    void invalidIdsTextsAndJsonAreRejectedNamingTheParameter() {
        assertThatThrownBy(() -> Memory.create("", "u", null, null, T0)).hasMessageContaining("id");
        assertThatThrownBy(() -> Memory.create("x".repeat(256), "u", null, null, T0)).hasMessageContaining("255");
        assertThatThrownBy(() -> Memory.create("a\u0000", "u", null, null, T0)).hasMessageContaining("NUL");
        assertThatThrownBy(() -> Memory.create("t", "u", null, json("\"s\""), T0)).hasMessageContaining("metadata");
        assertThatThrownBy(() -> MemoryResource.create("r", "x".repeat(MemoryResource.MAX_WORKING_MEMORY_LENGTH + 1),
                null, T0)).hasMessageContaining("workingMemory");
        assertThatThrownBy(() -> MemoryVariables.of("m", 0, Json.object(), T0)).hasMessageContaining("revision");
        assertThatThrownBy(() -> MemoryVariables.of("m", 1, json("[]"), T0)).hasMessageContaining("variables");
        assertThatThrownBy(() -> MemoryMessage.of("id", "m", 0, MessageRole.USER, json("1"), null, T0))
                .hasMessageContaining("seq");
        assertThatThrownBy(() -> MessageUpdate.of("id").withContentPatch(json("null")))
                .isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> MessageRole.parse("robot")).hasMessageContaining("role").hasMessageNotContaining("robot");
        assertThatThrownBy(() -> new MessageQuery("m", null, null, null, SortDirection.ASC,
                java.util.Collections.nCopies(MessageQuery.MAX_INCLUDES + 1, MessageInclude.of("x", 0, 0))))
                .hasMessageContaining("include");
    }

    @Nested
    class ThreadsAndResources {

        @Test
        void aNewThreadHasEmptyMetadataAndNoMessages() {
            Memory m = Memory.create("t1", "user", null, null, T0);
            assertThat(m.metadata()).isEqualTo(Json.object());
            assertThat(m.lastSeq()).isZero();
            assertThat(m.createdAt()).isEqualTo(T0).isEqualTo(m.updatedAt());
            assertThat(m.belongsTo("user")).isTrue();
            assertThat(m.belongsTo("other")).isFalse();
            assertThat(Memory.create("t2", null, null, null, T0).belongsTo(null)).isFalse();
        }

        @Test
        void threadUpdateMergesMetadataAndKeepsTheTitleWhenNoneIsGiven() {
            Memory m = Memory.create("t1", "user", "title", json("{\"a\":1,\"b\":{\"c\":2}}"), T0);
            m.update(null, json("{\"a\":null,\"b\":{\"d\":3}}"), T0.plusSeconds(1));
            assertThat(m.title()).isEqualTo("title");
            assertThat(m.metadata()).isEqualTo(json("{\"b\":{\"c\":2,\"d\":3}}"));
            assertThat(m.updatedAt()).isEqualTo(T0.plusSeconds(1));
            assertThatThrownBy(() -> m.update("x", json("[]"), T0)).isInstanceOf(InvalidInputException.class);
            assertThat(m.title()).as("unchanged after a failed update").isEqualTo("title");
        }

        @Test
        void resourceUpdateReplacesWorkingMemoryAndMergesMetadata() {
            MemoryResource r = MemoryResource.create("r", "notes", json("{\"a\":{\"b\":1}}"), T0);
            r.update(null, json("{\"a\":{\"c\":2}}"), T0.plusSeconds(1));
            assertThat(r.workingMemory()).isEqualTo("notes");
            assertThat(r.metadata()).isEqualTo(json("{\"a\":{\"b\":1,\"c\":2}}"));
            r.update("new notes", null, T0.plusSeconds(2));
            assertThat(r.workingMemory()).isEqualTo("new notes");
            assertThat(r.updatedAt()).isEqualTo(T0.plusSeconds(2));
        }
    }

    @Nested
    class Messages {

        @Test
        void messageBuildersKeepEveryOtherComponent() {
            NewMessage n = NewMessage.of(MessageRole.TOOL, json("{\"result\":0}")).createdAt(T0).resourceId("r");
            assertThat(n.id()).isNotBlank();
            assertThat(n.createdAt()).isEqualTo(T0);
            assertThat(n.resourceId()).isEqualTo("r");
            assertThat(n.role()).isEqualTo(MessageRole.TOOL);

            MessageUpdate u = MessageUpdate.of("m").withRole(MessageRole.USER).withContentPatch(json("{\"a\":1}"))
                    .movedTo("t2");
            assertThat(u).isEqualTo(new MessageUpdate("m", MessageRole.USER, json("{\"a\":1}"), "t2"));

            MessageQuery q = MessageQuery.of("t").withResourceId("r").createdBetween(T0, T0)
                    .orderedBy(SortDirection.DESC).including(MessageInclude.of("m", 1, 2));
            assertThat(q).isEqualTo(new MessageQuery("t", "r", T0, T0, SortDirection.DESC,
                    List.of(MessageInclude.of("m", 1, 2))));
        }

        @Test
        void aStoredRowHasEveryColumnAndHandsOutCopiesOfItsContent() {
            String text = "{\"format\":2,\"parts\":[{\"type\":\"text\",\"text\":\"hi\"}]}";
            JsonNode parsed = json(text);
            MemoryMessage m = MemoryMessage.stored("m1", "t1", 3, MessageRole.ASSISTANT, parsed, null, T0);

            assertThat(m).isEqualTo(MemoryMessage.of("m1", "t1", 3, MessageRole.ASSISTANT, parsed, null, T0));
            assertThat(m.seq()).isEqualTo(3);
            assertThat(m.role()).isEqualTo(MessageRole.ASSISTANT);
            assertThat(m.resourceId()).isNull();
            assertThat(m.createdAt()).isEqualTo(T0);
            ((ObjectNode) m.content()).put("format", 3);
            // compared with a fresh parse: a content() that handed out the held node would have changed it
            assertThat(m.content()).isEqualTo(json(text));
        }

        @Test
        void aStoredRowNeedsAPositiveSeqAndItsRequiredColumns() {
            assertThatThrownBy(() -> MemoryMessage.stored("m1", "t1", 0, MessageRole.USER, json("1"), null, T0))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("seq must be 1 or more");
            assertThatThrownBy(() -> MemoryMessage.stored("m1", "t1", 1, MessageRole.USER, null, null, T0))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("content");
            assertThatThrownBy(() -> MemoryMessage.stored("m1", null, 1, MessageRole.USER, json("1"), null, T0))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("memoryId");
        }
    }

    private static JsonNode json(String text) {
        return Json.parse("json", text);
    }
}
